"""outflow sums for the reports, the ledger indexed by kind and time, administered sessions indexed

Revision ID: 28970d0a58b6
Revises: 7be8d5ee7af8
Create Date: 2026-12-06 09:31:00.823472

The reports read what left stock from sums kept as the ledger is written (formulary/stock/outflows.py):
per product and day, week or month, per day for the whole clinic, per cocktail version and day of
the sessions that drew the stock. The ledger already
written is summed here, by the same code. The ledger's index on time alone becomes one on kind and
time: its readers all name the kinds they want, and turnover reads receipts, adjustments and returns
since a day without the administrations. Administered sessions get a partial index that holds what the
session reports group by.
"""
from alembic import op
import sqlalchemy as sa

from formulary.stock.outflows import rebuild


# revision identifiers, used by Alembic.
revision = '28970d0a58b6'
down_revision = '7be8d5ee7af8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('daily_outflow',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('expired', sa.Boolean(), nullable=False),
    sa.Column('by_session', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('movements', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('value', sa.Numeric(precision=22, scale=7), nullable=False),
    sa.PrimaryKeyConstraint('day', 'kind', 'expired', 'by_session', 'reason', name=op.f('pk_daily_outflow')),
    sqlite_with_rowid=False
    )
    op.create_table('product_outflow',
    sa.Column('span', sa.String(length=5), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('administered', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('wasted', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('expired', sa.Numeric(precision=18, scale=3), nullable=False),
    sa.Column('administered_value', sa.Numeric(precision=22, scale=7), nullable=False),
    sa.Column('wasted_value', sa.Numeric(precision=22, scale=7), nullable=False),
    sa.Column('expired_value', sa.Numeric(precision=22, scale=7), nullable=False),
    sa.CheckConstraint("span IN ('day', 'week', 'month')", name=op.f('ck_product_outflow_span_known')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_product_outflow_product_id_product')),
    sa.PrimaryKeyConstraint('span', 'start', 'product_id', name=op.f('pk_product_outflow')),
    sqlite_with_rowid=False
    )
    op.create_table('session_day_cost',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('cocktail_version_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=22, scale=7), nullable=False),
    sa.ForeignKeyConstraint(['cocktail_version_id'], ['cocktail_version.id'], name=op.f('fk_session_day_cost_cocktail_version_id_cocktail_version')),
    sa.PrimaryKeyConstraint('day', 'cocktail_version_id', name=op.f('pk_session_day_cost')),
    sqlite_with_rowid=False
    )
    # Plain index statements, no batch: a rebuilt table would lose the partial index on session waste.
    op.drop_index('ix_stock_movement_at', table_name='stock_movement')
    op.create_index('ix_stock_movement_kind_at', 'stock_movement', ['kind', 'at'], unique=False)
    op.create_index('ix_treatment_session_administered', 'treatment_session',
                    ['scheduled_for', 'cocktail_version_id', 'practitioner_id', 'status'], unique=False,
                    sqlite_where=sa.text("status = 'administered'"),
                    postgresql_where=sa.text("status = 'administered'"))
    rebuild(op.get_bind())


def downgrade():
    op.drop_index('ix_treatment_session_administered', table_name='treatment_session')
    op.drop_index('ix_stock_movement_kind_at', table_name='stock_movement')
    op.create_index('ix_stock_movement_at', 'stock_movement', ['at'], unique=False)
    op.drop_table('session_day_cost')
    op.drop_table('product_outflow')
    op.drop_table('daily_outflow')
