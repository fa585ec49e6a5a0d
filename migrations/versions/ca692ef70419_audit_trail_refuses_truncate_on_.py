"""audit trail refuses truncate on postgresql

Revision ID: ca692ef70419
Revises: b7ff328c6f40
Create Date: 2026-11-26 05:59:35.403061

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ca692ef70419'
down_revision = 'b7ff328c6f40'
branch_labels = None
depends_on = None


def upgrade():
    # TRUNCATE does not fire row triggers: a statement trigger closes that way round the rule.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
