"""Admin pages: create users, change roles, reset passwords, deactivate; see who is guessing passwords."""

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from formulary.audit.tally import tally_since
from formulary.auth.access import permission_required
from formulary.auth.forms import ConfirmForm, PasswordResetForm, RoleForm, UserCreateForm
from formulary.auth.lockout import attacks
from formulary.auth.models import User
from formulary.auth.passwords import WeakPassword
from formulary.auth.permissions import PERMISSIONS, Permission, Role
from formulary.auth.users import (
    UserError,
    change_role,
    create_user,
    live_tokens,
    set_active,
    set_password,
)
from formulary.db import utcnow
from formulary.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@permission_required(Permission.MANAGE_USERS)
def only_user_managers():
    """Every page here manages users."""


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users")
def users():
    """All users, active first, with what each role may do."""
    rows = db.session.scalars(select(User).order_by(User.active.desc(), User.username)).all()
    now = utcnow()
    under_attack, locked_addresses = attacks(now)
    return render_template(
        "admin/users.html", users=rows, permissions=PERMISSIONS, roles=list(Role),
        attacks=under_attack, locked_addresses=locked_addresses,
        unknown_users=tally_since("login.failed", now - timedelta(days=1)),
    )


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    """Create a user."""
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = create_user(
                form.username.data,
                form.password.data,
                form.role.data,
                actor=current_user,
                full_name=form.full_name.data or "",
            )
        except WeakPassword as error:
            form.password.errors.append(str(error))
        except UserError as error:
            form.username.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"User {user.username} created as {user.role}.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_new.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int):
    """One user: role, password reset, deactivate or reactivate."""
    user = _user_or_404(user_id)
    role_form = RoleForm(prefix="role", role=user.role)
    password_form = PasswordResetForm(prefix="pw")
    if role_form.submit.data and role_form.validate_on_submit():
        try:
            change_role(user, role_form.role.data, actor=current_user)
        except UserError as error:
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(f"{user.username} is now {user.role}.", "success")
            return redirect(url_for("admin.user", user_id=user.id))
    elif password_form.submit.data and password_form.validate_on_submit():
        try:
            revoked = set_password(user, password_form.password.data, actor=current_user)
        except WeakPassword as error:
            password_form.password.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"New password set for {user.username}; their sessions are ended, any login lock "
                  f"lifted, and {revoked} API token{'' if revoked == 1 else 's'} revoked.", "success")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template(
        "admin/user.html",
        user=user,
        attack=next((a for a in attacks(utcnow())[0] if a.user.id == user.id), None),
        live_tokens=len(live_tokens(user)),
        role_form=role_form,
        password_form=password_form,
        toggle_form=ConfirmForm(prefix="toggle"),
    )


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def toggle_active(user_id: int):
    """Deactivate an active user or reactivate an inactive one."""
    user = _user_or_404(user_id)
    form = ConfirmForm(prefix="toggle")
    if form.validate_on_submit():
        try:
            set_active(user, not user.active, actor=current_user)
        except UserError as error:
            flash(str(error), "danger")
        else:
            db.session.commit()
            state = "reactivated" if user.active else "deactivated"
            flash(f"{user.username} is {state}.", "success")
    return redirect(url_for("admin.user", user_id=user.id))
