"""API: a session's consent, signed on screen (the signature as a PNG) or recorded as signed on paper."""

import base64
import binascii

import marshmallow as ma
from flask.views import MethodView

from formulary.api.answers import api_user, load_or_404, refuse
from formulary.api.blueprint import ApiBlueprint, ErrorSchema, allowed
from formulary.auth.permissions import Permission
from formulary.extensions import db
from formulary.treatments.consent import ConsentRefused, record_consent
from formulary.treatments.queries import load_session
from formulary.vocabulary import ConsentMethod

blp = ApiBlueprint("api_consent", __name__, description="A session's consent, signed before administering")


class ConsentIn(ma.Schema):
    method = ma.fields.String(required=True, validate=ma.validate.OneOf(list(ConsentMethod)),
                              metadata={"description": "on-screen (with signature_png) or paper"})
    signature_png = ma.fields.String(load_default=None, allow_none=True, metadata={
        "format": "byte", "description": "on-screen: the drawn signature, a PNG as base64 (a data: URL prefix "
                                         "is accepted); paper: ignored"})


class ConsentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    session_id = ma.fields.Integer(required=True)
    method = ma.fields.String(required=True)
    signed_at = ma.fields.DateTime(required=True)
    wording_version = ma.fields.Integer(required=True, metadata={"description": "The wording signed under"})


def _png(text: str | None) -> bytes | None:
    """The PNG bytes of a base64 text (or a data URL); a clear 422 when it is not base64."""
    if not text:
        return None
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        message = "signature_png is not valid base64."
        refuse(422, message, [("signature_png", message)])


@blp.route("/sessions/<int:session_id>/consent")
class SessionConsent(MethodView):
    @allowed(blp, Permission.RUN_CHECKS)
    @blp.arguments(ConsentIn)
    @blp.response(201, ConsentSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No session with this id")
    @blp.alt_response(409, schema=ErrorSchema, description="Already signed, or the session is administered or "
                      "cancelled")
    def post(self, body, session_id):
        """Record the patient's consent for the session; the document as generated now is kept with it."""
        session = load_or_404(load_session, session_id, "session")
        try:
            on_screen = body["method"] == ConsentMethod.ON_SCREEN
            consent = record_consent(session, body["method"], actor=api_user(),
                                     signature_png=_png(body["signature_png"]) if on_screen else None)
        except ConsentRefused as error:
            status = 422 if error.field in ("signature_png", "method") else 409
            refuse(status, str(error), [(error.field, str(error))] if error.field else ())
        db.session.commit()
        return {"id": consent.id, "session_id": session.id, "method": consent.method,
                "signed_at": consent.signed_at, "wording_version": consent.wording.version}, 201
