"""`formulary setup`: bring a database to a working state, idempotently."""

import os
import secrets

from flask_migrate import upgrade
from sqlalchemy import func, select

from formulary.auth.models import User
from formulary.auth.permissions import Role
from formulary.auth.users import create_user
from formulary.extensions import db

FIRST_ADMIN = "admin"


def ensure_first_admin() -> list[str]:
    """Create the admin user when there is none; say its password only when it was generated."""
    if db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN)):
        return ["An admin already exists; users unchanged."]
    given = os.environ.get("FORMULARY_ADMIN_PASSWORD")
    generated = not given
    password = given or secrets.token_urlsafe(12)
    create_user(FIRST_ADMIN, password, Role.ADMIN, full_name="Administrator")
    if generated:
        return [
            f"Created the first admin: username {FIRST_ADMIN}, password {password}",
            "  (shown only now; change it on the Profile page)",
        ]
    return [f"Created the first admin {FIRST_ADMIN} with the password in FORMULARY_ADMIN_PASSWORD."]


def set_up(*, demo: bool = False) -> list[str]:
    """Upgrade the schema, load reference data, make the first admin, optionally the demo."""
    from formulary.catalogue.reference_sync import sync_reference_library
    from formulary.demo.clinic import load_demo

    upgrade()
    lines = ["Database schema is up to date."]
    lines += sync_reference_library()
    lines += ensure_first_admin()
    if demo:
        lines += load_demo()
    db.session.commit()
    return lines
