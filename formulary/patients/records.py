"""Patient records: create and change patients, record allergies and conditions. Plain functions that flush."""

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from formulary.audit.log import record, record_after_reading
from formulary.catalogue.lookup import find_condition, find_group, find_substance
from formulary.clinic_time import clinic_today
from formulary.errors import FieldErrors
from formulary.extensions import db
from formulary.patients.certainty import SET_ASIDE, certainty_problems, counts
from formulary.patients.models import (
    ALLERGY_STATUSES,
    CLINICAL_STATUSES,
    CRITICALITIES,
    SKIN_TYPES,
    Allergy,
    Patient,
    PatientCondition,
    PatientConditionText,
)
from formulary.patients.reading import is_ambiguous
from formulary.vocabulary import (
    AllergyHistory,
    AllergyKind,
    ClinicalStatus,
    Criticality,
    VerificationStatus,
)


class PatientError(FieldErrors):
    """Refused patient values; `errors` is a list of (field, message)."""


@dataclass
class AllergyData:
    """An allergy as entered: a substance or group name (any synonym), or free text.

    `kind` None codes the allergen to whatever substance or group it names, else keeps it as text;
    AllergyKind.SUBSTANCE or GROUP says which it must be, and an allergen the catalogue does not know is refused.
    """

    allergen: str
    criticality: str = Criticality.UNABLE_TO_ASSESS
    reaction: str = ""
    status: str = ClinicalStatus.ACTIVE  # the clinical status
    kind: str | None = None
    verification_status: str = VerificationStatus.CONFIRMED
    type: str | None = None  # AllergyType
    category: str | None = None  # AllergyCategory
    onset: date | None = None

    @property
    def counts(self) -> bool:
        """Whether it is an allergy the patient has: active, and neither refuted nor entered in error."""
        return self.status == ClinicalStatus.ACTIVE and self.verification_status not in SET_ASIDE


@dataclass
class PatientData:
    """A patient's identity and what is known of allergies and conditions."""

    name: str
    date_of_birth: date | None = None
    reference: str | None = None
    skin_type: str = ""
    notes: str = ""
    allergy_status: str = AllergyHistory.UNKNOWN
    # A listed condition's name or synonym ("pregnant"), or {"text": …} for a condition told in words.
    conditions: list = field(default_factory=list)
    phone: str = ""
    email: str = ""
    contact_ok: bool = False


# A phone number as people write it: digits with spaces, dots, dashes, slashes, brackets and a leading +;
# at least 6 digits. An e-mail address: something@domain.tld, no spaces. (The API documents the same
# patterns, so that what its schema allows is what is accepted.)
PHONE_PATTERN = r"\+?(?:[ ().\-/]*[0-9]){6,}[ ().\-/]*"
# Control characters are named outright: Python's \s counts U+0085 as a space and JavaScript's (the
# schema's) does not, so `\s` alone would let the document allow what the service refuses.
EMAIL_PATTERN = r"[^@\s\x00-\x1f\x7f-\x9f]+@[^@\s\x00-\x1f\x7f-\x9f]+\.[^@\s\x00-\x1f\x7f-\x9f.]{2,}"
_PHONE, _EMAIL = re.compile(PHONE_PATTERN), re.compile(EMAIL_PATTERN)


def _contact_problems(phone: str, email: str) -> list[tuple[str, str]]:
    """What is wrong with a phone number or e-mail address as typed (nothing when blank)."""
    errors = []
    if phone and (len(phone) > 40 or not _PHONE.fullmatch(phone)):
        errors.append(("phone", f"{phone!r} is not a phone number: use digits, spaces and + ( ) - "
                                "(at least 6 digits, at most 40 characters)."))
    if email and (len(email) > 254 or not _EMAIL.fullmatch(email)):
        errors.append(("email", f"{email!r} is not an e-mail address (name@example.com)."))
    return errors


def _conditions(items: list, errors: list) -> tuple[list, list[str]]:
    """The listed conditions named (by name or synonym) and the texts of conditions told in words."""
    names, texts = [], []
    for index, item in enumerate(items):
        if isinstance(item, dict):
            text = " ".join(str(item.get("text") or "").split())
            if not text or set(item) != {"text"}:
                errors.append((f"conditions.{index}", 'A condition told in words is {"text": "…"}, with some text.'))
            elif len(text) > 300:
                errors.append((f"conditions.{index}.text", "The condition text is longer than 300 characters."))
            elif text not in texts:
                texts.append(text)
        elif isinstance(item, str):
            names.append(item)
        else:
            errors.append((f"conditions.{index}", "Give a condition's name or synonym, or {\"text\": \"…\"}."))
    conditions = []
    for name in names:
        condition = find_condition(name)
        if condition is None:
            errors.append(("conditions", f"Unknown condition {name!r}: give a listed name or synonym, or record it "
                                         f'in words as {{"text": {name!r}}}.'))
        elif condition not in conditions:
            conditions.append(condition)
    return conditions, texts


def _validate_patient(data: PatientData, patient: Patient | None, today: date) -> tuple[dict, tuple[list, list[str]]]:
    errors = []
    name = " ".join((data.name or "").split())
    if not name:
        errors.append(("name", "The patient's name is required."))
    elif len(name) > 200:
        errors.append(("name", "The name is longer than 200 characters."))
    if data.date_of_birth is not None and not (date(1900, 1, 1) <= data.date_of_birth <= today):
        errors.append(("date_of_birth", f"Date of birth {data.date_of_birth:%Y-%m-%d} is not plausible."))
    reference = (data.reference or "").strip() or None
    if reference:
        if len(reference) > 40:
            errors.append(("reference", "The clinic reference is longer than 40 characters."))
        clash = db.session.scalar(select(Patient).where(Patient.reference == reference))
        if clash is not None and clash is not patient:
            errors.append(("reference", f"Reference {reference} already belongs to another patient."))
    if data.skin_type and data.skin_type not in SKIN_TYPES:
        errors.append(("skin_type", f"Skin type must be one of {', '.join(SKIN_TYPES)} (got {data.skin_type!r})."))
    if data.allergy_status not in ALLERGY_STATUSES:
        errors.append(("allergy_status", f"Allergy status must be one of {', '.join(ALLERGY_STATUSES)}."))
    conditions = _conditions(list(data.conditions), errors)
    phone, email = " ".join((data.phone or "").split()), (data.email or "").strip()
    errors += _contact_problems(phone, email)
    if errors:
        raise PatientError(errors)
    values = dict(name=name, date_of_birth=data.date_of_birth, reference=reference,
                  skin_type=data.skin_type or "", notes=(data.notes or "").strip(),
                  allergy_status=data.allergy_status, phone=phone, email=email, contact_ok=bool(data.contact_ok))
    return values, conditions


def _set_conditions(patient: Patient, conditions_and_texts) -> None:
    conditions, texts = conditions_and_texts
    wanted = {c.id for c in conditions}
    patient.conditions = [pc for pc in patient.conditions if pc.condition_id in wanted]
    have = {pc.condition_id for pc in patient.conditions}
    patient.conditions += [PatientCondition(condition=c) for c in conditions if c.id not in have]
    patient.condition_texts = [t for t in patient.condition_texts if t.text in texts]
    told = {t.text for t in patient.condition_texts}
    patient.condition_texts += [PatientConditionText(text=text) for text in texts if text not in told]


def create_patient(data: PatientData, *, actor, today: date | None = None) -> Patient:
    """Create a patient (allergies are added one by one with add_allergy)."""
    values, conditions = _validate_patient(data, None, today or clinic_today())
    patient = Patient(**values)
    db.session.add(patient)
    _set_conditions(patient, conditions)
    db.session.flush()
    record("patient.create", actor=actor, target=patient)
    return patient


def update_patient(patient: Patient, data: PatientData, *, actor, today: date | None = None) -> Patient:
    """Change a patient's identity, allergy status or conditions."""
    values, conditions = _validate_patient(data, patient, today or clinic_today())
    if values["allergy_status"] == AllergyHistory.NONE_KNOWN and any(counts(a) for a in patient.allergies):
        raise PatientError([("allergy_status", "The patient has active allergies: set them inactive or "
                                               "resolved before recording “no known allergies”.")])
    for key, value in values.items():
        setattr(patient, key, value)
    _set_conditions(patient, conditions)
    db.session.flush()
    record("patient.update", actor=actor, target=patient)
    return patient


def add_allergy(patient: Patient, data: AllergyData, *, actor) -> Allergy:
    """Record an allergy, coded to a substance or group when its name (or a synonym) matches."""
    errors = []
    text = " ".join((data.allergen or "").split())
    if not text:
        errors.append(("allergen", "Name the substance, group or describe the allergy."))
    elif len(text) > 300:
        errors.append(("allergen", "The allergy text is longer than 300 characters."))
    if data.criticality not in CRITICALITIES:
        errors.append(("criticality", f"Criticality must be one of {', '.join(CRITICALITIES)}."))
    errors += certainty_problems(data.status, data.verification_status, data.type, data.category, data.onset)
    if errors:
        raise PatientError(errors)
    substance, group = _coded(text, data.kind)
    allergy = Allergy(
        patient=patient, substance=substance, group=group,
        text=None if (substance or group) else text, criticality=data.criticality,
        reaction=(data.reaction or "").strip(), status=data.status,
        verification_status=data.verification_status, type=data.type or None, category=data.category or None,
        onset=data.onset, recorded_by_id=actor.id if actor is not None else None,
    )
    db.session.add(allergy)
    if data.counts:
        patient.allergy_status = AllergyHistory.RECORDED
    db.session.flush()
    # The audit row says that an allergy was recorded, never what it is.
    record("allergy.record", actor=actor, target=patient, detail=f"allergy #{allergy.id}")
    return allergy


def _coded(text: str, kind: str | None) -> tuple:
    """The substance or group an allergen names exactly (by name or synonym); (None, None) for free text.

    Nothing is coded by guess: a word that could mean more than one thing ("water", "HA") stays free
    text, as does a sentence; the form then proposes what it names for the user to accept.
    """
    if kind == AllergyKind.TEXT or (kind is None and is_ambiguous(text)):
        return None, None
    if kind == AllergyKind.GROUP:
        group = find_group(text)
        missing = group is None
        substance = None
    else:
        substance = find_substance(text)
        group = None if substance or kind == AllergyKind.SUBSTANCE else find_group(text)
        missing = kind == AllergyKind.SUBSTANCE and substance is None
    if missing:
        raise PatientError([("allergen", f"Unknown {'allergen group' if kind == AllergyKind.GROUP else 'substance'} "
                                         f"{text!r}: use a name or synonym from the catalogue, or send it as text.")])
    return substance, group


def allergen_problem(data: AllergyData) -> str | None:
    """Why an allergy named as a substance or group cannot be coded to one (None when it can)."""
    try:
        _coded(" ".join((data.allergen or "").split()), data.kind)
    except PatientError as error:
        return str(error)
    return None


def contradictions(allergy_status: str | None, allergies: list[AllergyData]) -> list[tuple[str, str]]:
    """“none-known” sent with active allergies: the history and the allergies cannot both be true."""
    if allergy_status == AllergyHistory.NONE_KNOWN and any(allergy.counts for allergy in allergies):
        return [("allergy_status", "“none-known” contradicts the active allergies sent with it: use “recorded”.")]
    return []


def set_allergy_status(allergy: Allergy, status: str | None, *, actor, verification_status: str | None = None) -> None:
    """Change an allergy's clinical status (active, inactive, resolved) and/or its verification status
    (unconfirmed, confirmed, refuted, entered-in-error); allergies are never deleted."""
    if status is not None and status not in CLINICAL_STATUSES:
        raise PatientError([("status", f"Status must be one of {', '.join(CLINICAL_STATUSES)}.")])
    errors = certainty_problems(None, verification_status)
    if errors:
        raise PatientError(errors)
    changes = []
    if status is not None and allergy.status != status:
        allergy.status = status
        changes.append(status)
    if verification_status is not None and allergy.verification_status != verification_status:
        allergy.verification_status = verification_status
        changes.append(verification_status)
    if changes:
        if counts(allergy):
            allergy.patient.allergy_status = AllergyHistory.RECORDED
        db.session.flush()
        record("allergy.status", actor=actor, target=allergy.patient,
               detail=f"allergy #{allergy.id}: {', '.join(changes)}")


def audit_allergy_view(patient: Patient, *, actor, where: str) -> None:
    """Every view of a patient's allergies leaves a row in the audit trail."""
    record("allergy.view", actor=actor, target=patient, detail=where)


def audit_allergy_page(patient: Patient, *, actor, where: str) -> None:
    """The same row for a page that only read the allergies, committed at once in a short transaction
    of its own (call it after rendering; see `record_after_reading`)."""
    record_after_reading("allergy.view", actor=actor, target=patient, detail=where)
