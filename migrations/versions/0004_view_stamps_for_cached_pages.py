"""View stamps for cached pages: one counter per user and one for shared content (app/view_cache.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 19:05:20.314149

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('view_stamp',
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('stamp', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_view_stamp'))
    )


def downgrade():
    op.drop_table('view_stamp')
