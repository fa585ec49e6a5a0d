"""API: a patient's allergies as HL7 FHIR R4 AllergyIntolerance resources, out (a Bundle) and in.

Read in, each resource is recorded through the patient API's own rules (patients.records.add_allergy):
free text is matched as any typed allergy is, never silently coded. One refused resource and nothing
is recorded.
"""

import json

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView
from sqlalchemy import select

from formulary.api.answers import api_user, load_or_404, refuse_fields
from formulary.api.blueprint import ApiBlueprint, ErrorSchema, allowed
from formulary.auth.permissions import Permission
from formulary.catalogue.models import Substance
from formulary.extensions import db
from formulary.patients.fhir import FHIR_JSON, IncomingAllergy, allergy_resource, bundle, read_resources
from formulary.patients.models import Patient
from formulary.patients.queries import load_patient
from formulary.patients.records import AllergyData, PatientError, add_allergy, allergen_problem, audit_allergy_view
from formulary.vocabulary import AllergyKind

blp = ApiBlueprint("api_fhir", __name__, description="HL7 FHIR R4 exchange of a patient's allergies "
                                                     "(AllergyIntolerance), as application/fhir+json")


# --- the documented shapes (FHIR R4 names; only what formulary writes, any other element read) -------

class Coding(ma.Schema):
    system = ma.fields.String()
    code = ma.fields.String()
    display = ma.fields.String()


class CodeableConcept(ma.Schema):
    coding = ma.fields.List(ma.fields.Nested(Coding))
    text = ma.fields.String()


class Reference(ma.Schema):
    reference = ma.fields.String()
    display = ma.fields.String()


class ReactionOut(ma.Schema):
    manifestation = ma.fields.List(ma.fields.Nested(CodeableConcept), required=True)
    description = ma.fields.String()


class AllergyIntoleranceOut(ma.Schema):
    resourceType = ma.fields.String(required=True, validate=ma.validate.Equal("AllergyIntolerance"))  # noqa: N815
    id = ma.fields.String(required=True)
    clinicalStatus = ma.fields.Nested(CodeableConcept, metadata={  # noqa: N815
        "description": "active, inactive or resolved; absent when entered-in-error"})
    verificationStatus = ma.fields.Nested(CodeableConcept, required=True)  # noqa: N815
    type = ma.fields.String(metadata={"description": "allergy or intolerance"})
    category = ma.fields.List(ma.fields.String(), metadata={"description": "medication, food, environment, biologic"})
    criticality = ma.fields.String(required=True)
    code = ma.fields.Nested(CodeableConcept, required=True, metadata={
        "description": "The allergen: a UNII coding where the library has one, its name as text always"})
    patient = ma.fields.Nested(Reference, required=True)
    onsetDateTime = ma.fields.String()  # noqa: N815
    recordedDate = ma.fields.String(required=True)  # noqa: N815
    recorder = ma.fields.Nested(Reference)
    reaction = ma.fields.List(ma.fields.Nested(ReactionOut))


class SearchOut(ma.Schema):
    mode = ma.fields.String()


class EntryOut(ma.Schema):
    fullUrl = ma.fields.String(required=True)  # noqa: N815
    resource = ma.fields.Nested(AllergyIntoleranceOut, required=True)
    search = ma.fields.Nested(SearchOut)


class BundleOut(ma.Schema):
    resourceType = ma.fields.String(required=True, validate=ma.validate.Equal("Bundle"))  # noqa: N815
    type = ma.fields.String(required=True, metadata={"description": "searchset (GET) or collection (POST)"})
    total = ma.fields.Integer()
    entry = ma.fields.List(ma.fields.Nested(EntryOut), required=True)


class FhirIn(ma.Schema):
    """An AllergyIntolerance, or a Bundle whose entries' resources are AllergyIntolerance (R4 JSON)."""

    class Meta:
        unknown = ma.INCLUDE  # FHIR resources carry many more elements (identifier, note, meta …)

    resourceType = ma.fields.String(  # noqa: N815
        required=True, validate=ma.validate.OneOf(["AllergyIntolerance", "Bundle"]))


# --- answering --------------------------------------------------------------------------------------

def _fhir_answer(document: dict, status: int):
    return current_app.response_class(json.dumps(document, ensure_ascii=False), status=status, mimetype=FHIR_JSON)


def _codes(patient: Patient) -> dict[int, str]:
    ids = [allergy.substance_id for allergy in patient.allergies if allergy.substance_id]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Substance.id, Substance.unii).where(Substance.id.in_(ids), Substance.unii.is_not(None)))
    return {substance_id: unii for substance_id, unii in rows if unii}


def _resources(patient: Patient, allergies) -> list[dict]:
    codes = _codes(patient)
    return [allergy_resource(a, patient, unii=codes.get(a.substance_id or 0)) for a in allergies]


def _by_unii(code: str) -> str | None:
    return db.session.scalar(select(Substance.name).where(Substance.unii == code.strip().upper()))


def _data(incoming: IncomingAllergy) -> AllergyData:
    return AllergyData(allergen=incoming.text, criticality=incoming.criticality, reaction=incoming.reaction,
                       status=incoming.status, kind=AllergyKind.SUBSTANCE if incoming.substance else None)


def _record(patient: Patient, incoming: list[IncomingAllergy]) -> list:
    """Record every allergy read in, or none: each refusal names its place in the document."""
    problems = [(f"{i.at}code", problem) for i in incoming if (problem := allergen_problem(_data(i)))]
    if problems:
        refuse_fields(422, "Nothing was recorded.", problems)
    rows = []
    for item in incoming:
        try:
            allergy = add_allergy(patient, _data(item), actor=api_user())
        except PatientError as error:
            refuse_fields(422, "Nothing was recorded.", [(f"{item.at}{'code' if f == 'allergen' else f}", m)
                                                         for f, m in error.errors])
        # The FHIR certainty fields, as the resource said them.
        allergy.verification_status = item.verification_status
        allergy.type, allergy.category, allergy.onset = item.type, item.category, item.onset
        rows.append(allergy)
    db.session.flush()
    return rows


@blp.route("/patients/<int:patient_id>/allergy-intolerances")
class AllergyIntolerances(MethodView):
    @allowed(blp, Permission.VIEW_PATIENTS)
    @blp.response(200, BundleOut, content_type=FHIR_JSON)
    @blp.alt_response(404, schema=ErrorSchema, description="No patient with this id")
    def get(self, patient_id):
        """The patient's allergies as a FHIR R4 searchset Bundle of AllergyIntolerance (application/fhir+json)."""
        patient = load_or_404(load_patient, patient_id, "patient")
        audit_allergy_view(patient, actor=api_user(), where="api (FHIR)")
        db.session.commit()
        return _fhir_answer(bundle(_resources(patient, patient.allergies), f"{request.base_url}"), 200)

    @allowed(blp, Permission.EDIT_PATIENTS)
    @blp.arguments(FhirIn)
    @blp.response(201, BundleOut, content_type=FHIR_JSON)
    @blp.alt_response(404, schema=ErrorSchema, description="No patient with this id")
    def post(self, document, patient_id):
        """Record an AllergyIntolerance, or a Bundle of them, for this patient (all or nothing).

        A resource for another patient, one without a code or text, or with an unknown verification
        status: 422 naming the field (`entry.N.resource.…` in a Bundle), nothing recorded. A UNII code the
        library holds codes the allergy to that substance; any other code comes in as its text.
        """
        patient = load_or_404(load_patient, patient_id, "patient")
        incoming, errors = read_resources(document, patient.id, _by_unii)
        if errors:
            refuse_fields(422, "Nothing was recorded.", errors)
        rows = _record(patient, incoming)
        audit_allergy_view(patient, actor=api_user(), where="api (FHIR)")
        db.session.commit()
        return _fhir_answer(bundle(_resources(patient, rows), request.base_url, kind="collection"), 201)
