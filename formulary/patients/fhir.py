"""A patient's allergies as HL7 FHIR R4 AllergyIntolerance resources, and such resources read back in.

`allergy_resource` writes one allergy; `read_resources` turns a posted AllergyIntolerance or Bundle into
the allergies to record, every problem named by its place in the document (nothing is recorded unless all
of them can be). Codes go out where the library has them (UNII); a code the library does not hold comes
in as its text, through the same rules as any allergy typed in: never silently coded to a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from formulary.vocabulary import AllergyCategory, AllergyType, ClinicalStatus, Criticality, VerificationStatus

CLINICAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
VERIFICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
UNII_SYSTEM = "http://fdasis.nlm.nih.gov"  # FHIR's URI for the FDA's Unique Ingredient Identifier
FHIR_JSON = "application/fhir+json"
# FHIR's dateTime: a year, a month, a day, or a day with a time ("2004", "2012-06", "2014-10-09T14:58:00+11:00").
_DATE_TIME = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?)?)?$")


@dataclass(frozen=True)
class IncomingAllergy:
    """One AllergyIntolerance read in: what the patient's allergy will say, and where it was in the document."""

    at: str  # "" for a lone resource, "entry.2.resource." in a Bundle
    text: str  # the allergen as the sender named it (code.text or a coding's display)
    substance: str | None  # the library substance its UNII code names, if any
    criticality: str
    status: str  # ClinicalStatus
    verification_status: str
    type: str | None
    category: str | None
    onset: date | None
    reaction: str


def _concept(text: str, system: str | None = None, code: str | None = None) -> dict:
    """A CodeableConcept: a coding when there is a code, the text always."""
    concept: dict = {"text": text}
    if system and code:
        concept["coding"] = [{"system": system, "code": code, "display": text}]
    return concept


def allergy_resource(allergy, patient, *, unii: str | None) -> dict:
    """One allergy as an R4 AllergyIntolerance (a dict ready for JSON)."""
    name = allergy.label
    resource: dict = {"resourceType": "AllergyIntolerance", "id": str(allergy.id)}
    # R4's invariant ait-2: an entered-in-error record carries no clinical status.
    if allergy.verification_status != VerificationStatus.ENTERED_IN_ERROR:
        resource["clinicalStatus"] = {"coding": [{"system": CLINICAL_SYSTEM, "code": allergy.status}]}
    resource["verificationStatus"] = {
        "coding": [{"system": VERIFICATION_SYSTEM, "code": allergy.verification_status}]}
    if allergy.type:
        resource["type"] = allergy.type
    if allergy.category:
        resource["category"] = [allergy.category]
    resource["criticality"] = allergy.criticality
    resource["code"] = _concept(name, UNII_SYSTEM, unii)
    resource["patient"] = {"reference": f"Patient/{patient.id}", "display": patient.name}
    if allergy.onset:
        resource["onsetDateTime"] = allergy.onset.isoformat()
    resource["recordedDate"] = allergy.recorded_at.isoformat()
    if allergy.recorded_by is not None:
        resource["recorder"] = {"display": allergy.recorded_by.username}
    if allergy.reaction:
        resource["reaction"] = [{"manifestation": [{"text": allergy.reaction}], "description": allergy.reaction}]
    return resource


def bundle(resources: list[dict], base: str, *, kind: str = "searchset") -> dict:
    """A Bundle of AllergyIntolerance resources (searchset: every match of the search)."""
    entries = []
    for resource in resources:
        entry: dict = {"fullUrl": f"{base}/{resource['id']}", "resource": resource}
        if kind == "searchset":
            entry["search"] = {"mode": "match"}
        entries.append(entry)
    answer: dict = {"resourceType": "Bundle", "type": kind}
    if kind == "searchset":
        answer["total"] = len(resources)
    answer["entry"] = entries
    return answer


# --- reading in -----------------------------------------------------------------------------------

Errors = list[tuple[str, str]]


def _code_of(concept, field: str, system: str, allowed: type[StrEnum], errors: Errors) -> str | None:
    """The code of a status CodeableConcept, or None when absent; an unknown code is an error."""
    if concept is None:
        return None
    codings = concept.get("coding") if isinstance(concept, dict) else None
    codes = [c.get("code") for c in codings or () if isinstance(c, dict) and c.get("system") in (system, None)]
    if not codes or not isinstance(codes[0], str) or codes[0] not in tuple(allowed):
        shown = codes[0] if codes else concept
        errors.append((field, f"Unknown {field} {shown!r}: use one of {', '.join(allowed)} ({system})."))
        return None
    return codes[0]


def _plain(value, field: str, allowed: type[StrEnum], errors: Errors) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in tuple(allowed):
        errors.append((field, f"Unknown {field} {value!r}: use one of {', '.join(allowed)}."))
        return None
    return value


def _onset(value, field: str, errors: Errors) -> date | None:
    """An onsetDateTime as a day (a year or a month alone: its first day)."""
    if value is None:
        return None
    match = _DATE_TIME.match(value) if isinstance(value, str) else None
    try:
        if match is None:
            raise ValueError
        year, month, day = match.groups()
        return date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        errors.append((field, f"onsetDateTime {value!r} is not a FHIR dateTime (YYYY, YYYY-MM, YYYY-MM-DD…)."))
        return None


def _texts(concepts) -> list[str]:
    """The words of a list of CodeableConcepts (text, else each coding's display)."""
    words = []
    for concept in concepts or ():
        if not isinstance(concept, dict):
            continue
        if isinstance(concept.get("text"), str) and concept["text"].strip():
            words.append(concept["text"].strip())
        else:
            words.extend(c["display"].strip() for c in concept.get("coding") or ()
                         if isinstance(c, dict) and isinstance(c.get("display"), str) and c["display"].strip())
    return words


def _reaction(reactions) -> str:
    parts = []
    for reaction in reactions if isinstance(reactions, list) else ():
        if isinstance(reaction, dict):
            parts.extend(_texts(reaction.get("manifestation")))
            if isinstance(reaction.get("description"), str) and reaction["description"].strip():
                parts.append(reaction["description"].strip())
    return "; ".join(dict.fromkeys(parts))[:2000]


def _allergen(code, at: str, by_unii: Callable[[str], str | None], errors: Errors) -> tuple[str, str | None]:
    """(the allergen's words, the library substance its UNII names): a code we hold, else the text."""
    if not isinstance(code, dict):
        errors.append((f"{at}code", "An AllergyIntolerance needs a code with a coding or a text."))
        return "", None
    for coding in code.get("coding") or ():
        if isinstance(coding, dict) and coding.get("system") == UNII_SYSTEM and isinstance(coding.get("code"), str):
            substance = by_unii(coding["code"])
            if substance is not None:
                return substance, substance
    words = _texts([code])
    if not words:
        errors.append((f"{at}code", "The code has neither a text nor a coding with a display: nothing to record."))
        return "", None
    if len(words[0]) > 300:
        errors.append((f"{at}code", "The allergen's text is longer than 300 characters."))
    return words[0], None


def _resource(resource, at: str, patient_id: int, by_unii, errors: Errors) -> IncomingAllergy | None:
    if not isinstance(resource, dict) or resource.get("resourceType") != "AllergyIntolerance":
        kind = resource.get("resourceType") if isinstance(resource, dict) else resource
        errors.append((f"{at}resourceType", f"Expected an AllergyIntolerance, got {kind!r}."))
        return None
    before = len(errors)
    patient = resource.get("patient")
    reference = patient.get("reference") if isinstance(patient, dict) else None
    if not isinstance(reference, str) or not reference:
        errors.append((f"{at}patient", f"Name the patient: {{\"reference\": \"Patient/{patient_id}\"}}."))
    elif not re.fullmatch(rf"(.*/)?Patient/{patient_id}", reference):
        errors.append((f"{at}patient",
                       f"This resource is for {reference}, not Patient/{patient_id}: nothing recorded."))
    text, substance = _allergen(resource.get("code"), at, by_unii, errors)
    verification = _code_of(resource.get("verificationStatus"), f"{at}verificationStatus", VERIFICATION_SYSTEM,
                            VerificationStatus, errors)
    clinical = _code_of(resource.get("clinicalStatus"), f"{at}clinicalStatus", CLINICAL_SYSTEM, ClinicalStatus,
                        errors)
    criticality = _plain(resource.get("criticality"), f"{at}criticality", Criticality, errors)
    kind = _plain(resource.get("type"), f"{at}type", AllergyType, errors)
    categories = resource.get("category")
    if categories is not None and not isinstance(categories, list):
        categories = [categories]
    category = [_plain(c, f"{at}category", AllergyCategory, errors) for c in categories or ()]
    onset = _onset(resource.get("onsetDateTime"), f"{at}onsetDateTime", errors)
    if len(errors) > before:
        return None
    if clinical is None:  # only an entered-in-error record may come without one (R4 ait-1)
        in_error = verification == VerificationStatus.ENTERED_IN_ERROR
        clinical = ClinicalStatus.INACTIVE if in_error else ClinicalStatus.ACTIVE
    return IncomingAllergy(
        at=at, text=text, substance=substance, criticality=criticality or Criticality.UNABLE_TO_ASSESS,
        status=clinical, verification_status=verification or VerificationStatus.CONFIRMED, type=kind,
        category=category[0] if category else None, onset=onset, reaction=_reaction(resource.get("reaction")),
    )


def read_resources(
    document, patient_id: int, by_unii: Callable[[str], str | None]
) -> tuple[list[IncomingAllergy], Errors]:
    """The allergies an AllergyIntolerance or a Bundle of them says, and every problem found (field, message)."""
    errors: Errors = []
    if not isinstance(document, dict):
        return [], [("resourceType", "Send an AllergyIntolerance or a Bundle of them.")]
    if document.get("resourceType") == "Bundle":
        entries = document.get("entry")
        if not isinstance(entries, list) or not entries:
            return [], [("entry", "The Bundle has no entries.")]
        found = []
        for index, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            allergy = _resource(resource, f"entry.{index}.resource.", patient_id, by_unii, errors)
            if allergy is not None:
                found.append(allergy)
        return found, errors
    allergy = _resource(document, "", patient_id, by_unii, errors)
    return ([allergy] if allergy else []), errors
