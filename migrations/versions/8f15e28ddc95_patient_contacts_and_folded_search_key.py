"""patient contacts (phone, e-mail, permission) and the folded search key

Revision ID: 8f15e28ddc95
Revises: 9b6057f8f672
Create Date: 2026-12-06 06:25:00

The search key is the name and clinic reference folded (lower case, no accents:
formulary/patients/folding.py), so that "lucia" finds "Lucía" on SQLite and PostgreSQL alike.
PostgreSQL's unaccent() is not used: it is not immutable, so no index could hold it, and SQLite has
none; the one folded column serves both, with a trigram index on PostgreSQL that replaces the two on
name and reference (the search no longer reads those columns).
"""
from alembic import op
import sqlalchemy as sa

from formulary.patients.folding import search_key


# revision identifiers, used by Alembic.
revision = '8f15e28ddc95'
down_revision = '9b6057f8f672'
branch_labels = None
depends_on = None

patient = sa.table("patient", sa.column("id", sa.Integer), sa.column("name", sa.String),
                   sa.column("reference", sa.String), sa.column("search_key", sa.String))


def upgrade():
    # Existing patients get blank contacts, no permission recorded, and their key computed below. Plain
    # ADD COLUMNs, no batch: SQLite adds a column with a constant default in place, keeping the table's
    # expression index (a batch would reflect the table, and a rebuild would lose that index).
    op.add_column('patient', sa.Column('phone', sa.String(length=40), nullable=False, server_default=""))
    op.add_column('patient', sa.Column('email', sa.String(length=254), nullable=False, server_default=""))
    op.add_column('patient', sa.Column('contact_ok', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('patient', sa.Column('search_key', sa.String(length=260), nullable=False, server_default=""))
    bind = op.get_bind()
    rows = bind.execute(sa.select(patient.c.id, patient.c.name, patient.c.reference)).all()
    if rows:
        bind.execute(patient.update().where(patient.c.id == sa.bindparam("pid")).values(search_key=sa.bindparam("key")),
                     [{"pid": pid, "key": search_key(name, reference)} for pid, name, reference in rows])
    if bind.dialect.name == "postgresql":
        # The model writes every value itself: no default stays in the schema. (SQLite keeps them: dropping
        # a default there rebuilds the table, which would lose the expression index ix_patient_name_lower.)
        for column in ("phone", "email", "contact_ok", "search_key"):
            op.alter_column("patient", column, server_default=None)
        schema = bind.exec_driver_sql(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'").scalar()
        for column in ("name", "reference"):
            op.drop_index(f"ix_patient_{column}_trigram", table_name="patient")
        op.create_index("ix_patient_search_key_trigram", "patient", ["search_key"], unique=False,
                        postgresql_using="gin", postgresql_ops={"search_key": f"{schema}.gin_trgm_ops"})


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        schema = bind.exec_driver_sql(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'").scalar()
        op.drop_index("ix_patient_search_key_trigram", table_name="patient")
        for column in ("name", "reference"):
            op.create_index(f"ix_patient_{column}_trigram", "patient", [column], unique=False,
                            postgresql_using="gin", postgresql_ops={column: f"{schema}.gin_trgm_ops"})
    for column in ("search_key", "contact_ok", "email", "phone"):
        op.drop_column("patient", column)
