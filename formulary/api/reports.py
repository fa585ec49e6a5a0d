"""API: reports over the ledger, as JSON or as the same workbook the report page downloads."""

import json

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView

from formulary.api.answers import refuse
from formulary.api.blueprint import ApiBlueprint, ErrorSchema, allowed
from formulary.api.schemas import Day, Id, Quantity
from formulary.auth.permissions import Permission
from formulary.catalogue.models import Product
from formulary.clinic_time import clinic_today
from formulary.db import reading_only
from formulary.extensions import db
from formulary.reports.builders import PeriodOutflow, consumption, consumption_rows
from formulary.reports.money import currency
from formulary.reports.periods import BadReportInput, Period, parse_range
from formulary.reports.workbook import file_name, write_report
from formulary.spreadsheets.downloads import XLSX_TYPE, xlsx_download

blp = ApiBlueprint("api_reports", __name__, description="Reports: consumption, waste and value over time")

XLSX = {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}


# The years a report may name (reports/periods.py refuses others in words).
YEARS = r"^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$"


class ConsumptionQuery(ma.Schema):
    start = Day(data_key="from", load_default=None, pattern=YEARS, metadata={
        "description": "First day (YYYY-MM-DD); default: 90 days before `to`"})
    end = Day(data_key="to", load_default=None, pattern=YEARS,
              metadata={"description": "Last day, included; default: today"})
    by = ma.fields.String(load_default=Period.MONTH.value, metadata={
        "description": "Period: week (from Monday) or month", "enum": [p.value for p in Period]})
    product_id = Id(load_default=None, metadata={"description": "Only this product"})


class ConsumptionItem(ma.Schema):
    period = ma.fields.Date(required=True, metadata={"description": "First day of the week (Monday) or month"})
    product_id = ma.fields.Integer(required=True)
    product = ma.fields.String(required=True)
    administered = Quantity(required=True, maximum=None, metadata={"description": "Given in sessions"})
    wasted = Quantity(required=True, maximum=None, metadata={
        "description": "Thrown away before expiry: sessions' remainders, breakage …"})
    expired = Quantity(required=True, maximum=None, metadata={"description": "Discarded after the lot's expiry"})
    value = Quantity(required=True, maximum=None, places=2, metadata={
        "description": "(administered + wasted + expired) × each lot's unit cost, in the clinic's currency"})


class ConsumptionAnswer(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ConsumptionItem), required=True)
    currency = ma.fields.String(required=True, metadata={"description": "The currency of `value`"})


def _range(args):
    try:
        rng = parse_range(args["start"], args["end"], args["by"], clinic_today())
    except BadReportInput as error:
        refuse(422, str(error), [(error.field, str(error))])
    product_id = args["product_id"]
    if product_id is not None and db.session.get(Product, product_id) is None:
        refuse(422, f"No product with id {product_id}.", [("product_id", f"No product with id {product_id}.")])
    return rng, product_id


# One item as jsonify writes it (keys sorted, no spaces); repr is how json writes an int or a float.
ITEM_JSON = ('{"administered":%r,"expired":%r,"period":"%s","product":%s,"product_id":%d,"value":%r,'
             '"wasted":%r}')


def consumption_json(items: list[PeriodOutflow], currency_code: str) -> str:
    """The answer's text, as jsonify would write {"items": [...], "currency": ...} (ConsumptionAnswer's shape),
    written item by item: for the thousands of items of a chain's quarter, building a dict per item and encoding
    them cost three times as much. Product names are encoded once each (most appear in every period)."""
    names: dict[int, str] = {}
    encode = json.dumps  # ASCII-only, as jsonify's
    parts = []
    for period, product_id, product, administered, wasted, expired, value in items:
        name = names.get(product_id)
        if name is None:
            name = names[product_id] = encode(product)
        parts.append(ITEM_JSON % (administered, expired, period, name, product_id, value, wasted))
    return f'{{"currency":{encode(currency_code)},"items":[{",".join(parts)}]}}\n'


def _workbook(rng, product_id):
    report = consumption(rng, product_id)
    return xlsx_download(lambda stream: write_report(stream, report), file_name(report))


def _wants_workbook() -> bool:
    return request.accept_mimetypes.best_match(["application/json", XLSX_TYPE]) == XLSX_TYPE


@blp.route("/reports/consumption")
class Consumption(MethodView):
    @allowed(blp, Permission.VIEW_REPORTS)
    @blp.arguments(ConsumptionQuery, location="query")
    @blp.response(200, ConsumptionAnswer)
    @blp.doc(responses={"200": {"content": {"application/json": {"schema": ConsumptionAnswer}, **XLSX}}})
    @blp.alt_response(422, schema=ErrorSchema, description="A range backwards or over ten years, an unknown "
                                                           "period or product: `errors` names the field")
    def get(self, args):
        """Administered, wasted and expired per period and product, with their value. Send `Accept:
        application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` for the workbook (with a chart)."""
        rng, product_id = _range(args)
        # The token check's transaction ends here (on SQLite, with the write lock every API call takes up front
        # for its "last used" stamp): the report only reads, side by side with other requests.
        db.session.commit()
        with reading_only():
            if _wants_workbook():
                return _workbook(rng, product_id)
            # Thousands of items at a chain's scale: written as ConsumptionAnswer would dump them and jsonify
            # encode them, without their per-field cost (a test holds the answer to the schema and to jsonify's).
            return current_app.response_class(consumption_json(consumption_rows(rng, product_id), currency()),
                                              mimetype="application/json")


@blp.route("/reports/consumption.xlsx")
class ConsumptionWorkbook(MethodView):
    @allowed(blp, Permission.VIEW_REPORTS)
    @blp.arguments(ConsumptionQuery, location="query")
    @blp.doc(responses={"200": {"description": "The consumption report workbook, with a native Excel chart",
                                "content": XLSX}})
    @blp.alt_response(422, schema=ErrorSchema, description="A range backwards or over ten years, an unknown "
                                                           "period or product: `errors` names the field")
    def get(self, args):
        """The consumption report as a workbook: a chart sheet and a sheet per table."""
        rng, product_id = _range(args)
        db.session.commit()  # as above: the workbook only reads
        with reading_only():
            return _workbook(rng, product_id)
