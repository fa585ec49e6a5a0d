"""API: the schemas of patients and their allergies, what comes in and what goes out."""

import marshmallow as ma

from formulary.api.schemas import Day, Id, PageArgs, Text, one_of
from formulary.patients.certainty import ALLERGY_CATEGORIES, ALLERGY_TYPES, VERIFICATION_STATUSES
from formulary.patients.models import ALLERGY_STATUSES, CLINICAL_STATUSES, CRITICALITIES, SKIN_TYPES
from formulary.vocabulary import AllergyKind, ClinicalStatus, VerificationStatus

ALLERGEN_KINDS = tuple(AllergyKind)
# From 1900 to today, as the patients service checks; the document promises 1900–2019 (a pattern
# cannot say "today"), which every later year of birth up to today also passes.
BIRTH_YEARS = r"^(19\d\d|20[01]\d)-\d{2}-\d{2}$"
BORN = "From 1900-01-01 to today"
PATIENT_FIELDS = ("name", "date_of_birth", "reference", "skin_type", "notes", "allergy_status", "conditions")


CONDITION_ITEM = {"oneOf": [
    {"type": "string", "description": "A listed condition's name or synonym (\"pregnant\")"},
    {"type": "object", "properties": {"text": {"type": "string", "maxLength": 300}}, "required": ["text"],
     "description": "A condition told in words, kept as the patient said it"},
]}


class ConditionItem(ma.fields.Field):
    """A condition: a listed name or synonym, or {"text": "…"} for one told in words."""

    default_error_messages = {"invalid": 'Give a condition\'s name or synonym, or {"text": "…"}.'}

    def __init__(self, **kwargs):
        super().__init__(metadata=CONDITION_ITEM, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value.strip():
            return Text(max_length=120)._deserialize(value, attr, data, **kwargs)
        if isinstance(value, dict) and set(value) == {"text"} and isinstance(value["text"], str):
            return {"text": Text(max_length=300)._deserialize(value["text"], attr, data, **kwargs)}
        raise self.make_error("invalid")


class MatchSchema(ma.Schema):
    kind = ma.fields.String(required=True, metadata={"description": "substance or group"})
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


VERIFICATION = "unconfirmed, confirmed (the default), refuted or entered-in-error; refuted and entered-in-error are " \
               "kept and never block"


class AllergyCertainty(ma.Schema):
    """The FHIR fields of an allergy as it comes in."""

    clinical_status = ma.fields.String(validate=one_of(CLINICAL_STATUSES, "clinical status"), metadata={
        "description": "active, inactive or resolved (FHIR clinicalStatus); `status` is the same field"})
    verification_status = ma.fields.String(validate=one_of(VERIFICATION_STATUSES, "verification status"),
                                           load_default=VerificationStatus.CONFIRMED,
                                           metadata={"description": VERIFICATION})
    type = ma.fields.String(allow_none=True, validate=one_of(ALLERGY_TYPES, "allergy type"),
                            metadata={"description": "allergy or intolerance"})
    category = ma.fields.String(allow_none=True, validate=one_of(ALLERGY_CATEGORIES, "allergy category"),
                                metadata={"description": "medication, food, environment or biologic"})
    onset = Day(allow_none=True, metadata={"description": "When it began (not in the future)"})


class AllergyIn(AllergyCertainty):
    substance = Text(max_length=300, metadata={"description": "A substance's name or synonym"})
    group = Text(max_length=300, metadata={"description": "An allergen group's name or synonym"})
    text = Text(max_length=300, metadata={
        "description": "Free text when nothing fits; coded like the browser's form when it names a "
                       "substance or group, else kept as free text (the check flags it for review)",
    })
    criticality = ma.fields.String(required=True, validate=one_of(CRITICALITIES, "criticality"))
    reaction = Text(load_default="", max_length=2000)
    status = ma.fields.String(load_default=ClinicalStatus.ACTIVE, validate=one_of(CLINICAL_STATUSES, "status"))


class AllergyPatch(AllergyIn):
    """An allergy in a PATCH: with `id`, an existing allergy whose status changes; without, a new one."""

    id = Id(metadata={"description": "An allergy of this patient; only its `status` can change"})
    criticality = ma.fields.String(
        validate=one_of(CRITICALITIES, "criticality"), metadata={"description": "Required for a new allergy"}
    )
    reaction = Text(max_length=2000)
    status = ma.fields.String(validate=one_of(CLINICAL_STATUSES, "status"),
                              metadata={"description": "active, inactive or resolved; new allergies: active"})
    verification_status = ma.fields.String(validate=one_of(VERIFICATION_STATUSES, "verification status"),
                                           metadata={"description": VERIFICATION + "; new allergies: confirmed"})


class PatientIn(ma.Schema):
    name = Text(required=True)
    date_of_birth = Day(required=True, pattern=BIRTH_YEARS, metadata={"description": BORN})
    reference = Text(load_default=None, allow_none=True, max_length=40,
                     metadata={"description": "The clinic's own patient number; unique"})
    skin_type = ma.fields.String(load_default="", validate=one_of(["", *SKIN_TYPES], "skin type"),
                                 metadata={"description": "Fitzpatrick I–VI, or empty"})
    notes = Text(load_default="", max_length=5000)
    allergy_status = ma.fields.String(
        required=True, validate=one_of(ALLERGY_STATUSES, "allergy status"),
        metadata={"description": "unknown: never asked; none-known: asked, none reported; recorded"},
    )
    allergies = ma.fields.List(ma.fields.Nested(AllergyIn), load_default=list)
    conditions = ma.fields.List(ConditionItem(), load_default=list, metadata={
        "description": "Listed conditions by name or synonym (\"pregnant\"), or {\"text\": …} for one told in words"})


class PatientPatch(ma.Schema):
    """Only the fields given change; `conditions`, when given, replaces the list."""

    name = Text(blank=False)
    date_of_birth = Day(allow_none=True, pattern=BIRTH_YEARS, metadata={"description": BORN})
    reference = Text(allow_none=True, max_length=40)
    skin_type = ma.fields.String(validate=one_of(["", *SKIN_TYPES], "skin type"))
    notes = Text(max_length=5000)
    allergy_status = ma.fields.String(validate=one_of(ALLERGY_STATUSES, "allergy status"))
    allergies = ma.fields.List(ma.fields.Nested(AllergyPatch), metadata={
        "description": "Allergies to add (no `id`) and status changes of recorded ones (`id` and `status`); "
                       "allergies are never deleted",
    })
    conditions = ma.fields.List(ConditionItem(), metadata={
        "description": "The whole new list: names or synonyms, or {\"text\": …}"})


class AllergySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    substance = ma.fields.String(allow_none=True, metadata={"description": "The substance it is coded to"})
    group = ma.fields.String(allow_none=True, metadata={"description": "The allergen group it is coded to"})
    text = ma.fields.String(allow_none=True, metadata={"description": "Free text matched to nothing"})
    criticality = ma.fields.String(required=True, validate=ma.validate.OneOf(CRITICALITIES))
    reaction = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(CLINICAL_STATUSES))
    clinical_status = ma.fields.String(required=True, validate=ma.validate.OneOf(CLINICAL_STATUSES),
                                       metadata={"description": "The same as `status` (FHIR clinicalStatus)"})
    verification_status = ma.fields.String(required=True, validate=ma.validate.OneOf(VERIFICATION_STATUSES))
    type = ma.fields.String(allow_none=True)
    category = ma.fields.String(allow_none=True)
    onset = ma.fields.Date(allow_none=True)
    matches = ma.fields.List(ma.fields.Nested(MatchSchema), metadata={
        "description": "Free text only: the substances and groups its words name (read, never coded)"})
    ambiguous = ma.fields.List(ma.fields.String(), metadata={
        "description": "Free text only: words that could mean more than one thing, not read"})
    recorded_at = ma.fields.DateTime(required=True)
    recorded_by = ma.fields.String(allow_none=True, metadata={"description": "Username"})


class PatientIdentitySchema(ma.Schema):
    """What every answer about a patient holds: who they are and their allergy history."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    date_of_birth = ma.fields.Date(allow_none=True)
    reference = ma.fields.String(allow_none=True)
    skin_type = ma.fields.String(required=True)
    allergy_status = ma.fields.String(required=True, validate=ma.validate.OneOf(ALLERGY_STATUSES))


class PatientSchema(PatientIdentitySchema):
    notes = ma.fields.String(required=True)
    allergies = ma.fields.List(ma.fields.Nested(AllergySchema), required=True)
    conditions = ma.fields.List(ConditionItem(), required=True)
    created_at = ma.fields.DateTime(required=True)


class PatientSummarySchema(PatientIdentitySchema):
    active_allergies = ma.fields.Integer(required=True, metadata={"description": "How many are active"})


class PatientQuery(PageArgs):
    q = Text(metadata={"description": "Part of the name or reference, a date (YYYY-MM-DD) or year of birth"})
