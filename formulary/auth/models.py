"""Users, their API tokens, and the counters of failed logins."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formulary.auth.permissions import Permission, Role, role_may
from formulary.db import one_of, utcnow
from formulary.extensions import Model
from formulary.vocabulary import ThrottleScope


def new_session_token() -> str:
    """A fresh value that, once changed, ends every login session of the user."""
    return secrets.token_hex(16)


class User(UserMixin, Model):
    """Someone who logs in: an admin, a manager or a practitioner."""

    __tablename__ = "user"
    __table_args__ = (one_of("role", Role, "role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    tokens: Mapped[list["ApiToken"]] = relationship(
        back_populates="user", order_by="ApiToken.created_at.desc()"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        # The session token rides in the login cookie: rotating it logs the user out everywhere.
        return f"{self.id}:{self.session_token}"

    def can(self, permission: Permission) -> bool:
        """Whether this user's role holds the permission."""
        return self.active and role_may(self.role, permission)

    @property
    def display_name(self) -> str:
        """The name shown in the UI and the audit trail."""
        return self.full_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"


class ApiToken(Model):
    """A bearer token for the JSON API; only its SHA-256 hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown so that a user can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class LoginThrottle(Model):
    """One counter of recent failed logins, shared by every app server through the database.

    `key` names the counter; a typed username that is no user's appears in it only as a keyed hash.
    """

    __tablename__ = "login_throttle"
    __table_args__ = (
        one_of("scope", ThrottleScope, "scope_known"),
        Index("ix_login_throttle_last_failure_at", "last_failure_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    scope: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    failures: Mapped[int]
    first_failure_at: Mapped[datetime]
    last_failure_at: Mapped[datetime]

    user: Mapped[User | None] = relationship()
