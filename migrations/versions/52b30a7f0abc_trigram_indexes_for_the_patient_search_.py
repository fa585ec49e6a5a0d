"""trigram indexes for the patient search on postgresql

Revision ID: 52b30a7f0abc
Revises: 7cf163264160
Create Date: 2026-11-26 08:09:49.702644

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '52b30a7f0abc'
down_revision = '7cf163264160'
branch_labels = None
depends_on = None

COLUMNS = ("name", "reference")


def upgrade():
    # PostgreSQL only (the models say so with ddl_if): SQLite has no trigram index.
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm ships with PostgreSQL and is a trusted extension: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # Installed in another schema than the one migrated (a database with one schema per clinic or
    # per bench scale), its operator class is only found by its full name.
    schema = op.get_bind().exec_driver_sql(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'").scalar()
    for column in COLUMNS:
        op.create_index(f"ix_patient_{column}_trigram", "patient", [column], unique=False,
                        postgresql_using="gin", postgresql_ops={column: f"{schema}.gin_trgm_ops"})


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.drop_index(f"ix_patient_{column}_trigram", table_name="patient")
