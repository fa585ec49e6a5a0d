"""the waste kept under what was said of an opened vial, not one reason per vial

Revision ID: 5d1f0c2b7a93
Revises: 28970d0a58b6
Create Date: 2026-12-06 15:50:00

An opened vial's discard is written "opened vial #12: lapsed: opened 2026-11-01, use by 2026-11-29"; the
daily sums kept that whole note as the waste's reason, so the waste report listed every vial apart. The
sums (formulary/stock/outflows.py) now keep "opened vial past its use-by", or "opened vial: " and the
reason given; the ledger already written is summed again here, by the same code. No table changes.
"""
from alembic import op

from formulary.stock.outflows import rebuild


# revision identifiers, used by Alembic.
revision = '5d1f0c2b7a93'
down_revision = '28970d0a58b6'
branch_labels = None
depends_on = None


def upgrade():
    rebuild(op.get_bind())


def downgrade():
    pass  # no table changed: the sums stay as the code that runs keeps them
