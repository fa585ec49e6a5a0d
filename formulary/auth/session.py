"""Who is asking: login sessions for pages, bearer tokens for the API, and the guard on both."""

from datetime import datetime
from functools import cache

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, select

from formulary.auth.models import User
from formulary.auth.tokens import user_for_token
from formulary.db import utcnow
from formulary.extensions import csrf, db, login_manager

API_PREFIX = "/api/v1/"
PUBLIC_API_PATHS = {"/api/v1/openapi.json"}


def public(view):
    """Mark a view as open to anonymous visitors (the login page, error pages)."""
    view.is_public = True
    return view


def init_login(app: Flask) -> None:
    """Set up Flask-Login and the guard that runs before every request."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    # Flask-WTF's own check would also hit the token-authenticated API; the guard decides.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(guard)


@cache
def _user_statement():
    # Built once: every page asks it.
    return select(User).where(User.id == bindparam("user_id"))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The logged-in user, if the session still matches their session token and they are active."""
    ident, _, token = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = db.session.scalar(_user_statement(), {"user_id": int(ident)})
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def current_actor() -> User | None:
    """The user behind this request: the API token's owner, or the logged-in user."""
    if "api_user" in g:
        return g.api_user
    return current_user if current_user.is_authenticated else None


def guard():
    """Authenticate every request: bearer token on the API, login session on pages."""
    if request.path.startswith(API_PREFIX):
        return _guard_api()
    if request.endpoint is None:  # unknown URL: let the 404 page answer
        return None
    view = current_app.view_functions.get(request.endpoint)
    if request.endpoint == "static" or request.endpoint.endswith(".static"):
        return None
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    if getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if _session_expired():
        logout_user()
        session.clear()
        flash("Your session has ended; please log in again.", "info")
        return redirect(url_for("auth.login", next=request.full_path))
    return None


def _session_expired() -> bool:
    now = utcnow()
    started = session.get("login_at")
    seen = session.get("seen_at")
    if started is None or seen is None:
        return True
    config = current_app.config
    if now - datetime.fromisoformat(started) > config["SESSION_LIFETIME"]:
        return True
    if now - datetime.fromisoformat(seen) > config["IDLE_TIMEOUT"]:
        return True
    # Stamping every request would rewrite the cookie each time; a minute's grain is enough.
    if (now - datetime.fromisoformat(seen)).total_seconds() > 60:
        session["seen_at"] = now.isoformat()
    return False


def start_session(user: User) -> None:
    """Begin a fresh login session: clear the old cookie's contents, stamp the times."""
    session.clear()
    login_user(user)
    session.permanent = True
    now = utcnow().isoformat()
    session["login_at"] = now
    session["seen_at"] = now


def _guard_api():
    if request.path in PUBLIC_API_PATHS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        abort(401, description="A valid API token is required: send 'Authorization: Bearer <token>'.")
    g.api_user = user
    return None
