"""API: stock workbooks, imported (multipart upload, preview or apply) and exported (.xlsx)."""

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import abort
from flask_smorest.fields import Upload
from werkzeug.datastructures import CombinedMultiDict

from formulary.api.blueprint import ApiBlueprint, ErrorSchema, JsonParser, allowed
from formulary.api.purchasing import ImportOrderSchema, book_import, order_for_import
from formulary.api.schemas import Id, Quantity
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.extensions import db
from formulary.spreadsheets import uploads
from formulary.spreadsheets.downloads import stock_workbook
from formulary.spreadsheets.errors import WorkbookRefused
from formulary.spreadsheets.importer import import_upload
from formulary.spreadsheets.prepared import AlreadyImported, ImportConflict, ImportHasErrors, PreparedImport
from formulary.spreadsheets.stocktake import ZeroRefused
from formulary.stock.counting import CountScope
from formulary.vocabulary import ImportMode


class MultipartParser(JsonParser):
    """A multipart body read as one: its file parts and its text fields, for one schema."""

    def load_files(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class MultipartBlueprint(ApiBlueprint):
    ARGUMENTS_PARSER = MultipartParser()


CHANGES_LISTED = 1_000  # changes an answer lists; summary.changes_total counts them all

blp = MultipartBlueprint("api_spreadsheets", __name__, description="Stock workbooks: import and export")


ZERO_PATTERN = r"^(all|[0-9]{1,18}(,[0-9]{1,18})*)?$"  # `all`, or lot ids separated by commas


class ImportIn(ma.Schema):
    file = Upload(required=True, metadata={
        "description": "The workbook: .xlsx, or .csv. Quantities as On hand (in the stock unit), or as Sealed units "
                       "(whole vials, ampoules, boxes) with Opened content (in the stock unit), as the exported "
                       "stock workbook counts them; not both"})
    mode = ma.fields.String(required=True, validate=ma.validate.OneOf([mode.value for mode in ImportMode]), metadata={
        "description": "delivery: stock received (new lots, or more of a lot); stocktake: quantities counted",
    })
    dry_run = ma.fields.Boolean(load_default=False, metadata={
        "description": "true: check and answer what would change, write nothing",
    })
    order_id = ma.fields.Integer(load_default=None, allow_none=True, metadata={
        "description": "A delivery against this purchase order: its lines record what the import received"})
    force = ma.fields.Boolean(load_default=False, metadata={
        "description": "Import a delivery whose content was imported before (otherwise 409)",
    })
    zero_not_counted = ma.fields.String(load_default="", validate=ma.validate.Regexp(ZERO_PATTERN), metadata={
        "description": "Stocktake: zero lots the count left out (summary.not_counted): `all`, or their lot ids "
                       "separated by commas. Without it, a lot not counted is never changed",
    })


class UnitTotalSchema(ma.Schema):
    unit = ma.fields.String(required=True)
    added = Quantity(required=True)
    removed = Quantity(required=True)


class NotCountedSchema(ma.Schema):
    lot_id = ma.fields.Integer(required=True)
    lot_number = ma.fields.String(required=True)


class MovedSchema(ma.Schema):
    lot_id = ma.fields.Integer(required=True)
    quantity_then = Quantity(required=True, metadata={"description": "On hand at the count moment"})
    quantity_now = Quantity(required=True, metadata={"description": "On hand when the file was read"})


class SummarySchema(ma.Schema):
    mode = ma.fields.String(required=True)
    file_name = ma.fields.String(required=True)
    file_sha256 = ma.fields.String(required=True, metadata={"description": "SHA-256 of the bytes sent"})
    content_sha256 = ma.fields.String(required=True, metadata={
        "description": "SHA-256 of the rows as read: how an import already made is recognised",
    })
    rows = ma.fields.Integer(required=True, metadata={"description": "Data rows read (blank rows skipped)"})
    lots_created = ma.fields.Integer(required=True)
    lots_changed = ma.fields.Integer(required=True)
    unchanged = ma.fields.Integer(required=True, metadata={"description": "Stocktake rows equal to on hand"})
    changes_total = ma.fields.Integer(required=True, metadata={
        "description": f"Every change the import makes; `changes` lists the first {CHANGES_LISTED:,} of them "
                       "(in row order), so a large import answers fast: the totals here count them all",
    })
    quantity_in = Quantity(required=True, metadata={"description": "Sum over every unit; see by_unit"})
    quantity_out = Quantity(required=True)
    by_unit = ma.fields.List(ma.fields.Nested(UnitTotalSchema), required=True)
    ignored_columns = ma.fields.List(ma.fields.String(), required=True, metadata={
        "description": "Columns not used, as the sheet names them: 'H (Notes)'",
    })
    dry_run = ma.fields.Boolean(required=True)
    applied = ma.fields.Boolean(required=True)
    import_id = ma.fields.Integer(allow_none=True, metadata={"description": "The import made, when applied"})
    forced = ma.fields.Boolean(required=True)
    order = ma.fields.Nested(ImportOrderSchema, allow_none=True, metadata={
        "description": "The purchase order named by order_id, as it stands after this import"})
    previous_import_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "An earlier import of the same delivery",
    })
    counted_at = ma.fields.AwareDateTime(allow_none=True, metadata={
        "description": "Stocktake: the count moment the workbook records (when it was exported); null for a "
                       "workbook without that record (typed by hand, a CSV), which is read as counted now",
    })
    not_counted = ma.fields.List(ma.fields.Nested(NotCountedSchema), metadata={
        "description": "Stocktake: lots the count covered (listed in the exported workbook, or of a product a "
                       "hand-typed file names) that no row counts; changed only when zero_not_counted names them",
    })
    zeroed = ma.fields.List(ma.fields.Integer(), metadata={"description": "Stocktake: the lots zeroed as asked"})
    moved_since_count = ma.fields.List(ma.fields.Nested(MovedSchema), metadata={
        "description": "Stocktake: counted lots that moved after the count moment; the count applies "
                       "counted − quantity_then, so those movements stand",
    })


class ChangeSchema(ma.Schema):
    row = ma.fields.Integer(required=True, metadata={"description": "The row as the spreadsheet numbers it"})
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["new-lot", "receive", "adjust"]))
    product_id = ma.fields.Integer(required=True)
    product = ma.fields.String(required=True)
    unit = ma.fields.String(required=True)
    lot_id = ma.fields.Integer(allow_none=True, metadata={"description": "None for a new lot"})
    lot = ma.fields.String(required=True)
    expiry = ma.fields.Date(required=True)
    on_hand = Quantity(required=True, metadata={"description": "Before the import"})
    quantity = Quantity(required=True, metadata={"description": "Signed: received, or counted minus on hand"})
    on_hand_after = Quantity(required=True, metadata={"description": "For a stocktake, the quantity counted"})


class ImportResultSchema(ma.Schema):
    summary = ma.fields.Nested(SummarySchema, required=True)
    changes = ma.fields.List(ma.fields.Nested(ChangeSchema), required=True, metadata={
        "description": f"A change per row, in row order: at most {CHANGES_LISTED:,} (see summary.changes_total)",
    })


class CellErrorSchema(ma.Schema):
    sheet = ma.fields.String(allow_none=True)
    row = ma.fields.Integer(allow_none=True)
    column = ma.fields.String(allow_none=True, metadata={"description": "Letter and header: 'C (Exp. date)'"})
    value = ma.fields.String(allow_none=True, metadata={"description": "As the cell shows it"})
    message = ma.fields.String(required=True)
    field = ma.fields.String(metadata={
        "description": "Instead of sheet, row and column: the request's own field at fault (mode, file)",
    })


class ImportErrorsSchema(ma.Schema):
    message = ma.fields.String(required=True)
    errors = ma.fields.List(ma.fields.Nested(CellErrorSchema), required=True)


def summary_json(prepared: PreparedImport, *, dry_run: bool, force: bool, import_id: int | None) -> dict:
    """The summary of a checked import, applied or not."""
    plan = prepared.plan
    return {
        "mode": plan.mode, "file_name": prepared.file_name, "file_sha256": prepared.file_sha256,
        "content_sha256": plan.content_hash, "rows": plan.rows, "lots_created": plan.lots_created,
        "lots_changed": plan.lots_changed, "unchanged": plan.unchanged, "changes_total": len(plan.changes),
        "quantity_in": plan.quantity_in,
        "quantity_out": plan.quantity_out, "ignored_columns": plan.ignored_columns,
        "by_unit": [{"unit": unit, "added": added, "removed": removed}
                    for unit, (added, removed) in plan.by_unit().items()],
        "dry_run": dry_run, "applied": import_id is not None, "import_id": import_id,
        "forced": force and prepared.previous is not None,
        "previous_import_id": prepared.previous.id if prepared.previous else None,
        **count_json(plan.counted),
    }


def count_json(counted) -> dict:
    """A stocktake's count moment, the lots moved since and those not counted (nothing for a delivery)."""
    if counted is None:
        return {}
    return {
        "counted_at": counted.counted_at,
        "not_counted": [{"lot_id": lot.lot_id, "lot_number": lot.lot_number} for lot in counted.not_counted],
        "zeroed": counted.zeroed,
        "moved_since_count": [{"lot_id": lot.lot_id, "quantity_then": lot.then, "quantity_now": lot.now}
                              for lot in counted.moved],
    }


def zero_choice(text: str) -> str | list[int]:
    """`all`, or lot ids separated by commas; 422 for anything else."""
    text = (text or "").strip()
    if text.lower() in ("", "all"):
        return text.lower()
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not all(part.isdigit() for part in parts):
        abort(422, message="zero_not_counted is `all` or lot ids separated by commas; nothing was imported.",
              errors=[{"field": "zero_not_counted", "message": f"Not `all` nor lot ids: {text[:60]!r}."}])
    return [int(part) for part in parts]


def change_json(change) -> dict:
    """One row's change."""
    product = change.product
    return {
        "row": change.row, "kind": change.kind, "product_id": product.id, "product": product.name,
        "unit": product.unit, "lot_id": change.lot_id, "lot": change.lot, "expiry": change.expiry,
        "on_hand": change.on_hand, "quantity": change.quantity, "on_hand_after": change.after,
    }


def error_json(error) -> dict:
    """One cell error."""
    return {"sheet": error.sheet, "row": error.row, "column": error.column, "value": error.value,
            "message": error.message}


@blp.route("/stock/imports")
class Imports(MethodView):
    @allowed(blp, Permission.EDIT_STOCK)
    @blp.arguments(ImportIn, location="files")
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="A delivery imported before (send force=true to "
                      "import it again), or the stock changed while importing: nothing written")
    @blp.alt_response(413, schema=ErrorSchema, description="The upload is larger than the limit")
    @blp.alt_response(422, schema=ImportErrorsSchema, description="The file or some of its rows cannot be "
                      "used: every error, with its sheet, row, column and value; nothing written")
    def post(self, body):
        """Check a delivery or stocktake workbook, then apply it in one transaction.

        With dry_run, only answer what it would change. Any error: nothing is written, and
        every error is listed with its sheet, row, column and value.
        """
        upload = body["file"]
        name = uploads.file_name(upload.filename)
        order = order_for_import(body.get("order_id"), body["mode"])
        try:
            prepared, stock_import = import_upload(upload.read(), name, body["mode"], actor=current_actor(),
                                                   force=body["force"], dry_run=body["dry_run"],
                                                   zero=zero_choice(body["zero_not_counted"]))
        except ZeroRefused as refused:
            abort(422, message=f"{refused.message} Nothing was imported.",
                  errors=[{"field": "zero_not_counted", "message": refused.message}])
        except WorkbookRefused as refused:
            whole = {"sheet": None, "row": None, "column": None, "value": name, "message": refused.message}
            abort(422, message=f"{refused.message} Nothing was imported.", errors=[whole])
        except ImportHasErrors as refused:
            count = len(refused.prepared.plan.errors)
            abort(422, message=f"Nothing was imported: {count} error{'s' if count != 1 else ''} in the file.",
                  errors=[error_json(error) for error in refused.prepared.plan.errors])
        except AlreadyImported as refused:
            abort(409, message=f"{refused}: then send force=true.")
        except ImportConflict as refused:
            db.session.rollback()
            abort(409, message=str(refused))
        import_id, booked = None, None
        if stock_import is not None:
            booked = book_import(order, stock_import) if order is not None else None
            db.session.commit()
            import_id = stock_import.id
        summary = summary_json(prepared, dry_run=body["dry_run"], force=body["force"], import_id=import_id)
        summary["order"] = booked
        listed = prepared.plan.changes[:CHANGES_LISTED]
        return {"summary": summary, "changes": [change_json(change) for change in listed]}


XLSX = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
    "schema": {"type": "string", "format": "binary"},
}}


class ExportIn(ma.Schema):
    storage = ma.fields.String(load_default="", metadata={"description": "Cycle count: one storage place"})
    category = ma.fields.String(load_default="", metadata={"description": "Cycle count: one category"})
    product_id = Id(load_default=None, allow_none=True, metadata={"description": "Cycle count: one product"})


@blp.route("/stock/export")
class Export(MethodView):
    @allowed(blp, Permission.VIEW_STOCK)
    @blp.arguments(ExportIn, location="query")
    @blp.doc(responses={"200": {"description": "The stock workbook (Stock and Products sheets), as an "
                                               "attachment named formulary-stock-YYYY-MM-DD.xlsx",
                                "content": XLSX}})
    def get(self, args):
        """The stock workbook: a Stock sheet with a row per lot holding stock, and a Products sheet.

        It records its moment, this database and each lot's quantity then (a hidden sheet): imported back as a
        stocktake, it counts against them. storage, category or product_id export one part for a cycle count.
        """
        scope = CountScope(args["storage"].strip(), args["category"].strip(), args["product_id"])
        return stock_workbook(current_actor(), scope)
