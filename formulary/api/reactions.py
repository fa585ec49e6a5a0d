"""API: a reaction noticed after an administered session, which can record the allergy in one step.

A session with a reaction no longer counts as tolerated (treatments.checks.tolerated_facts), so an
API client that administers sessions must be able to say so.
"""

import marshmallow as ma
from flask.views import MethodView

from formulary.api.answers import api_user, get_or_404, refuse_fields
from formulary.api.blueprint import ApiBlueprint, ErrorSchema, allowed
from formulary.api.patient_schemas import AllergySchema
from formulary.api.patients import allergy_json
from formulary.api.schemas import Text, one_of
from formulary.auth.permissions import Permission
from formulary.extensions import db
from formulary.patients.models import CRITICALITIES
from formulary.patients.records import PatientError, audit_allergy_view
from formulary.treatments.models import TreatmentSession
from formulary.treatments.sessions import SessionError, record_reaction
from formulary.vocabulary import AllergyKind, Criticality, ReactionSeverity, SessionStatus

blp = ApiBlueprint("api_reactions", __name__, description="Reactions noticed after a session")


class ReactionIn(ma.Schema):
    description = Text(required=True, blank=False, max_length=2000, metadata={"example": "Hives on both cheeks"})
    severity = ma.fields.String(required=True, validate=one_of(list(ReactionSeverity), "severity"))
    substance = Text(max_length=300, metadata={
        "description": "The substance it is put down to (name or synonym): recorded as the patient's allergy"})
    group = Text(max_length=300, metadata={
        "description": "Or the allergen group it is put down to: recorded as the patient's allergy"})
    criticality = ma.fields.String(load_default=Criticality.HIGH, validate=one_of(CRITICALITIES, "criticality"),
                                   metadata={"description": "Of the allergy recorded from it (default high)"})


class ReactionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    session_id = ma.fields.Integer(required=True)
    description = ma.fields.String(required=True)
    severity = ma.fields.String(required=True, validate=ma.validate.OneOf(list(ReactionSeverity)))
    noted_at = ma.fields.DateTime(required=True)
    noted_by = ma.fields.String(allow_none=True, metadata={"description": "Username"})
    allergy = ma.fields.Nested(AllergySchema, allow_none=True, metadata={
        "description": "The allergy recorded from it, when substance or group was given"})


@blp.route("/sessions/<int:session_id>/reactions")
class SessionReactions(MethodView):
    @allowed(blp, Permission.ADMINISTER)
    @blp.arguments(ReactionIn)
    @blp.response(201, ReactionSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No session with this id")
    def post(self, body, session_id):
        """Record a reaction on an administered session; naming a substance or group records the allergy too."""
        session = get_or_404(TreatmentSession, session_id, "session")
        if session.status != SessionStatus.ADMINISTERED:
            refuse_fields(422, "The reaction was not recorded.", [(
                "session_id", f"Session {session.id} is {session.status}: a reaction is recorded on an "
                              f"administered session.")])
        if body.get("substance") and body.get("group"):
            refuse_fields(422, "The reaction was not recorded.",
                          [("group", "Give substance or group, not both.")])
        kind = AllergyKind.SUBSTANCE if body.get("substance") else AllergyKind.GROUP if body.get("group") else None
        user = api_user()
        try:
            reaction = record_reaction(
                session, body["description"], actor=user, severity=body["severity"],
                allergen=body.get(kind) if kind else None, criticality=body["criticality"], allergen_kind=kind)
        except PatientError as error:
            errors = [(kind if field == "allergen" and kind else field, message) for field, message in error.errors]
            refuse_fields(422, "The reaction was not recorded.", errors)
        except SessionError as error:
            refuse_fields(422, "The reaction was not recorded.", [(error.field or "session_id", str(error))])
        if reaction.allergy is not None:  # the answer shows an allergy: audited like every such answer
            audit_allergy_view(session.patient, actor=user, where="api")
        db.session.commit()
        return {
            "id": reaction.id, "session_id": session.id, "description": reaction.description,
            "severity": reaction.severity, "noted_at": reaction.noted_at,
            "noted_by": user.username,
            "allergy": allergy_json(reaction.allergy) if reaction.allergy is not None else None,
        }
