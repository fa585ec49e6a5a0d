"""What the API's resources share when answering: a page of a query, a 404 naming what is missing,
a refusal that undoes what the change wrote."""

from typing import NoReturn

from flask import current_app
from flask_smorest import abort

from formulary.api.schemas import MAX_ID, MAX_PER_PAGE
from formulary.extensions import db


def paginate(statement, args: dict) -> tuple[list, int]:
    """One page of a SELECT and the total count, from PageArgs."""
    per_page = args.get("per_page") or current_app.config["PER_PAGE"]
    page = db.paginate(
        statement, page=args["page"], per_page=per_page, max_per_page=MAX_PER_PAGE, error_out=False
    )
    return list(page.items), page.total


def get_or_404(model, ident: int, what: str):
    """The row with this id, or a 404 naming what was looked for."""
    row = db.session.get(model, ident) if 0 < ident <= MAX_ID else None
    if row is None:
        abort(404, message=f"There is no {what} with id {ident}.")
    return row


def refuse(status: int, message: str, errors: list[tuple[str, str]] = ()) -> NoReturn:
    """Undo anything the refused change wrote, then answer with the message and each field's error."""
    db.session.rollback()
    if errors:
        abort(status, message=message, errors=[{"field": f, "message": m} for f, m in errors])
    abort(status, message=message)


def refuse_fields(status: int, lead: str, errors: list[tuple[str, str]]) -> NoReturn:
    """Refuse with each (field, message): the answer's message is `lead` followed by all of them."""
    refuse(status, " ".join([lead, *(message for _field, message in errors)]).strip(), errors)
