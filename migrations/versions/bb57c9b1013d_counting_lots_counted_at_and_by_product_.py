"""counting: lots counted at and by, product package, database identity

Revision ID: bb57c9b1013d
Revises: 8f15e28ddc95
Create Date: 2026-12-06 06:00:07.386135

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bb57c9b1013d'
down_revision = '8f15e28ddc95'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('database_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_database_identity')),
    sa.UniqueConstraint('uuid', name=op.f('uq_database_identity_uuid'))
    )
    with op.batch_alter_table('lot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('counted_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_lot_counted_by_id_user'), 'user', ['counted_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('package', sa.String(length=12), server_default='vial', nullable=False))
        batch_op.create_check_constraint(
            'package_known',
            "package IN ('vial', 'ampoule', 'syringe', 'cartridge', 'bottle', 'tube', 'sachet', 'box', 'piece')",
        )



def downgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_constraint('package_known', type_='check')
        batch_op.drop_column('package')

    with op.batch_alter_table('lot', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_lot_counted_by_id_user'), type_='foreignkey')
        batch_op.drop_column('counted_by_id')
        batch_op.drop_column('counted_at')

    op.drop_table('database_identity')
