"""API: opened units (multi-dose vials already opened), and what GET /lots/{id} adds about them."""


import marshmallow as ma
from flask.views import MethodView

from formulary.api.blueprint import ApiBlueprint, allowed
from formulary.api.schemas import Id, Quantity
from formulary.auth.permissions import Permission
from formulary.clinic_time import clinic_today
from formulary.stock.models import Lot
from formulary.stock.opened import OpenedRow, opened_units
from formulary.stock.opened_view import lot_contents

blp = ApiBlueprint("api_opened_units", __name__, description="Opened units of multi-dose lots")


class OpenedUnitSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    opened_at = ma.fields.DateTime(required=True)
    content_left = Quantity(required=True, metadata={"description": "In the product's stock unit"})
    use_by = ma.fields.Date(required=True, metadata={
        "description": "In-use expiry: the earlier of the lot's expiry and opened + the product's opened shelf life"})
    lapsed = ma.fields.Boolean(required=True, metadata={"description": "Past its use-by: never drawn, to discard"})


class OpenedUnitListedSchema(OpenedUnitSchema):
    product_id = ma.fields.Integer(required=True)
    lot_id = ma.fields.Integer(required=True)


class OpenedUnitList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(OpenedUnitListedSchema), required=True)


class OpenedQuery(ma.Schema):
    lapsed = ma.fields.Boolean(load_default=None, metadata={"description": "true: only lapsed units; false: only "
                                                            "units still in use"})
    product_id = Id(load_default=None)
    lot_id = Id(load_default=None)


class LotOpenedFields(ma.Schema):
    """What GET /lots/{id} adds: sealed units apart from opened content."""

    sealed_units = Quantity(required=True, metadata={"description": "Sealed units (vials, ampoules) on the shelf"})
    opened_units = ma.fields.List(ma.fields.Nested(OpenedUnitSchema), required=True)


def unit_json(row: OpenedRow, listed: bool = False) -> dict:
    """An opened unit as the API answers it."""
    answer = {"id": row.id, "opened_at": row.opened_at, "content_left": row.content_left, "use_by": row.use_by,
              "lapsed": row.lapsed}
    if listed:
        answer |= {"product_id": row.product_id, "lot_id": row.lot_id}
    return answer


def lot_opened_json(lot: Lot) -> dict:
    """The fields GET /lots/{id} gains."""
    contents = lot_contents(lot, clinic_today())
    return {"sealed_units": contents.sealed_units, "opened_units": [unit_json(row) for row in contents.opened]}


@blp.route("/stock/opened-units")
class OpenedUnits(MethodView):
    @allowed(blp, Permission.VIEW_STOCK)
    @blp.arguments(OpenedQuery, location="query")
    @blp.response(200, OpenedUnitList)
    def get(self, args):
        """Opened units still holding content, earliest use-by first; `lapsed=true` for those to discard."""
        rows = opened_units(clinic_today(), lapsed=args["lapsed"], product_id=args["product_id"], lot_id=args["lot_id"])
        return {"items": [unit_json(row, listed=True) for row in rows]}
