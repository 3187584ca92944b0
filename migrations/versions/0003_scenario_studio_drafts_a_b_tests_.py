"""Scenario studio drafts and publish history, script A/B tests, per-user session nonce, home-page indexes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:26:32.430659

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('experiment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('variant_a_id', sa.Integer(), nullable=False),
    sa.Column('variant_b_id', sa.Integer(), nullable=False),
    sa.Column('split', sa.Enum('random', 'team', name='experiment_split', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status', sa.Enum('running', 'stopped', name='experiment_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_experiment_created_by_id_user')),
    sa.ForeignKeyConstraint(['variant_a_id'], ['scenario.id'], name=op.f('fk_experiment_variant_a_id_scenario')),
    sa.ForeignKeyConstraint(['variant_b_id'], ['scenario.id'], name=op.f('fk_experiment_variant_b_id_scenario')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_experiment'))
    )
    with op.batch_alter_table('experiment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experiment_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_experiment_variant_a_id'), ['variant_a_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_experiment_variant_b_id'), ['variant_b_id'], unique=False)

    op.create_table('experiment_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('experiment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('variant', sa.Enum('a', 'b', name='experiment_variant', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['experiment_id'], ['experiment.id'], name=op.f('fk_experiment_assignment_experiment_id_experiment')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_experiment_assignment_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_experiment_assignment')),
    sa.UniqueConstraint('experiment_id', 'user_id', name=op.f('uq_experiment_assignment_experiment_id'))
    )
    with op.batch_alter_table('experiment_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experiment_assignment_experiment_id'), ['experiment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_experiment_assignment_user_id'), ['user_id'], unique=False)

    op.create_table('experiment_team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('experiment_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('variant', sa.Enum('a', 'b', name='experiment_variant', native_enum=False, create_constraint=True), nullable=False),
    sa.ForeignKeyConstraint(['experiment_id'], ['experiment.id'], name=op.f('fk_experiment_team_experiment_id_experiment')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_experiment_team_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_experiment_team')),
    sa.UniqueConstraint('experiment_id', 'team_id', name=op.f('uq_experiment_team_experiment_id'))
    )
    with op.batch_alter_table('experiment_team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experiment_team_experiment_id'), ['experiment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_experiment_team_team_id'), ['team_id'], unique=False)

    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.create_index('ix_attempt_user_id_started_at', ['user_id', 'started_at'], unique=False)

    with op.batch_alter_table('play', schema=None) as batch_op:
        batch_op.create_index('ix_play_user_id_status_finished_at', ['user_id', 'status', 'finished_at'], unique=False)

    with op.batch_alter_table('scenario', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('draft_updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('draft_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_scenario_draft_by_id_user'), 'user', ['draft_by_id'], ['id'])

    with op.batch_alter_table('scenario_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('restored_from', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_scenario_version_published_by_id_user'), 'user', ['published_by_id'], ['id'])

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_nonce', sa.String(length=32), nullable=True))



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_nonce')

    with op.batch_alter_table('scenario_version', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_scenario_version_published_by_id_user'), type_='foreignkey')
        batch_op.drop_column('restored_from')
        batch_op.drop_column('published_by_id')

    with op.batch_alter_table('scenario', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_scenario_draft_by_id_user'), type_='foreignkey')
        batch_op.drop_column('edited_at')
        batch_op.drop_column('draft_by_id')
        batch_op.drop_column('draft_updated_at')
        batch_op.drop_column('draft')

    with op.batch_alter_table('play', schema=None) as batch_op:
        batch_op.drop_index('ix_play_user_id_status_finished_at')

    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_user_id_started_at')

    with op.batch_alter_table('experiment_team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experiment_team_team_id'))
        batch_op.drop_index(batch_op.f('ix_experiment_team_experiment_id'))

    op.drop_table('experiment_team')
    with op.batch_alter_table('experiment_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experiment_assignment_user_id'))
        batch_op.drop_index(batch_op.f('ix_experiment_assignment_experiment_id'))

    op.drop_table('experiment_assignment')
    with op.batch_alter_table('experiment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experiment_variant_b_id'))
        batch_op.drop_index(batch_op.f('ix_experiment_variant_a_id'))
        batch_op.drop_index(batch_op.f('ix_experiment_status'))

    op.drop_table('experiment')
