"""API: suppliers, the suggested order and purchase orders."""


import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from formulary.api.answers import api_user, get_or_404, load_or_404, paginate, refuse, refuse_fields
from formulary.api.blueprint import ApiBlueprint, ErrorSchema, allowed, links
from formulary.api.schemas import MAX_ID, Id, PageArgs, Quantity, Text, list_schema, one_of
from formulary.auth.permissions import Permission
from formulary.catalogue.models import Supplier
from formulary.clinic_time import clinic_today
from formulary.extensions import db
from formulary.purchasing.errors import OrderRefused, PurchasingError, SupplierNameTaken
from formulary.purchasing.models import OrderLine, PurchaseOrder
from formulary.purchasing.orders import LineData, create_order
from formulary.purchasing.receipts import line_balance, receive_import
from formulary.purchasing.suggest import suggested_order
from formulary.purchasing.suppliers import SupplierData, create_supplier
from formulary.vocabulary import ImportMode, OrderStatus

blp = ApiBlueprint("api_purchasing", __name__, description="Suppliers, the suggested order and purchase orders")


# --- suppliers -------------------------------------------------------------------------------

class SupplierIn(ma.Schema):
    name = Text(required=True)
    lead_time_days = ma.fields.Integer(
        strict=True, required=True,
        metadata={"description": "Days from sending an order to its delivery", "minimum": 0, "maximum": 365},
    )
    email = Text(load_default="", max_length=254)
    phone = Text(load_default="", max_length=40)
    contact_person = Text(load_default="")
    notes = Text(load_default="", max_length=5000)


class SupplierSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    lead_time_days = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    phone = ma.fields.String(required=True)
    contact_person = ma.fields.String(required=True)
    notes = ma.fields.String()
    product_ids = ma.fields.List(Id(), required=True, metadata={"description": "Products it sells"})


def supplier_json(supplier: Supplier) -> dict:
    """A supplier as the API answers it."""
    return {key: getattr(supplier, key) for key in ("id", "name", "lead_time_days", "email", "phone",
                                                     "contact_person", "notes")} | {
        "product_ids": [product.id for product in supplier.products]}


@blp.route("/suppliers")
class Suppliers(MethodView):
    @allowed(blp, Permission.VIEW_STOCK)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, list_schema("SupplierList", SupplierSchema))
    def get(self, args):
        """The clinic's suppliers by name, with the products each sells."""
        query = select(Supplier).options(selectinload(Supplier.products)).order_by(func.lower(Supplier.name))
        suppliers, total = paginate(query, args)
        return {"items": [supplier_json(s) for s in suppliers], "total": total}

    @allowed(blp, Permission.EDIT_CATALOGUE)
    @blp.arguments(SupplierIn)
    @blp.response(201, SupplierSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="Another supplier has this name")
    @links(blp, 201, "supplier_id", GetSupplier=("get", "/suppliers/{supplier_id}"))
    def post(self, body):
        """Add a supplier; a negative lead time or a name already taken is refused naming the field."""
        try:
            supplier = create_supplier(SupplierData(**body), actor=api_user())
        except SupplierNameTaken as error:
            refuse_fields(409, "The supplier was not added.", error.errors)
        except PurchasingError as error:
            refuse_fields(422, "The supplier was not added.", error.errors)
        db.session.commit()
        return supplier_json(supplier)


@blp.route("/suppliers/<int:supplier_id>")
class SupplierById(MethodView):
    @allowed(blp, Permission.VIEW_STOCK)
    @blp.response(200, SupplierSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No supplier with this id")
    def get(self, supplier_id):
        """One supplier with the products it sells."""
        return supplier_json(get_or_404(Supplier, supplier_id, "supplier"))


# --- the suggested order -------------------------------------------------------------------------

class SuggestedQuery(ma.Schema):
    supplier_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID),
                                    metadata={"description": "Only this supplier's products"})
    horizon_days = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=365, error="horizon_days must be from {min} to {max} days."),
        metadata={"description": "Days to cover (default: the supplier's lead time plus the review period)"},
    )


class SuggestedLineSchema(ma.Schema):
    product_id = ma.fields.Integer(required=True)
    product = ma.fields.String(required=True)
    unit = ma.fields.String(required=True)
    on_hand_usable = Quantity(required=True, maximum=None, metadata={"description": "What FEFO may draw today"})
    needed = Quantity(required=True, maximum=None,
                      metadata={"description": "Booked use, forecast use beyond it, and the reorder level kept"})
    pack_size = Quantity(required=True, maximum=None)
    suggested_packs = ma.fields.Integer(required=True)
    suggested_quantity = Quantity(required=True, maximum=None)
    reason = ma.fields.String(required=True, metadata={"description": "Why, in plain words"})
    warning = ma.fields.String(allow_none=True, required=True,
                               metadata={"description": "When the order would likely expire before it is used"})


def suggested_json(line) -> dict:
    """A suggested order line as the API answers it."""
    return {"product_id": line.product_id, "product": line.product_name, "unit": line.unit,
            "on_hand_usable": line.on_hand_usable, "needed": line.needed, "pack_size": line.pack_size,
            "suggested_packs": line.suggested_packs, "suggested_quantity": line.suggested_quantity,
            "reason": line.reason, "warning": line.warning}


@blp.route("/orders/suggested")
class Suggested(MethodView):
    @allowed(blp, Permission.VIEW_STOCK)
    @blp.arguments(SuggestedQuery, location="query")
    @blp.response(200, list_schema("SuggestedOrder", SuggestedLineSchema))
    @blp.alt_response(404, schema=ErrorSchema, description="No supplier with this id")
    def get(self, args):
        """What to order of each product (of one supplier), with the reason; lines with nothing to order too."""
        supplier_id = args.get("supplier_id")
        if supplier_id is not None:
            get_or_404(Supplier, supplier_id, "supplier")
        config = current_app.config
        lines = suggested_order(clinic_today(), supplier_id=supplier_id, horizon_days=args.get("horizon_days"),
                                review_days=config["ORDER_REVIEW_DAYS"], history_weeks=config["ORDER_HISTORY_WEEKS"])
        return {"items": [suggested_json(line) for line in lines], "total": len(lines)}


# --- purchase orders ------------------------------------------------------------------------------

class OrderLineIn(ma.Schema):
    product_id = ma.fields.Integer(strict=True, required=True)
    packs = ma.fields.Integer(strict=True, required=True,
                              metadata={"description": "Whole packs, at least one", "minimum": 1,
                                        "maximum": 100_000})


class OrderIn(ma.Schema):
    supplier_id = ma.fields.Integer(strict=True, required=True)
    lines = ma.fields.List(ma.fields.Nested(OrderLineIn), required=True, metadata={"minItems": 1})


class OrderLineSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    product_id = ma.fields.Integer(required=True)
    product = ma.fields.String(required=True)
    packs = ma.fields.Integer(required=True)
    pack_size = Quantity(required=True, maximum=None)
    quantity = Quantity(required=True, maximum=None, metadata={"description": "packs × pack_size, in the unit"})
    received = Quantity(required=True, maximum=None)
    short = Quantity(required=True, maximum=None, metadata={"description": "Still to come"})
    over = Quantity(required=True, maximum=None, metadata={"description": "Delivered beyond the order"})
    reason = ma.fields.String()


class OrderSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    reference = ma.fields.String(required=True)
    supplier_id = ma.fields.Integer(required=True)
    supplier = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(list(OrderStatus)))
    created_at = ma.fields.DateTime(required=True)
    sent_at = ma.fields.DateTime(allow_none=True, required=True)
    lines = ma.fields.List(ma.fields.Nested(OrderLineSchema), required=True)


class OrderQuery(PageArgs):
    status = ma.fields.String(validate=one_of(list(OrderStatus), "status"))
    supplier_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID))


def order_json(order: PurchaseOrder) -> dict:
    """An order as the API answers it, each line with what arrived against it."""
    lines = []
    for line in order.lines:
        balance = line_balance(line)
        lines.append({"id": line.id, "product_id": line.product_id, "product": line.product.name,
                      "packs": line.packs, "pack_size": line.pack_size, "quantity": line.quantity,
                      "received": balance.received, "short": balance.short, "over": balance.over,
                      "reason": line.reason})
    return {"id": order.id, "reference": order.reference, "supplier_id": order.supplier_id,
            "supplier": order.supplier.name, "status": order.status, "created_at": order.created_at,
            "sent_at": order.sent_at, "lines": lines}


def _loaded_order(order_id: int) -> PurchaseOrder:
    return load_or_404(lambda key: db.session.scalar(
        select(PurchaseOrder).where(PurchaseOrder.id == key).options(
            selectinload(PurchaseOrder.supplier),
            selectinload(PurchaseOrder.lines).selectinload(OrderLine.product),
            selectinload(PurchaseOrder.lines).selectinload(OrderLine.receipts),
        )
    ), order_id, "order")


@blp.route("/orders")
class Orders(MethodView):
    @allowed(blp, Permission.VIEW_STOCK)
    @blp.arguments(OrderQuery, location="query")
    @blp.response(200, list_schema("OrderList", OrderSchema))
    def get(self, args):
        """Purchase orders, newest first."""
        query = select(PurchaseOrder).options(
            selectinload(PurchaseOrder.supplier),
            selectinload(PurchaseOrder.lines).selectinload(OrderLine.product),
            selectinload(PurchaseOrder.lines).selectinload(OrderLine.receipts),
        ).order_by(PurchaseOrder.id.desc())
        if "status" in args:
            query = query.where(PurchaseOrder.status == args["status"])
        if "supplier_id" in args:
            query = query.where(PurchaseOrder.supplier_id == args["supplier_id"])
        orders, total = paginate(query, args)
        return {"items": [order_json(order) for order in orders], "total": total}

    @allowed(blp, Permission.EDIT_STOCK)
    @blp.arguments(OrderIn)
    @blp.response(201, OrderSchema)
    @links(blp, 201, "order_id", GetOrder=("get", "/orders/{order_id}"))
    def post(self, body):
        """Draft an order to a supplier; a line of zero packs (or an unknown product) is refused naming the line."""
        supplier = db.session.get(Supplier, body["supplier_id"]) if 0 < body["supplier_id"] <= MAX_ID else None
        if supplier is None:
            refuse(422, f"There is no supplier with id {body['supplier_id']}.",
                   [("supplier_id", f"There is no supplier with id {body['supplier_id']}.")])
        lines = [LineData(line["product_id"], line["packs"]) for line in body["lines"]]
        try:
            order = create_order(supplier, lines, actor=api_user())
        except PurchasingError as error:
            refuse_fields(422, "The order was not drafted.", error.errors)
        except OrderRefused as error:
            refuse(409, str(error))
        db.session.commit()
        return order_json(_loaded_order(order.id))


@blp.route("/orders/<int:order_id>")
class OrderById(MethodView):
    @allowed(blp, Permission.VIEW_STOCK)
    @blp.response(200, OrderSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No order with this id")
    def get(self, order_id):
        """A purchase order with its lines, what arrived against each, and its status."""
        return order_json(_loaded_order(order_id))


# --- a delivery import naming its order (the hook POST /stock/imports calls) ---------------------

class ImportOrderSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    reference = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(list(OrderStatus)))
    not_on_order = ma.fields.List(ma.fields.String(), required=True,
                                  metadata={"description": "Lots the import received that the order does not list"})
    lines = ma.fields.List(ma.fields.Nested(OrderLineSchema), required=True)


def order_for_import(order_id: int | None, mode: str) -> PurchaseOrder | None:
    """The order a delivery import names, checked before anything is imported (or None when it names none)."""
    if order_id is None:
        return None
    if mode != ImportMode.DELIVERY:
        refuse(422, "Only a delivery import can name an order.", [("order_id", "Only a delivery names an order.")])
    found = db.session.get(PurchaseOrder, order_id) if 0 < order_id <= MAX_ID else None
    if found is None:
        refuse(422, f"There is no order with id {order_id}.", [("order_id", f"There is no order with id {order_id}.")])
    if found.status == OrderStatus.DRAFT:
        refuse(409, f"Order {found.reference} is a draft: send it before receiving against it. Nothing was imported.")
    return found


def book_import(order: PurchaseOrder, stock_import) -> dict:
    """Book an applied delivery import's lots against the order's lines; the order as it now stands."""
    not_on_order = receive_import(order, stock_import, actor=api_user())
    answer = order_json(order)
    return {"id": order.id, "reference": order.reference, "status": order.status, "not_on_order": not_on_order,
            "lines": answer["lines"]}
