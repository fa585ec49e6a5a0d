"""API: the pre-session check, and sessions planned, checked and administered.

A check answers the same findings as the session page, because both run check_patient and keep
it with keep_check (record_check). Answers hold clinical detail: none may be cached.
"""

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy.orm import joinedload

from formulary.api.answers import api_user, load_or_404, refuse, refuse_fields
from formulary.api.blueprint import ApiBlueprint, ErrorSchema, allowed, links
from formulary.api.schemas import Appointment, Day, Id, Quantity, Text
from formulary.auth.models import User
from formulary.auth.permissions import Permission
from formulary.clinic_time import NoSuchLocalTime, appointment_text, clinic_appointment, clinic_today
from formulary.cocktails.models import Cocktail
from formulary.db import reads_first, writes_after_reading
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.patients.records import audit_allergy_page, audit_allergy_view
from formulary.safety.messages import describe
from formulary.stock.errors import InsufficientStock
from formulary.treatments.checks import (
    MIN_OVERRIDE_REASON,
    check_patient,
    findings_as_dicts,
    keep_check,
    stored_findings,
)
from formulary.treatments.display import blocked_message
from formulary.treatments.models import SafetyCheck, TreatmentSession
from formulary.treatments.queries import load_session
from formulary.treatments.sessions import CheckBlocked, SessionError, administer, check_session, plan_session
from formulary.vocabulary import FindingPlace

blp = ApiBlueprint("api_sessions", __name__, description="The pre-session check and treatment sessions")

FINDING_EXTRAS = ("substance", "product_id", "lot_id")


class FindingSchema(ma.Schema):
    kind = ma.fields.String(required=True, metadata={"description": "allergy, cross-reaction, text-match, "
                                                     "unmatched-allergy, allergy-history-unknown, condition, "
                                                     "contraindication, stock or dose"})
    severity = ma.fields.String(required=True, metadata={"description": "block, caution or info"})
    message = ma.fields.String(required=True, metadata={"description": "The sentence a practitioner reads"})
    path = ma.fields.List(ma.fields.String(), required=True, metadata={
        "description": "What explains it: allergy → substance → product → component, or product → lot → reason"})
    substance = ma.fields.String(metadata={"description": "The substance concerned, when there is one"})
    product_id = ma.fields.Integer()
    lot_id = ma.fields.Integer()
    in_ = ma.fields.String(data_key="in", attribute="in", validate=ma.validate.OneOf(list(FindingPlace)), metadata={
        "description": "Where the substance or product is: cocktail (a component) or procedure (a kit item)"})


class CheckSchema(ma.Schema):
    outcome = ma.fields.String(required=True,
                               metadata={"description": "clear, caution or blocked (the worst severity)"})
    findings = ma.fields.List(ma.fields.Nested(FindingSchema), required=True)
    checked = ma.fields.String(metadata={"description": "What the check looked at, as a sentence"})


class CheckIn(ma.Schema):
    patient_id = Id(required=True, strict=True)
    cocktail_id = Id(required=True, strict=True)
    date = Day(required=True, metadata={"description": "The day of the session: stock is checked for that day"})


class SessionIn(ma.Schema):
    patient_id = Id(required=True, strict=True)
    cocktail_id = Id(required=True, strict=True)
    scheduled_for = Appointment(required=True)
    practitioner_id = Id(strict=True, metadata={"description": "Default: the token's user"})


class PlannedSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    cocktail_version = ma.fields.Integer(required=True, metadata={"description": "The version number recorded"})


class DrawSchema(ma.Schema):
    lot_id = ma.fields.Integer(required=True)
    product_id = ma.fields.Integer(required=True)
    administered = Quantity(required=True)
    wasted = Quantity(required=True)


class StoredCheckSchema(CheckSchema):
    id = ma.fields.Integer(required=True)
    checked_for = ma.fields.Date(required=True)
    run_at = ma.fields.DateTime(required=True)
    run_by = ma.fields.String(allow_none=True)
    acknowledged_at = ma.fields.DateTime(allow_none=True)
    acknowledged_by = ma.fields.String(allow_none=True)


class OverrideSchema(ma.Schema):
    check_id = ma.fields.Integer(required=True)
    by = ma.fields.String(required=True)
    at = ma.fields.DateTime(required=True)
    reason = ma.fields.String(required=True)


class SessionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"description": "planned, checked, administered or cancelled"})
    patient_id = ma.fields.Integer(required=True)
    cocktail_id = ma.fields.Integer(required=True)
    cocktail_version = ma.fields.Integer(required=True)
    scheduled_for = ma.fields.String(required=True, metadata={
        "description": "YYYY-MM-DD, or YYYY-MM-DDTHH:MM on the clinic's clock when the session has a time"})
    starts_at = ma.fields.DateTime(allow_none=True, required=True, metadata={
        "description": "The appointment's time in UTC, or null when the session has only a date"})
    course_id = ma.fields.Integer(allow_none=True, required=True, metadata={"description": "The course it belongs to"})
    consent = ma.fields.Dict(allow_none=True, required=True, metadata={
        "description": "{method, signed_at, wording_version} once the patient has signed, else null"})
    practitioner_id = ma.fields.Integer(allow_none=True)
    areas = ma.fields.String(required=True)
    checks = ma.fields.List(ma.fields.Nested(StoredCheckSchema), required=True)
    override = ma.fields.Nested(OverrideSchema, allow_none=True, required=True,
                                metadata={"description": "The latest override, or null"})
    draws = ma.fields.List(ma.fields.Nested(DrawSchema), required=True)


class AdministerIn(ma.Schema):
    acknowledge_caution = ma.fields.Boolean(load_default=False, metadata={
        "description": "The practitioner has read the check's cautions"})
    override_reason = Text(max_length=2000, load_default=None, allow_none=True, metadata={
        "description": f"Overrides a block (roles allowed only); at least a sentence ({MIN_OVERRIDE_REASON}+ "
                       "characters)"})
    areas = Text(max_length=500, load_default="", metadata={"description": "The areas treated, e.g. 'cheeks, neck'"})
    preparation_id = Id(load_default=None, strict=True, metadata={
        "description": "The preparation given (default: the session's waiting one); 409 when it is past its "
                       "use-by or another patient's"})


class AdministeredSchema(ma.Schema):
    status = ma.fields.String(required=True)
    draws = ma.fields.List(ma.fields.Nested(DrawSchema), required=True)


def finding_json(finding: dict) -> dict:
    """A finding as API.md shows it: kind, severity, message and path, with substance, product and lot when set."""
    answer = {key: finding[key] for key in ("kind", "severity", "message")}
    answer["path"] = list(finding.get("path") or ())
    answer.update({key: finding[key] for key in FINDING_EXTRAS if finding.get(key) is not None})
    if finding.get("place"):
        answer["in"] = finding["place"]
    return answer


def check_json(outcome: str, findings: list[dict], checked: str | None = None) -> dict:
    """A check's answer: {outcome, findings} (and what it checked, when known)."""
    answer = {"outcome": outcome, "findings": [finding_json(f) for f in findings]}
    if checked:
        answer["checked"] = checked
    return answer


def stored_check_json(check: SafetyCheck) -> dict:
    """A recorded check, as it was."""
    return {
        **check_json(check.outcome, stored_findings(check)), "id": check.id, "checked_for": check.checked_for,
        "run_at": check.run_at, "run_by": check.run_by.username if check.run_by else None,
        "acknowledged_at": check.acknowledged_at,
        "acknowledged_by": check.acknowledged_by.username if check.acknowledged_by else None,
    }


def draws_json(draws) -> list[dict]:
    """What was drawn from each lot."""
    return [{"lot_id": d.lot_id, "product_id": d.product_id, "administered": d.administered, "wasted": d.wasted}
            for d in draws]


def consent_summary(session: TreatmentSession) -> dict | None:
    """How and when the patient signed the session's consent, or None."""
    consent = session.consent
    if consent is None:
        return None
    return {"method": consent.method, "signed_at": consent.signed_at.isoformat(),
            "wording_version": consent.wording.version}


def session_json(session: TreatmentSession) -> dict:
    """A session with its checks, latest override and draws."""
    overridden = [c for c in session.checks if c.override is not None]
    latest = overridden[-1].override if overridden else None
    return {
        "id": session.id, "status": session.status, "patient_id": session.patient_id,
        "cocktail_id": session.cocktail_version.cocktail_id, "cocktail_version": session.cocktail_version.number,
        "scheduled_for": appointment_text(session.scheduled_for, session.starts_at), "starts_at": session.starts_at,
        "course_id": session.course_id, "consent": consent_summary(session),
        "practitioner_id": session.practitioner_id, "areas": session.areas,
        "checks": [stored_check_json(c) for c in session.checks],
        "override": None if latest is None else {
            "check_id": latest.check_id, "by": latest.by.username, "at": latest.at, "reason": latest.reason,
        },
        "draws": draws_json(session.draws),
    }


def _patient_and_cocktail(body: dict) -> tuple[Patient, Cocktail]:
    patient = db.session.get(Patient, body["patient_id"])
    # With its versions, in the same statement: both callers ask for the current one.
    cocktail = db.session.get(Cocktail, body["cocktail_id"], options=[joinedload(Cocktail.versions)])
    if patient is None or cocktail is None:
        errors = [(f"{what}_id", f"There is no {what} with id {body[f'{what}_id']}.")
                  for what, row in (("patient", patient), ("cocktail", cocktail)) if row is None]
        refuse_fields(422, "", errors)
    return patient, cocktail


def _session_or_404(session_id: int) -> TreatmentSession:
    return load_or_404(load_session, session_id, "session")


@blp.route("/checks")
class Checks(MethodView):
    @reads_first  # outermost, so that the method the view class holds bears the mark
    @allowed(blp, Permission.RUN_CHECKS)
    @blp.arguments(CheckIn)
    @blp.response(200, CheckSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The cocktail is retired")
    def post(self, body):
        """Check a cocktail's current version for a patient on a day; the check is recorded (without a session)."""
        patient, cocktail = _patient_and_cocktail(body)
        if cocktail.retired:
            refuse(409, f"{cocktail.name} is retired: choose another cocktail.", [("cocktail_id", "retired")])
        version_id = cocktail.current.id
        result = check_patient(patient.id, version_id, body["date"])
        # Read without the write lock on SQLite; the check's row and its audit rows in a short transaction.
        with writes_after_reading(db.session):
            keep_check(result, patient.id, version_id, actor=api_user())
            audit_allergy_view(patient, actor=api_user(), where="api check")
        return check_json(result.outcome, findings_as_dicts(result), describe(result))


@blp.route("/sessions")
class Sessions(MethodView):
    @allowed(blp, Permission.RUN_CHECKS)
    @blp.arguments(SessionIn)
    @blp.response(201, PlannedSchema)
    @links(blp, 201, "session_id", GetSession=("get", "/sessions/{session_id}"),
           CheckSession=("post", "/sessions/{session_id}/check"),
           AdministerSession=("post", "/sessions/{session_id}/administer"))
    @blp.alt_response(409, schema=ErrorSchema, description="The cocktail is retired")
    def post(self, body):
        """Plan a session; it records the cocktail's current version."""
        patient, cocktail = _patient_and_cocktail(body)
        practitioner = api_user()
        if body.get("practitioner_id"):
            chosen = db.session.get(User, body["practitioner_id"])
            if chosen is None or not chosen.active:
                message = f"There is no active user with id {body['practitioner_id']}."
                refuse(422, message, [("practitioner_id", message)])
            practitioner = chosen
        day, at = body["scheduled_for"]
        try:
            starts_at = clinic_appointment(day, at) if at is not None else None
        except NoSuchLocalTime as error:
            refuse(422, str(error), [("scheduled_for", str(error))])
        try:
            session = plan_session(patient, cocktail, day, practitioner=practitioner, actor=api_user(),
                                   starts_at=starts_at)
        except SessionError as error:
            refuse(409, str(error), [("cocktail_id", str(error))])
        db.session.commit()
        return {"id": session.id, "status": session.status, "cocktail_version": session.cocktail_version.number}


@blp.route("/sessions/<int:session_id>")
class SessionById(MethodView):
    @allowed(blp, Permission.VIEW_PATIENTS)
    @blp.response(200, SessionSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No session with this id")
    def get(self, session_id):
        """A session with its status, cocktail version, every check, the latest override and the draws."""
        session = _session_or_404(session_id)
        if session.checks:  # the findings speak of the patient's allergies
            audit_allergy_view(session.patient, actor=api_user(), where=f"api session #{session.id}")
            db.session.commit()
        return session_json(session)


@blp.route("/sessions/<int:session_id>/check")
class SessionCheck(MethodView):
    @allowed(blp, Permission.RUN_CHECKS)
    @blp.response(200, CheckSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No session with this id")
    @blp.alt_response(409, schema=ErrorSchema, description="The session is administered or cancelled")
    def post(self, session_id):
        """Run the check for the session's date and keep it on the session; answered as /checks."""
        session = _session_or_404(session_id)
        try:
            result, _row = check_session(session, actor=api_user())
        except SessionError as error:
            refuse(409, str(error))
        audit_allergy_view(session.patient, actor=api_user(), where=f"api session #{session.id} check")
        db.session.commit()
        return check_json(result.outcome, findings_as_dicts(result), describe(result))


def _short(reason: str | None) -> bool:
    text = " ".join((reason or "").split())
    return len(text) < MIN_OVERRIDE_REASON or " " not in text


@blp.route("/sessions/<int:session_id>/administer")
class Administer(MethodView):
    @allowed(blp, Permission.ADMINISTER)
    @blp.arguments(AdministerIn)
    @blp.response(201, AdministeredSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No session with this id")
    @blp.alt_response(409, schema=ErrorSchema, description="Refused by a rule: blocked without an allowed "
                      "override, cautions not acknowledged, not enough stock, or already administered")
    def post(self, body, session_id):
        """Re-run the check, then draw every component by FEFO and record it: all of it, or nothing."""
        session = _session_or_404(session_id)
        actor = api_user()
        reason = body.get("override_reason")
        try:
            draws = administer(session, actor=actor, today=clinic_today(), areas=body["areas"],
                               acknowledge_caution=body["acknowledge_caution"], override_reason=reason,
                               preparation_id=body["preparation_id"])
        except CheckBlocked as error:
            if reason and actor.can(Permission.OVERRIDE_BLOCK) and _short(reason):
                refuse(422, str(error), [("override_reason", str(error))])
            message = blocked_message(session, str(error))
            # The refusal names what blocks; its rollback must not take the view's row with it.
            db.session.rollback()
            audit_allergy_page(session.patient, actor=actor, where=f"api session #{session_id} refused")
            refuse(409, message)
        except SessionError as error:
            refuse(409, str(error), [(error.field, str(error))] if error.field else ())
        except InsufficientStock as error:
            refuse(409, f"{error} Nothing was drawn.")
        db.session.commit()
        return {"status": session.status, "draws": draws_json(draws)}, 201
