"""play_step needs no play_id index beside its unique (play_id, index), which serves the same look-ups.

One index fewer to write on every role-play step.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 17:07:24.386290

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('play_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_play_step_play_id'))


def downgrade():
    with op.batch_alter_table('play_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_play_step_play_id'), ['play_id'], unique=False)
