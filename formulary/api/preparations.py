"""API: preparing a session's cocktail into syringes, its label, and wasting a preparation."""


import marshmallow as ma
from flask import Response, current_app
from flask.views import MethodView

from formulary.api.answers import api_user, get_or_404, refuse
from formulary.api.blueprint import ApiBlueprint, ErrorSchema, allowed
from formulary.api.schemas import Quantity, Text
from formulary.auth.permissions import Permission
from formulary.clinic_time import clinic_today
from formulary.extensions import db
from formulary.stock.errors import InsufficientStock
from formulary.treatments.display import blocked_message
from formulary.treatments.label_content import label_content
from formulary.treatments.labels import DEFAULT_SIZE, SIZES, pdf, png
from formulary.treatments.models import TreatmentSession
from formulary.treatments.preparation_models import Preparation
from formulary.treatments.preparations import MAX_SYRINGES, prepare, waste_preparation
from formulary.treatments.sessions import CheckBlocked, SessionError

blp = ApiBlueprint("api_preparations", __name__, description="Preparations (syringes) and their labels")


class PreparationIn(ma.Schema):
    syringes = ma.fields.Integer(load_default=1, strict=True, validate=ma.validate.Range(1, MAX_SYRINGES))
    acknowledge_caution = ma.fields.Boolean(load_default=False)
    override_reason = Text(max_length=2000, load_default=None, allow_none=True)


class PreparationDrawSchema(ma.Schema):
    lot_id = ma.fields.Integer(required=True)
    unit_id = ma.fields.Integer(metadata={"description": "The opened unit (vial) drawn from or opened"})
    amount = Quantity(required=True)


class PreparationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    prepared_at = ma.fields.DateTime(required=True)
    use_by = ma.fields.DateTime(required=True)
    draws = ma.fields.List(ma.fields.Nested(PreparationDrawSchema), required=True)


class WasteIn(ma.Schema):
    reason = Text(required=True, max_length=1000)


class LabelQuery(ma.Schema):
    size = ma.fields.String(load_default=DEFAULT_SIZE, validate=ma.validate.OneOf(list(SIZES)))


def preparation_json(preparation: Preparation) -> dict:
    """A preparation as the API answers it."""
    draws = []
    for d in preparation.draws:
        draw = {"lot_id": d.lot_id, "amount": d.amount}
        if d.unit_id is not None:
            draw["unit_id"] = d.unit_id
        draws.append(draw)
    return {"id": preparation.id, "prepared_at": preparation.prepared_at, "use_by": preparation.use_by,
            "draws": draws}


@blp.route("/sessions/<int:session_id>/preparations")
class Preparations(MethodView):
    @allowed(blp, Permission.ADMINISTER)
    @blp.arguments(PreparationIn)
    @blp.response(201, PreparationSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No session with this id")
    @blp.alt_response(409, schema=ErrorSchema, description="Blocked without an allowed override, cautions not "
                      "acknowledged, not enough stock, or a preparation already waiting")
    def post(self, body, session_id):
        """Prepare the session's cocktail: the stock is drawn here (opened vials first), with a use-by."""
        session = get_or_404(TreatmentSession, session_id, "session")
        try:
            preparation = prepare(session, actor=api_user(), today=clinic_today(), syringes=body["syringes"],
                                  use_by_minutes=current_app.config["PREPARATION_USE_BY_MINUTES"],
                                  acknowledge_caution=body["acknowledge_caution"],
                                  override_reason=body["override_reason"])
        except CheckBlocked as error:
            message = blocked_message(session, str(error))
            refuse(409, message)
        except SessionError as error:
            refuse(409, str(error), [(error.field, str(error))] if error.field else ())
        except InsufficientStock as error:
            refuse(409, f"{error} Nothing was drawn.")
        db.session.commit()
        return preparation_json(preparation), 201


@blp.route("/preparations/<int:preparation_id>/waste")
class WastePreparation(MethodView):
    @allowed(blp, Permission.ADMINISTER)
    @blp.arguments(WasteIn)
    @blp.response(200, PreparationSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No preparation with this id")
    @blp.alt_response(409, schema=ErrorSchema, description="Already administered or wasted")
    def post(self, body, preparation_id):
        """Waste a preparation that will not be given, with the reason."""
        preparation = get_or_404(Preparation, preparation_id, "preparation")
        try:
            waste_preparation(preparation, actor=api_user(), reason=body["reason"])
        except SessionError as error:
            refuse(409, str(error))
        db.session.commit()
        return preparation_json(preparation)


def _label(preparation_id: int, size: str, render, mimetype: str, suffix: str) -> Response:
    preparation = get_or_404(Preparation, preparation_id, "preparation")
    body = render(label_content(preparation), size)
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'inline; filename="PREP-{preparation.id}-{size}.{suffix}"',
        "Cache-Control": "no-store"})


@blp.route("/preparations/<int:preparation_id>/label.png")
class LabelPng(MethodView):
    @allowed(blp, Permission.ADMINISTER)
    @blp.arguments(LabelQuery, location="query")
    @blp.response(200, description="The syringe label as a PNG at 300 dpi")
    @blp.alt_response(404, schema=ErrorSchema, description="No preparation with this id")
    def get(self, args, preparation_id):
        """The label as a PNG; its QR code decodes to a text containing PREP-{id}."""
        return _label(preparation_id, args["size"], png, "image/png", "png")


@blp.route("/preparations/<int:preparation_id>/label.pdf")
class LabelPdf(MethodView):
    @allowed(blp, Permission.ADMINISTER)
    @blp.arguments(LabelQuery, location="query")
    @blp.response(200, description="The syringe label as a one-page PDF of the label's size")
    @blp.alt_response(404, schema=ErrorSchema, description="No preparation with this id")
    def get(self, args, preparation_id):
        """The label as a PDF at the label printer's size."""
        return _label(preparation_id, args["size"], pdf, "application/pdf", "pdf")
