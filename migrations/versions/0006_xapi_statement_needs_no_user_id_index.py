"""xapi_statement needs no user_id index: no query looks statements up by learner.

One index fewer to write for every learning record (a role-play step writes one).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 20:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('xapi_statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xapi_statement_user_id'))


def downgrade():
    with op.batch_alter_table('xapi_statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xapi_statement_user_id'), ['user_id'], unique=False)
