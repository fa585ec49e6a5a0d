"""Log in, log out, and the profile page (own password, API tokens)."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from formulary.audit.log import record
from formulary.auth.forms import ConfirmForm, LoginForm, OwnPasswordForm, TokenForm
from formulary.auth.lockout import LoginThrottled
from formulary.auth.models import ApiToken, new_session_token
from formulary.auth.passwords import WeakPassword, verify_password
from formulary.auth.session import public, start_session
from formulary.auth.tokens import create_token, revoke_token
from formulary.auth.users import authenticate, live_tokens, set_password
from formulary.extensions import db

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow a `next` that stays on this site."""
    if target and not urlsplit(target).netloc and target.startswith("/") and "//" not in target:
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """The login page; the same message for an unknown user and a wrong password."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data)
        except LoginThrottled as throttled:
            db.session.commit()
            flash(str(throttled), "danger")
            return render_template("auth/login.html", form=form), 429
        db.session.commit()
        if user is None:
            flash("Unknown username or wrong password.", "danger")
            return render_template("auth/login.html", form=form), 200
        start_session(user)
        flash(f"Welcome, {user.display_name}.", "success")
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """End the session (POST, so a link elsewhere cannot log anyone out).

    The login cookie lives in the browser, so a copy of it would outlast a plain logout: a new
    session token makes every copy worthless (and logs the user out on their other devices too).
    """
    current_user.session_token = new_session_token()
    record("logout", actor=current_user, target=current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    """Change one's own password; list, create and revoke one's API tokens."""
    password_form = OwnPasswordForm(prefix="pw")
    live = len(live_tokens(current_user))
    password_form.revoke_tokens.label.text = f"Also revoke my {live} API token{'' if live == 1 else 's'}"
    token_form = TokenForm(prefix="tok")
    new_token = None
    if password_form.submit.data and password_form.validate_on_submit():
        if not verify_password(current_user.password_hash, password_form.current.data):
            password_form.current.errors.append("This is not your current password.")
        else:
            try:
                revoked = set_password(current_user, password_form.password.data, actor=current_user,
                                       revoke_tokens=password_form.revoke_tokens.data)
            except WeakPassword as error:
                password_form.password.errors.append(str(error))
            else:
                db.session.commit()
                start_session(current_user)  # the old session token died with the password
                tokens = f" and {revoked} API token{'' if revoked == 1 else 's'} revoked" if revoked else ""
                flash(f"Your password is changed; other sessions are logged out{tokens}.", "success")
                return redirect(url_for("auth.profile"))
    elif token_form.submit.data and token_form.validate_on_submit():
        _row, new_token = create_token(current_user, token_form.name.data, actor=current_user)
        db.session.commit()
        flash("Token created. Copy it now: it is shown only once.", "success")
        token_form = TokenForm(prefix="tok", formdata=None)
    return render_template(
        "auth/profile.html",
        password_form=password_form,
        token_form=token_form,
        new_token=new_token,
        live_tokens=live,
        revoke_form=ConfirmForm(),
    )


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke(token_id: int):
    """Revoke one of one's own tokens."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    revoke_token(row, actor=current_user)
    db.session.commit()
    flash(f"Token “{row.name}” revoked.", "success")
    return redirect(url_for("auth.profile"))
