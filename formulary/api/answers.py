"""What the API's resources share when answering: the token's user, a page of a query, a 404 naming
what is missing, a refusal that undoes what the change wrote."""

from collections.abc import Callable, Sequence
from typing import NoReturn, TypeVar

from flask import current_app
from flask_smorest import abort as smorest_abort

from formulary.api.schemas import MAX_ID, MAX_PER_PAGE
from formulary.auth.models import User
from formulary.auth.session import current_actor
from formulary.extensions import db

T = TypeVar("T")

# flask-smorest's abort always raises (an HTTPException carrying the JSON answer's data).
abort: Callable[..., NoReturn] = smorest_abort


def api_user() -> User:
    """The user the request's token belongs to (the guard let no request in without one)."""
    user = current_actor()
    if user is None:
        abort(401, message="No valid API token (send 'Authorization: Bearer <token>').")
    return user


def paginate(statement, args: dict) -> tuple[list, int]:
    """One page of a SELECT and the total count, from PageArgs."""
    per_page = args.get("per_page") or current_app.config["PER_PAGE"]
    page = db.paginate(
        statement, page=args["page"], per_page=per_page, max_per_page=MAX_PER_PAGE, error_out=False
    )
    return list(page.items), page.total or 0


def load_or_404(load: Callable[[int], T | None], ident: int, what: str) -> T:
    """What `load` reads for this id (a row, with what it loads along), or a 404 naming what was looked for."""
    row = load(ident) if 0 < ident <= MAX_ID else None
    if row is None:
        abort(404, message=f"There is no {what} with id {ident}.")
    return row


def get_or_404(model: type[T], ident: int, what: str) -> T:
    """The row with this id, or a 404 naming what was looked for."""
    return load_or_404(lambda key: db.session.get(model, key), ident, what)


def refuse(status: int, message: str, errors: Sequence[tuple[str, str]] = ()) -> NoReturn:
    """Undo anything the refused change wrote, then answer with the message and each field's error."""
    db.session.rollback()
    if errors:
        abort(status, message=message, errors=[{"field": f, "message": m} for f, m in errors])
    abort(status, message=message)


def refuse_fields(status: int, lead: str, errors: Sequence[tuple[str, str]]) -> NoReturn:
    """Refuse with each (field, message): the answer's message is `lead` followed by all of them."""
    refuse(status, " ".join([lead, *(message for _field, message in errors)]).strip(), errors)
