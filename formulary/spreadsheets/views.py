"""Import/Export pages: download the stock workbook or the template; upload, preview, confirm an import."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.clinic_time import clinic_today
from formulary.db import writes_on_get
from formulary.extensions import db
from formulary.spreadsheets import uploads
from formulary.spreadsheets.blueprint import bp
from formulary.spreadsheets.downloads import stock_workbook, xlsx_download
from formulary.spreadsheets.errors import CellError, WorkbookRefused
from formulary.spreadsheets.exporter import export_file_name, export_template
from formulary.spreadsheets.forms import ConfirmForm, UploadForm
from formulary.spreadsheets.history import recent_imports
from formulary.spreadsheets.importer import apply_import, check_upload, prepare_from_config
from formulary.spreadsheets.prepared import (
    AlreadyImported,
    ImportConflict,
    ImportHasErrors,
    PreparedImport,
    PreviewOutdated,
)
from formulary.spreadsheets.writer import looks_like_formula
from formulary.stock.counting import CountScope, scope_choices
from formulary.vocabulary import ImportMode

PREVIEW_ROWS = 200  # changes listed on the preview page; the totals count them all
ERRORS_SHOWN = 1_000  # errors listed on the page; all of them are in the CSV download


@bp.route("/")
@permission_required(Permission.VIEW_STOCK)
def index():
    """The page: export (all stock, or one part for a cycle count), the template, the upload, the latest imports."""
    return _index(UploadForm())


def _index(form: UploadForm) -> str:
    storages, categories, products = scope_choices()
    return render_template("spreadsheets/index.html", form=form, imports=recent_imports(5),
                           export_name=export_file_name(clinic_today()), storages=storages, categories=categories,
                           products=products)


@bp.route("/export")
@writes_on_get
@permission_required(Permission.VIEW_STOCK)
def export():
    """The stock workbook: a Stock sheet (a row per lot holding stock) and a Products sheet; its count record.

    storage, category or product_id in the query string: one part of the stock, for a cycle count.
    """
    return stock_workbook(current_actor(), CountScope.from_args(request.args))


@bp.route("/template")
@permission_required(Permission.VIEW_STOCK)
def template():
    """The delivery template: the Stock sheet's headers, a product drop-down and instructions."""
    order = current_app.config["DATE_ORDER"]
    return xlsx_download(lambda stream: export_template(stream, order),
                         "formulary-delivery-template.xlsx")


@bp.route("/upload", methods=["POST"])
@permission_required(Permission.EDIT_STOCK)
def upload():
    """Read and check an upload: the errors, or a preview of every change with a Confirm button."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _index(form)
    data, name = form.file.data.read(), uploads.file_name(form.file.data.filename)
    mode, force, user_id = form.mode.data, form.force.data, _user_id()
    digest = uploads.keep(data, name, mode, user_id)
    db.session.commit()  # kept before the slow reading, for whichever app server gets the confirm
    try:
        return _preview(check_upload(data, name, mode, force=force), mode, force)
    except WorkbookRefused as refused:
        uploads.discard(digest, user_id)
        db.session.commit()
        return _refusal(refused, name, mode)
    except ImportHasErrors as refused:
        return _errors(refused.prepared, mode)
    except AlreadyImported as refused:
        return _preview(refused.prepared, mode, force, refused=True)


@bp.route("/confirm", methods=["POST"])
@permission_required(Permission.EDIT_STOCK)
def confirm():
    """Apply exactly the previewed file, read again from the server's copy and checked again."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400, description="This confirmation is incomplete; nothing was imported. Upload it again.")
    digest, mode, name = form.sha256.data, form.mode.data, form.file_name.data or ""
    force, previewed = form.force.data == "1", form.changes.data or ""
    actor, user_id = current_actor(), _user_id()
    if not uploads.signed(form.signature.data, digest, mode, force, name, user_id, previewed):
        abort(400, description="This confirmation does not match the file that was previewed (the form was "
                               "changed); nothing was imported. Upload the file again.")
    data = uploads.fetch(digest, user_id)
    if data is None:
        abort(409, description="This preview is no longer available: it was imported already, or it expired. "
                               "Nothing was imported now; see the imports list, or upload the file again.")
    zero = "all" if request.form.get("zero_all") else [int(i) for i in request.form.getlist("zero") if i.isdigit()]
    try:
        prepared = check_upload(data, name, mode, force=force, previewed=previewed, zero=zero)
        stock_import = apply_import(prepared, actor=actor, force=force)
    except WorkbookRefused as refused:  # the rules changed since the preview (a smaller row limit …)
        return _refusal(refused, name, mode)
    except ImportHasErrors as refused:  # the stock changed since the preview
        return _errors(refused.prepared, mode)
    except AlreadyImported as refused:
        return _preview(refused.prepared, mode, force, refused=True)
    except PreviewOutdated as outdated:
        return _preview(outdated.prepared, mode, force, changed=True)
    except ImportConflict as conflict:
        db.session.rollback()
        abort(409, description=str(conflict))
    uploads.discard(digest, user_id)  # in the import's own transaction: applied once, then gone
    db.session.commit()
    counted = prepared.plan.counted
    zeroed = f", {_count(len(counted.zeroed), 'lot')} not counted set to zero" if counted and counted.zeroed else ""
    flash(f"Imported {name}: {_count(stock_import.lots_created, 'new lot')}, "
          f"{_count(stock_import.lots_changed, 'lot')} changed{zeroed}.", "success")
    return redirect(url_for("spreadsheets.import_detail", import_id=stock_import.id))


@bp.route("/uploads/<digest>/errors.csv")
@permission_required(Permission.EDIT_STOCK)
def errors_csv(digest: str):
    """Every error of an upload (the page lists the first thousand), as CSV."""
    mode, name = request.args.get("mode", ""), uploads.file_name(request.args.get("name", ""))
    data = uploads.fetch(digest, _user_id())
    if data is None or mode not in tuple(ImportMode):
        abort(404, description="This upload is no longer kept; upload the file again to see its errors.")
    found: Sequence[CellError | WorkbookRefused]
    try:
        found = prepare_from_config(data, name, mode).plan.errors
    except WorkbookRefused as refused:
        found = [refused]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["Sheet", "Row", "Column", "Value", "Error"])
    for error in found:
        if isinstance(error, WorkbookRefused):
            writer.writerow(["", "", "", "", error.message])
        else:
            writer.writerow([_cell_text(error.sheet), error.row, error.column, _cell_text(error.value),
                             _cell_text(error.message)])
    response = Response(text.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="errors-{digest[:12]}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _refusal(refused: WorkbookRefused, name: str, mode: str) -> str:
    """The errors page for a file refused as a whole."""
    return render_template("spreadsheets/errors.html", refusal=refused.message, file_name=name, mode=mode)


def _errors(prepared: PreparedImport, mode: str) -> str:
    """The errors page: the first thousand on the page, every one in the CSV."""
    plan = prepared.plan
    return render_template(
        "spreadsheets/errors.html", plan=plan, file_name=prepared.file_name, mode=mode,
        errors=plan.errors[:ERRORS_SHOWN], rows_with_errors=len({error.row for error in plan.errors}),
        csv_url=url_for("spreadsheets.errors_csv", digest=prepared.file_sha256, mode=mode, name=prepared.file_name),
    )


def _preview(prepared: PreparedImport, mode: str, force: bool, *, refused: bool = False,
             changed: bool = False) -> str:
    """The preview of every change, with a signed Confirm button (none for a delivery imported before)."""
    plan = prepared.plan
    digest, name, previewed = prepared.file_sha256, prepared.file_name, plan.changes_digest()
    confirm = ConfirmForm(
        formdata=None, sha256=digest, mode=mode, force="1" if force else "0", file_name=name,
        changes=previewed, signature=uploads.sign(digest, mode, force, name, _user_id(), previewed),
    )
    counts = plan.counted is not None and bool(plan.counted.counted)  # a stocktake: confirming records the count
    return render_template(
        "spreadsheets/preview.html", prepared=prepared, plan=plan, confirm=confirm, refused=refused,
        changes=plan.changes[:PREVIEW_ROWS], changed=changed, counts=counts,
    )


def _user_id() -> int:
    """The id of the user behind the request (every route here asks for a permission, so there is one)."""
    actor = current_actor()
    if actor is None:
        abort(401)
    return actor.id


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _cell_text(value: str) -> str:
    """A value for a CSV that a spreadsheet opens: never a formula there either."""
    return f"'{value}" if looks_like_formula(value) else value
