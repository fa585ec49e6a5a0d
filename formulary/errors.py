"""One place that turns every error into a page (or, under /api/v1, a JSON answer)."""

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
    RequestURITooLarge,
    ServiceUnavailable,
)

from formulary.auth.session import API_PREFIX
from formulary.extensions import db, login_manager


class FieldErrors(ValueError):
    """Refused values; `errors` is a list of (field, message), and str() joins the messages."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(message for _field, message in errors))
        self.errors = errors


TITLES = {
    400: "This request could not be handled",
    401: "Please log in",
    403: "Not allowed for your role",
    404: "Page not found",
    405: "Not allowed here",
    409: "Refused by a rule",
    413: "File too large",
    414: "Address too long",
    422: "Some values need correcting",
    500: "Something went wrong on our side",
    503: "The database is not reachable",
}


# Below gunicorn's request line limit (4094 bytes), so that the app, not the server, refuses a
# too-long address, and under /api/v1 refuses it in JSON like every other error.
MAX_URL_LENGTH = 4000


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.before_request(refuse_long_urls)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(RequestEntityTooLarge, handle_too_large)
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(Exception, handle_unexpected)


def _flatten(messages, prefix: str = "") -> list[dict]:
    """webargs' nested {location: {field: [msg]}} → [{field, message}] as API.md shows."""
    if isinstance(messages, dict):
        items = []
        for key, value in messages.items():
            if key in ("json", "query", "form", "files") and not prefix:
                items += _flatten(value, "")
            else:
                items += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return items
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [{"field": prefix, "message": m} for m in messages]
    if isinstance(messages, list):
        return [item for m in messages for item in _flatten(m, prefix)]
    return [{"field": prefix, "message": str(messages)}]


def render_error(error: HTTPException):
    """The error page, or the JSON error for API requests."""
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    if request.path.startswith(API_PREFIX):
        body = {"message": data.get("message") or error.description or TITLES.get(code, "")}
        if "errors" in data:
            body["errors"] = data["errors"]
        elif "messages" in data:
            body["errors"] = _flatten(data["messages"])
            body["message"] = "Some values are missing or invalid."
        response = jsonify(body)
        response.status_code = code
        if code == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response
    title = TITLES.get(code, error.name)
    return render_template("errors/error.html", code=code, title=title, error=error), code


def refuse_long_urls() -> None:
    """A path and query string longer than MAX_URL_LENGTH: 414, as a page or as JSON under /api/v1."""
    if len(request.full_path) > MAX_URL_LENGTH:
        raise RequestURITooLarge(
            f"The address is longer than {MAX_URL_LENGTH} characters: send fewer or shorter query values."
        )


def handle_csrf_error(error: CSRFError):
    """A missing or stale form token: nothing was written; say how to go on."""
    error.description = (
        "This form was open too long or was sent from another page, so nothing was saved. "
        "Go back, reload the page and try again."
    )
    return render_error(error)


def handle_too_large(error: RequestEntityTooLarge):
    """An upload over the limit (413): nothing was read; name the limit and how to go on."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    error.description = (
        f"The file is larger than the upload limit of {limit / 1024 / 1024:g} MB, so nothing was read "
        "or imported. Split it into smaller files (a workbook per delivery, or per part of the stocktake)."
    )
    return render_error(error)


def handle_unexpected(error: Exception):
    """Anything else: log it with its traceback, show a clean page, never the traceback."""
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    if isinstance(error, OperationalError):
        # The user cannot be loaded either: render the page as for a visitor.
        g.setdefault("_login_user", login_manager.anonymous_user())
        return render_error(
            ServiceUnavailable("The database did not answer. Nothing was saved; try again shortly.")
        )
    return render_error(InternalServerError())
