"""API: patients with their allergies and conditions.

A patient and their allergies are written in one transaction: one refused value and nothing
is saved. Every answer that shows a patient's allergies (POST, GET and PATCH of one patient) is
recorded in the audit trail, and no answer may be cached.
"""

from flask.views import MethodView

from formulary.api.answers import api_user, load_or_404, paginate, refuse_fields
from formulary.api.blueprint import ApiBlueprint, ErrorSchema, allowed, links
from formulary.api.patient_schemas import (
    ALLERGEN_KINDS,
    PATIENT_FIELDS,
    PatientIn,
    PatientPatch,
    PatientQuery,
    PatientSchema,
    PatientSummarySchema,
)
from formulary.api.schemas import list_schema
from formulary.auth.permissions import Permission
from formulary.extensions import db
from formulary.patients.certainty import certainty_problems
from formulary.patients.models import Allergy, Patient
from formulary.patients.queries import active_allergy_counts, load_patient, patient_query
from formulary.patients.reading import matches_json, read_allergy
from formulary.patients.records import (
    AllergyData,
    PatientData,
    PatientError,
    add_allergy,
    allergen_problem,
    audit_allergy_view,
    contradictions,
    create_patient,
    set_allergy_status,
    update_patient,
)
from formulary.vocabulary import AllergyKind, ClinicalStatus, VerificationStatus

blp = ApiBlueprint("api_patients", __name__, description="Patients with their allergies and conditions")


def allergy_json(allergy: Allergy) -> dict:
    """An allergy as the API answers it; free text with what its words name (`matches`), never coded."""
    answer = {
        "id": allergy.id, "substance": allergy.substance.name if allergy.substance else None,
        "group": allergy.group.name if allergy.group else None, "text": allergy.text,
        "criticality": allergy.criticality, "reaction": allergy.reaction, "status": allergy.status,
        "clinical_status": allergy.status, "verification_status": allergy.verification_status,
        "type": allergy.type, "category": allergy.category, "onset": allergy.onset,
        "recorded_at": allergy.recorded_at,
        "recorded_by": allergy.recorded_by.username if allergy.recorded_by else None,
    }
    if allergy.text is not None:
        mentions = read_allergy(allergy.text)
        answer["matches"] = matches_json(mentions)
        answer["ambiguous"] = list(mentions.ambiguous)
    return answer


def conditions_json(patient: Patient) -> list:
    """The patient's conditions: listed ones by name, then those told in words as {"text": …}."""
    names: list = sorted((pc.condition.name for pc in patient.conditions), key=str.casefold)
    return names + [{"text": told.text} for told in patient.condition_texts]


def identity_json(patient: Patient) -> dict:
    """Who the patient is and their allergy history, as every answer about a patient holds it."""
    return {
        "id": patient.id, "name": patient.name, "date_of_birth": patient.date_of_birth,
        "reference": patient.reference, "skin_type": patient.skin_type, "allergy_status": patient.allergy_status,
    }


def patient_json(patient: Patient) -> dict:
    """A patient with allergies and conditions, as the API answers it."""
    return {
        **identity_json(patient), "notes": patient.notes, "created_at": patient.created_at,
        "allergies": [allergy_json(allergy) for allergy in patient.allergies],
        "conditions": conditions_json(patient),
    }


# --- writing --------------------------------------------------------------------------------

def _allergy(index: int, item: dict, errors: list) -> AllergyData | None:
    """An allergy of the body as the patients service takes it (None when its shape is wrong); what is
    wrong with it goes to `errors`."""
    if "criticality" not in item:
        errors.append((f"allergies.{index}.criticality", "Missing data for required field."))
    given = [kind for kind in ALLERGEN_KINDS if item.get(kind) is not None]
    if len(given) != 1:
        errors.append((f"allergies.{index}", "Give exactly one of substance, group or text."))
        return None
    kind = given[0]
    status = _clinical_status(index, item, errors) or ClinicalStatus.ACTIVE
    data = AllergyData(allergen=item[kind], criticality=item.get("criticality", ""),
                       reaction=item.get("reaction", ""), status=status,
                       kind=None if kind == AllergyKind.TEXT else kind,
                       verification_status=item.get("verification_status") or VerificationStatus.CONFIRMED,
                       type=item.get("type"), category=item.get("category"), onset=item.get("onset"))
    errors += [(f"allergies.{index}.{field}", message) for field, message in certainty_problems(
        None, None, onset=data.onset)]
    if problem := allergen_problem(data):
        errors.append((f"allergies.{index}.{kind}", problem))
    return data


def _clinical_status(index: int, item: dict, errors: list) -> str | None:
    """The clinical status, sent as `status` or as `clinical_status` (the same field): both must agree."""
    status, clinical = item.get("status"), item.get("clinical_status")
    if status and clinical and status != clinical:
        errors.append((f"allergies.{index}.clinical_status",
                       f"`status` ({status}) and `clinical_status` ({clinical}) are the same field: send one."))
    return clinical or status


def _patient_or_404(patient_id: int) -> Patient:
    """The patient with allergies and conditions loaded, or a 404."""
    return load_or_404(load_patient, patient_id, "patient")


def _record(patient: Patient, index: int, item: dict, data: AllergyData) -> Allergy:
    """Add one allergy; a refusal names its place in the list."""
    try:
        return add_allergy(patient, data, actor=api_user())
    except PatientError as error:
        kind = next((k for k in ALLERGEN_KINDS if item.get(k) is not None), AllergyKind.TEXT)
        errors = [(f"allergies.{index}.{kind if f == 'allergen' else f}", m) for f, m in error.errors]
        refuse_fields(422, "Nothing was saved.", errors)


@blp.route("/patients")
class Patients(MethodView):
    @allowed(blp, Permission.VIEW_PATIENTS)
    @blp.arguments(PatientQuery, location="query")
    @blp.response(200, list_schema("PatientList", PatientSummarySchema))
    def get(self, args):
        """Patients by name; q finds a part of the name or reference, or a date or year of birth.

        Items are summaries (allergy status and the number of active allergies): a patient's
        allergies themselves are answered, and audited, by GET /patients/{id}.
        """
        patients, total = paginate(patient_query(args.get("q", "")), args)
        counts = active_allergy_counts(p.id for p in patients)
        items = [{**identity_json(p), "active_allergies": counts.get(p.id, 0)} for p in patients]
        return {"items": items, "total": total}

    @allowed(blp, Permission.EDIT_PATIENTS)
    @blp.arguments(PatientIn)
    @blp.response(201, PatientSchema)
    @links(blp, 201, "patient_id", GetPatient=("get", "/patients/{patient_id}"),
           ChangePatient=("patch", "/patients/{patient_id}"))
    def post(self, body):
        """Add a patient with allergies and conditions; one refused value and nothing is saved.

        Each allergy names exactly one of `substance` or `group` (a name or synonym from the
        catalogue; an unknown one is refused) or `text`: a text that is exactly a name or synonym is
        coded, an ambiguous word ("water", "HA") or a sentence is kept as free text and answered with
        `matches`, what its words name, for the user to accept. An active allergy (not refuted or
        entered in error) makes the allergy status "recorded"; "none-known" with one is refused.
        """
        items = body.pop("allergies")
        errors: list[tuple[str, str]] = []
        allergies = [_allergy(index, item, errors) for index, item in enumerate(items)]
        errors += contradictions(body["allergy_status"], [a for a in allergies if a is not None])
        try:
            patient = create_patient(PatientData(**body), actor=api_user())
        except PatientError as error:
            errors = error.errors + errors
        if errors:
            refuse_fields(422, "The patient was not added.", errors)
        for index, (item, data) in enumerate(zip(items, allergies, strict=True)):
            if data is not None:  # always here: _allergy returns None only with an error, refused above
                _record(patient, index, item, data)
        audit_allergy_view(patient, actor=api_user(), where="api")
        db.session.commit()
        return patient_json(_patient_or_404(patient.id))


@blp.route("/patients/<int:patient_id>")
class PatientById(MethodView):
    @allowed(blp, Permission.VIEW_PATIENTS)
    @blp.response(200, PatientSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No patient with this id")
    def get(self, patient_id):
        """One patient with allergies and conditions; the view is recorded in the audit trail."""
        patient = _patient_or_404(patient_id)
        audit_allergy_view(patient, actor=api_user(), where="api")
        db.session.commit()
        return patient_json(patient)

    @allowed(blp, Permission.EDIT_PATIENTS)
    @blp.arguments(PatientPatch)
    @blp.response(200, PatientSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No patient with this id")
    def patch(self, body, patient_id):
        """Change the fields given; add allergies and change recorded allergies' status, all or nothing.

        In `allergies`, an item with `id` sets that allergy's `status` (nothing else of a
        recorded allergy changes, and nothing is deleted); an item without `id` is a new
        allergy, as in POST. Status changes apply before the patient's fields, so resolving
        the last active allergy and setting "none-known" can go in one request.
        """
        patient = _patient_or_404(patient_id)
        errors: list[tuple[str, str]] = []
        changes, additions = [], []
        for index, item in enumerate(body.get("allergies", [])):
            if "id" in item:
                changes.append(self._change(patient, index, item, errors))
            else:
                additions.append((index, item, _allergy(index, item, errors)))
        errors += contradictions(body.get("allergy_status"), [data for _i, _item, data in additions if data])
        if errors:
            refuse_fields(422, "Nothing was saved.", errors)
        actor = api_user()
        for allergy, status, verification in changes:
            set_allergy_status(allergy, status, actor=actor, verification_status=verification)
        if any(name in body for name in PATIENT_FIELDS):
            current = {name: getattr(patient, name) for name in PATIENT_FIELDS if name != "conditions"}
            current["conditions"] = conditions_json(patient)
            current.update((name, body[name]) for name in PATIENT_FIELDS if name in body)
            try:
                update_patient(patient, PatientData(**current), actor=actor)
            except PatientError as error:
                refuse_fields(422, "Nothing was saved.", error.errors)
        for index, item, data in additions:
            if data is not None:  # always here: _allergy returns None only with an error, refused above
                _record(patient, index, item, data)
        audit_allergy_view(patient, actor=actor, where="api")
        db.session.commit()
        return patient_json(_patient_or_404(patient_id))

    @staticmethod
    def _change(patient: Patient, index: int, item: dict, errors: list):
        allergy = next((a for a in patient.allergies if a.id == item["id"]), None)
        if allergy is None:
            errors.append((f"allergies.{index}.id", f"This patient has no allergy with id {item['id']}."))
        status = _clinical_status(index, item, errors)
        if status is None and "verification_status" not in item:
            errors.append((f"allergies.{index}.status", "Give the allergy's new status or verification status."))
        extra = sorted(set(item) - {"id", "status", "clinical_status", "verification_status"})
        if extra:
            errors.append((f"allergies.{index}", f"Only the statuses of a recorded allergy can change (got "
                                                 f"{', '.join(extra)}); record a new allergy instead."))
        return allergy, status, item.get("verification_status")
