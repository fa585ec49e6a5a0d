"""Every model, imported in one place so Alembic and create_all see all tables."""

from formulary.audit.models import AuditEvent
from formulary.auth.models import ApiToken, User

__all__ = ["ApiToken", "AuditEvent", "User"]
