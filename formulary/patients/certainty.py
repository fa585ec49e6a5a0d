"""An allergy's certainty (FHIR verification and clinical status, type, category, onset): what counts."""

from datetime import date

from formulary.clinic_time import clinic_today
from formulary.patients.models import CLINICAL_STATUSES, Allergy
from formulary.vocabulary import AllergyCategory, AllergyType, ClinicalStatus, VerificationStatus

VERIFICATION_STATUSES: list[str] = list(VerificationStatus)
ALLERGY_TYPES: list[str] = list(AllergyType)
ALLERGY_CATEGORIES: list[str] = list(AllergyCategory)
# Kept on record, never acted on: an allergy refuted or entered in error does not make a history "recorded".
SET_ASIDE = (VerificationStatus.REFUTED, VerificationStatus.ENTERED_IN_ERROR)


def counts(allergy: Allergy) -> bool:
    """Whether a recorded allergy is one the patient has: active, and neither refuted nor entered in error."""
    return allergy.status == ClinicalStatus.ACTIVE and allergy.verification_status not in SET_ASIDE


def certainty_problems(clinical: str | None, verification: str | None, type_: str | None = None,
                       category: str | None = None, onset: date | None = None,
                       today: date | None = None) -> list[tuple[str, str]]:
    """What is wrong with an allergy's FHIR statuses, type, category and onset, each naming its field."""
    errors = []
    if clinical is not None and clinical not in CLINICAL_STATUSES:
        errors.append(("clinical_status", f"Clinical status must be one of {', '.join(CLINICAL_STATUSES)} "
                                          f"(got {clinical!r})."))
    if verification is not None and verification not in VERIFICATION_STATUSES:
        errors.append(("verification_status", f"Verification status must be one of "
                                              f"{', '.join(VERIFICATION_STATUSES)} (got {verification!r})."))
    if type_ and type_ not in ALLERGY_TYPES:
        errors.append(("type", f"Type must be one of {', '.join(ALLERGY_TYPES)} (got {type_!r})."))
    if category and category not in ALLERGY_CATEGORIES:
        errors.append(("category", f"Category must be one of {', '.join(ALLERGY_CATEGORIES)} (got {category!r})."))
    if onset is not None and onset > (today or clinic_today()):
        errors.append(("onset", f"Onset {onset:%Y-%m-%d} is in the future."))
    return errors
