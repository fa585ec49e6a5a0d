"""API: lots, movements, status and recipients."""

from datetime import timedelta
from typing import NoReturn

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from formulary.api.answers import api_user, get_or_404, paginate, refuse, refuse_fields
from formulary.api.blueprint import ApiBlueprint, ErrorSchema, allowed, links
from formulary.api.opened_units import LotOpenedFields, lot_opened_json
from formulary.api.receipts import read_receipt
from formulary.api.schemas import Day, Expiry, Id, PageArgs, Quantity, Text, list_schema
from formulary.auth.permissions import Permission
from formulary.clinic_time import clinic_today
from formulary.extensions import db
from formulary.money import currency_of
from formulary.stock import ledger
from formulary.stock.errors import DuplicateLot, InsufficientStock, InvalidStockInput
from formulary.stock.models import LOT_STATUSES, Lot
from formulary.stock.receiving import lot_already_received
from formulary.vocabulary import LotStatus, MovementKind

blp = ApiBlueprint("api_stock", __name__, description="Lots, the ledger and recalls")

MOVEMENTS = {MovementKind.WASTE: ledger.waste, MovementKind.ADJUST: ledger.adjust,
             MovementKind.RETURN: ledger.return_to_supplier}


class LotSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    product_id = ma.fields.Integer(required=True)
    product = ma.fields.String(required=True, metadata={"description": "The product's name"})
    unit = ma.fields.String(required=True, metadata={"description": "The product's stock unit"})
    lot_number = ma.fields.String(required=True)
    expiry = ma.fields.Date(required=True)
    received_on = ma.fields.Date(required=True)
    # Whatever a Numeric(14, 3) column holds: receipts add up, and imports may bring more than one takes.
    on_hand = Quantity(required=True, maximum=10**11)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(LOT_STATUSES))
    expired = ma.fields.Boolean(required=True, metadata={"description": "Today is past the expiry date"})
    supplier = ma.fields.String(required=True)
    # As the column holds it (4 places): a receipt takes at most 10**7, an import may bring more.
    unit_cost = Quantity(places=4, maximum=10**8, allow_none=True,
                         metadata={"description": "Cost per stock unit"})
    currency = ma.fields.String(metadata={"description": "The clinic's currency (ISO 4217) of unit_cost"})
    counted_at = ma.fields.AwareDateTime(allow_none=True, metadata={
        "description": "The last count of this lot (a stocktake's count moment); null: never counted",
    })


class RecipientSessionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    patient_id = ma.fields.Integer(required=True)
    date = ma.fields.Date(required=True)


class RecipientPatientSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    reference = ma.fields.String(allow_none=True)
    phone = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    contact_ok = ma.fields.Boolean(required=True, metadata={
        "description": "Whether the patient agreed to be contacted; a recall reaches them whatever it says"})


class RecipientsSchema(ma.Schema):
    sessions = ma.fields.List(ma.fields.Nested(RecipientSessionSchema), required=True)
    patients = ma.fields.List(ma.fields.Nested(RecipientPatientSchema), required=True)


class LotWithRecipientsSchema(LotSchema):
    recipients = ma.fields.Nested(RecipientsSchema, metadata={"description": "Only when the lot is recalled"})


class LotIn(ma.Schema):
    product_id = Id(strict=True)
    gtin = Text(max_length=20, metadata={"description": "Instead of product_id"})
    scan = Text(max_length=500, metadata={
        "description": "A GS1 DataMatrix or GS1-128 string as a scanner types it: gives the product "
                       "(by GTIN), the lot number and the expiry",
    })
    lot_number = Text(max_length=40, metadata={"description": "Unique per product; may come from the scan"})
    expiry = Expiry()
    quantity = Quantity(required=True, positive=True, metadata={"description": "In the product's stock unit"})
    received_on = Day(metadata={"description": "Default: today"})
    supplier = Text(load_default="")
    unit_cost = Quantity(places=4, maximum=10**7, load_default=None, allow_none=True)


class LotQuery(PageArgs):
    product_id = Id()
    status = ma.fields.String(validate=ma.validate.OneOf(LOT_STATUSES))
    expiring_within_days = ma.fields.Integer(
        validate=ma.validate.Range(min=0, max=36500),
        metadata={"description": "Lots whose expiry is between today and this many days ahead"},
    )
    in_stock = ma.fields.Boolean(load_default=False, metadata={"description": "Only lots with stock on hand"})


class MovementIn(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(list(MOVEMENTS)))
    quantity = Quantity(required=True, minimum=0, metadata={"description": "For adjust: the quantity counted"})
    reason = Text(required=True, max_length=1000)


class MovementSchema(ma.Schema):
    id = ma.fields.Integer(allow_none=True, metadata={"description": "None when an adjust changed nothing"})
    lot_id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    quantity = Quantity(required=True, metadata={"description": "Signed: negative out of stock"})
    on_hand_after = Quantity(required=True)
    reason = ma.fields.String(required=True)
    at = ma.fields.DateTime(allow_none=True)


class StatusIn(ma.Schema):
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(LOT_STATUSES))
    reason = Text(required=True, max_length=1000)


def lot_json(lot: Lot) -> dict:
    """A lot as the API answers it."""
    return {
        "id": lot.id, "product_id": lot.product_id, "product": lot.product.name, "unit": lot.product.unit,
        "lot_number": lot.lot_number, "expiry": lot.expiry, "received_on": lot.received_on,
        "on_hand": lot.on_hand, "status": lot.status, "expired": clinic_today() > lot.expiry,
        "supplier": lot.supplier, "unit_cost": lot.unit_cost,
        "currency": currency_of(current_app.config["CURRENCY"])[0], "counted_at": lot.counted_at,
    }


def recall_recipients(lot: Lot) -> dict:
    """The administered treatment sessions that drew from the lot, and their patients."""
    from formulary.treatments.recall import recipients

    found = recipients(lot.id)
    return {
        "sessions": [{"id": s.session_id, "patient_id": s.patient_id, "date": s.administered_on}
                     for s in found.sessions],
        "patients": [{"id": p.id, "name": p.name, "reference": p.reference, "phone": p.phone, "email": p.email,
                      "contact_ok": p.contact_ok} for p in found.patients],
    }


def _refused(errors: list[tuple[str, str]]) -> NoReturn:
    refuse_fields(422, "The lot was not received.", errors)


@blp.route("/lots")
class Lots(MethodView):
    @allowed(blp, Permission.VIEW_STOCK)
    @blp.arguments(LotQuery, location="query")
    @blp.response(200, list_schema("LotList", LotSchema))
    def get(self, args):
        """Lots in FEFO order: earliest expiry first, then earliest receipt."""
        query = select(Lot).options(selectinload(Lot.product))
        if "product_id" in args:
            query = query.where(Lot.product_id == args["product_id"])
        if "status" in args:
            query = query.where(Lot.status == args["status"])
        if "expiring_within_days" in args:
            today = clinic_today()
            horizon = today + timedelta(days=args["expiring_within_days"])
            query = query.where(Lot.expiry >= today, Lot.expiry <= horizon)
        if args["in_stock"]:
            query = query.where(Lot.on_hand > 0)
        lots, total = paginate(query.order_by(Lot.expiry, Lot.received_on, Lot.id), args)
        return {"items": [lot_json(lot) for lot in lots], "total": total}

    @allowed(blp, Permission.EDIT_STOCK)
    @blp.arguments(LotIn)
    @blp.response(201, LotSchema)
    @links(blp, 201, "lot_id", GetLot=("get", "/lots/{lot_id}"), MoveLot=("post", "/lots/{lot_id}/movements"),
           SetLotStatus=("post", "/lots/{lot_id}/status"), LotRecipients=("get", "/lots/{lot_id}/recipients"))
    @blp.alt_response(200, schema=LotSchema, description="A scan of a lot already in stock (same product, lot "
                      "and expiry): the quantity is received as more of that lot")
    @blp.alt_response(409, schema=ErrorSchema, description="The product already has this lot number")
    def post(self, body):
        """Receive a new lot, named by product_id, gtin or a GS1 scan; a scanned lot already in stock gets more."""
        receipt = read_receipt(body)
        if receipt.errors:
            _refused(receipt.errors)
        product, lot_number, expiry = receipt.lot()
        existing = lot_already_received(product, lot_number, expiry) if body.get("scan") else None
        if existing is not None:
            serial = f"; serial {receipt.serial}" if receipt.serial else ""
            try:
                ledger.receive_more(existing, body["quantity"], actor=api_user(), reason=f"received by scan{serial}")
            except InvalidStockInput as error:
                _refused([("scan", str(error))])
            db.session.commit()
            return lot_json(existing), 200
        try:
            lot = ledger.receive(
                product, lot_number=lot_number, expiry=expiry,
                quantity=body["quantity"],
                received_on=body.get("received_on") or clinic_today(), actor=api_user(),
                supplier=body["supplier"], unit_cost=body["unit_cost"],
                reason="received" + (f"; serial {receipt.serial}" if receipt.serial else ""),
            )
        except DuplicateLot as error:
            refuse(409, str(error), [("lot_number", str(error))])
        except InvalidStockInput as error:
            field = error.field
            if field == "product":  # retired: point at whichever key named it
                field = next(key for key in ("product_id", "gtin", "scan") if body.get(key))
            _refused([(field or "quantity", str(error))])
        db.session.commit()
        return lot_json(lot)


class LotDetailSchema(LotSchema, LotOpenedFields):
    """One lot, with its sealed units and opened units apart."""


@blp.route("/lots/<int:lot_id>")
class LotById(MethodView):
    @allowed(blp, Permission.VIEW_STOCK)
    @blp.response(200, LotDetailSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No lot with this id")
    def get(self, lot_id):
        """One lot, with its sealed units and opened units (content left, use-by, lapsed)."""
        lot = get_or_404(Lot, lot_id, "lot")
        return lot_json(lot) | lot_opened_json(lot)


def movement_json(movement, lot: Lot, reason: str) -> dict:
    """A movement as the API answers it; an adjust that changed nothing has no id and no time."""
    if movement is None:
        return {"id": None, "lot_id": lot.id, "kind": MovementKind.ADJUST, "quantity": 0, "on_hand_after": lot.on_hand,
                "reason": reason, "at": None}
    return {
        "id": movement.id, "lot_id": movement.lot_id, "kind": movement.kind, "quantity": movement.quantity,
        "on_hand_after": movement.on_hand_after, "reason": movement.reason, "at": movement.at,
    }


@blp.route("/lots/<int:lot_id>/movements")
class Movements(MethodView):
    @allowed(blp, Permission.EDIT_STOCK)
    @blp.arguments(MovementIn)
    @blp.response(201, MovementSchema)
    @blp.alt_response(200, schema=MovementSchema, success=True,
                      description="An adjust to the quantity already on hand: nothing recorded")
    @blp.alt_response(404, schema=ErrorSchema, description="No lot with this id")
    @blp.alt_response(409, schema=ErrorSchema, description="More than the lot has on hand")
    def post(self, body, lot_id):
        """Waste or return stock, or adjust a lot to the quantity counted at a stocktake."""
        lot = get_or_404(Lot, lot_id, "lot")
        try:
            change = MOVEMENTS[body["kind"]]
            movement = change(lot, body["quantity"], actor=api_user(), reason=body["reason"])
        except InsufficientStock as error:
            refuse(409, str(error), [("quantity", str(error))])
        except InvalidStockInput as error:
            refuse(422, str(error), [(error.field or "quantity", str(error))])
        db.session.commit()
        return movement_json(movement, lot, body["reason"]), 201 if movement else 200


@blp.route("/lots/<int:lot_id>/status")
class Status(MethodView):
    @allowed(blp, Permission.EDIT_STOCK)
    @blp.arguments(StatusIn)
    @blp.response(200, LotWithRecipientsSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No lot with this id")
    @blp.alt_response(409, schema=ErrorSchema, description="A recalled lot cannot change status again")
    def post(self, body, lot_id):
        """Quarantine, release or recall a lot; a recall answers with who received it."""
        lot = get_or_404(Lot, lot_id, "lot")
        try:
            ledger.set_status(lot, body["status"], actor=api_user(), reason=body["reason"])
        except InvalidStockInput as error:
            # The schema already checked the status's value: a refusal on it is the recall rule.
            status = 409 if error.field == "status" else 422
            refuse(status, str(error), [(error.field or "status", str(error))])
        db.session.commit()
        answer = lot_json(lot)
        if lot.status == LotStatus.RECALLED:
            answer["recipients"] = recall_recipients(lot)
        return answer


@blp.route("/lots/<int:lot_id>/recipients")
class Recipients(MethodView):
    @allowed(blp, Permission.VIEW_PATIENTS)
    @blp.response(200, RecipientsSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No lot with this id")
    def get(self, lot_id):
        """The treatment sessions that drew from the lot and their patients (for a recall)."""
        return recall_recipients(get_or_404(Lot, lot_id, "lot"))
