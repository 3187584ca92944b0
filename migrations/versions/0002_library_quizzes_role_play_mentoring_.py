"""library, quizzes, role-play, mentoring, deals, API tokens and xAPI outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:38:06.463894

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('certification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('tier', sa.Enum('new_hire', 'core', 'manager', name='certification_tier', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('quizzes', sa.JSON(), nullable=False),
    sa.Column('scenarios', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification')),
    sa.UniqueConstraint('key', name=op.f('uq_certification_key'))
    )
    op.create_table('course',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('tier', sa.Enum('new_hire', 'core', 'manager', name='course_tier', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('prerequisites', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('behaviours', sa.JSON(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=True),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course')),
    sa.UniqueConstraint('slug', name=op.f('uq_course_slug'))
    )
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_tier'), ['tier'], unique=False)

    op.create_table('question_bank',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('course_slug', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_bank')),
    sa.UniqueConstraint('course_slug', name=op.f('uq_question_bank_course_slug')),
    sa.UniqueConstraint('name', name=op.f('uq_question_bank_name'))
    )
    op.create_table('scenario',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('persona', sa.String(length=300), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario')),
    sa.UniqueConstraint('slug', name=op.f('uq_scenario_slug'))
    )
    with op.batch_alter_table('scenario', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenario_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_scenario_lang'), ['lang'], unique=False)
        batch_op.create_index(batch_op.f('ix_scenario_tier'), ['tier'], unique=False)

    op.create_table('xapi_statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('verb', sa.String(length=200), nullable=False),
    sa.Column('activity_id', sa.String(length=500), nullable=False),
    sa.Column('statement', sa.JSON(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'rejected', name='xapi_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_statement')),
    sa.UniqueConstraint('statement_id', name=op.f('uq_xapi_statement_statement_id'))
    )
    with op.batch_alter_table('xapi_statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xapi_statement_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index('ix_xapi_statement_status_id', ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_xapi_statement_user_id'), ['user_id'], unique=False)

    op.create_table('question_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['question_bank.id'], name=op.f('fk_question_category_bank_id_question_bank')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_category')),
    sa.UniqueConstraint('bank_id', 'name', name='uq_question_category_bank_id_name')
    )
    with op.batch_alter_table('question_category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_category_bank_id'), ['bank_id'], unique=False)

    op.create_table('quiz',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('course_slug', sa.String(length=120), nullable=True),
    sa.Column('mode', sa.Enum('fixed', 'random', name='quiz_mode', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('draw_tag', sa.String(length=100), nullable=True),
    sa.Column('draw_count', sa.Integer(), nullable=False),
    sa.Column('pass_mark', sa.Float(), nullable=False),
    sa.Column('attempt_limit', sa.Integer(), nullable=True),
    sa.Column('time_limit_minutes', sa.Integer(), nullable=True),
    sa.Column('shuffle_answers', sa.Boolean(), nullable=False),
    sa.Column('shuffle_questions', sa.Boolean(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['question_bank.id'], name=op.f('fk_quiz_bank_id_question_bank')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz')),
    sa.UniqueConstraint('course_slug', name=op.f('uq_quiz_course_slug'))
    )
    with op.batch_alter_table('quiz', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_bank_id'), ['bank_id'], unique=False)

    op.create_table('scenario_behaviour',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('behaviour', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], name=op.f('fk_scenario_behaviour_scenario_id_scenario')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario_behaviour')),
    sa.UniqueConstraint('scenario_id', 'behaviour', name=op.f('uq_scenario_behaviour_scenario_id'))
    )
    with op.batch_alter_table('scenario_behaviour', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenario_behaviour_behaviour'), ['behaviour'], unique=False)
        batch_op.create_index(batch_op.f('ix_scenario_behaviour_scenario_id'), ['scenario_id'], unique=False)

    op.create_table('scenario_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source_path', sa.String(length=300), nullable=False),
    sa.Column('source_format', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('rubric', sa.JSON(), nullable=False),
    sa.Column('behaviours', sa.JSON(), nullable=False),
    sa.Column('objection_keys', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], name=op.f('fk_scenario_version_scenario_id_scenario')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario_version')),
    sa.UniqueConstraint('scenario_id', 'number', name=op.f('uq_scenario_version_scenario_id'))
    )
    with op.batch_alter_table('scenario_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenario_version_scenario_id'), ['scenario_id'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_api_token_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_token_prefix'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('course', 'quiz', 'scenario', name='assignment_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('target_key', sa.String(length=200), nullable=False),
    sa.Column('target_title', sa.String(length=300), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('not_started', 'in_progress', 'done', name='assignment_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('result_ref', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['user.id'], name=op.f('fk_assignment_assigned_by_id_user')),
    sa.ForeignKeyConstraint(['assignee_id'], ['user.id'], name=op.f('fk_assignment_assignee_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment'))
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_assigned_by_id'), ['assigned_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index('ix_assignment_assignee_status', ['assignee_id', 'status'], unique=False)

    op.create_table('attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('is_practice', sa.Boolean(), nullable=False),
    sa.Column('practice_of_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('in_progress', 'needs_grading', 'finished', name='attempt_state', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('open_key', sa.String(length=80), nullable=True),
    sa.Column('submit_token', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['practice_of_id'], ['attempt.id'], name=op.f('fk_attempt_practice_of_id_attempt')),
    sa.ForeignKeyConstraint(['quiz_id'], ['quiz.id'], name=op.f('fk_attempt_quiz_id_quiz')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_attempt_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt')),
    sa.UniqueConstraint('open_key', name=op.f('uq_attempt_open_key')),
    sa.UniqueConstraint('quiz_id', 'user_id', 'number', name='uq_attempt_quiz_id_user_id_number')
    )
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_quiz_id'), ['quiz_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempt_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempt_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_attempt_user_id_quiz_id', ['user_id', 'quiz_id'], unique=False)

    op.create_table('certification_award',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('certification_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=40), nullable=False),
    sa.Column('awarded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certification_id'], ['certification.id'], name=op.f('fk_certification_award_certification_id_certification')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_certification_award_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification_award')),
    sa.UniqueConstraint('serial', name=op.f('uq_certification_award_serial')),
    sa.UniqueConstraint('user_id', 'certification_id', name='uq_certification_award_user_id_certification_id')
    )
    with op.batch_alter_table('certification_award', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certification_award_certification_id'), ['certification_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certification_award_user_id'), ['user_id'], unique=False)

    op.create_table('coaching_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('noted_on', sa.Date(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_coaching_note_author_id_user')),
    sa.ForeignKeyConstraint(['mentee_id'], ['user.id'], name=op.f('fk_coaching_note_mentee_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coaching_note'))
    )
    with op.batch_alter_table('coaching_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coaching_note_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coaching_note_mentee_id'), ['mentee_id'], unique=False)

    op.create_table('course_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_course_version_author_id_user')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_version_course_id_course')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_version')),
    sa.UniqueConstraint('course_id', 'number', name='uq_course_version_course_id_number')
    )
    # course and course_version point at each other: the course's pointer to its
    # current version is added once both tables exist.
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.create_foreign_key(
            'fk_course_current_version_id_course_version', 'course_version', ['current_version_id'], ['id'])
    with op.batch_alter_table('course_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_version_course_id'), ['course_id'], unique=False)

    op.create_table('deal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.Enum('won', 'lost', 'open', name='deal_outcome', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('stage', sa.String(length=64), nullable=False),
    sa.Column('owner_email', sa.String(length=254), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lead_grade', sa.String(length=1), nullable=True),
    sa.Column('channel', sa.String(length=64), nullable=True),
    sa.Column('behaviours', sa.JSON(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_deal_owner_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal')),
    sa.UniqueConstraint('deal_id', name=op.f('uq_deal_deal_id'))
    )
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_outcome'), ['outcome'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_owner_id'), ['owner_id'], unique=False)

    op.create_table('improvement_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('goals', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', name='plan_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('result', sa.Enum('met', 'partly_met', 'not_met', name='plan_result', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mentee_id'], ['user.id'], name=op.f('fk_improvement_plan_mentee_id_user')),
    sa.ForeignKeyConstraint(['mentor_id'], ['user.id'], name=op.f('fk_improvement_plan_mentor_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_improvement_plan'))
    )
    with op.batch_alter_table('improvement_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvement_plan_mentee_id'), ['mentee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_improvement_plan_mentor_id'), ['mentor_id'], unique=False)

    op.create_table('inbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=True),
    sa.Column('learner_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['learner_id'], ['user.id'], name=op.f('fk_inbox_message_learner_id_user')),
    sa.ForeignKeyConstraint(['recipient_id'], ['user.id'], name=op.f('fk_inbox_message_recipient_id_user')),
    sa.ForeignKeyConstraint(['sender_id'], ['user.id'], name=op.f('fk_inbox_message_sender_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_message')),
    sa.UniqueConstraint('recipient_id', 'dedupe_key', name='uq_inbox_message_recipient_dedupe')
    )
    with op.batch_alter_table('inbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_message_recipient_read', ['recipient_id', 'read_at'], unique=False)

    op.create_table('learner_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('lesson', 'course', 'quiz', 'play', name='activity_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('ref_key', sa.String(length=200), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('dimensions', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_learner_activity_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learner_activity')),
    sa.UniqueConstraint('user_id', 'kind', 'ref_key', 'ref_id', name='uq_learner_activity_event')
    )
    with op.batch_alter_table('learner_activity', schema=None) as batch_op:
        batch_op.create_index('ix_learner_activity_time', ['occurred_at'], unique=False)
        batch_op.create_index('ix_learner_activity_user_time', ['user_id', 'occurred_at'], unique=False)

    op.create_table('model_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('data_hash', sa.String(length=64), nullable=False),
    sa.Column('n_deals', sa.Integer(), nullable=False),
    sa.Column('n_won', sa.Integer(), nullable=False),
    sa.Column('cv_auc', sa.Float(), nullable=True),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_model_run_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_run'))
    )
    with op.batch_alter_table('model_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_run_created_at'), ['created_at'], unique=False)

    op.create_table('objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('zh_objection', sa.Text(), nullable=False),
    sa.Column('zh_causes', sa.JSON(), nullable=False),
    sa.Column('zh_answers', sa.JSON(), nullable=False),
    sa.Column('en_objection', sa.Text(), nullable=False),
    sa.Column('en_causes', sa.JSON(), nullable=False),
    sa.Column('en_answers', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('edited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['edited_by_id'], ['user.id'], name=op.f('fk_objection_edited_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objection')),
    sa.UniqueConstraint('key', name=op.f('uq_objection_key'))
    )
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objection_category'), ['category'], unique=False)

    op.create_table('period_standing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.String(length=20), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('bottom', sa.Boolean(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_period_standing_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_period_standing')),
    sa.UniqueConstraint('period', 'user_id', name='uq_period_standing_period_user_id')
    )
    with op.batch_alter_table('period_standing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_period_standing_period'), ['period'], unique=False)
        batch_op.create_index(batch_op.f('ix_period_standing_user_id'), ['user_id'], unique=False)

    op.create_table('play',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('active', 'finished', 'abandoned', name='play_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('current_node', sa.String(length=200), nullable=False),
    sa.Column('step_count', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=64), nullable=True),
    sa.Column('score', sa.Double(), nullable=True),
    sa.Column('scores', sa.JSON(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], name=op.f('fk_play_scenario_id_scenario')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_play_user_id_user')),
    sa.ForeignKeyConstraint(['version_id'], ['scenario_version.id'], name=op.f('fk_play_version_id_scenario_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_play'))
    )
    with op.batch_alter_table('play', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_play_scenario_id'), ['scenario_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_play_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_play_version_id'), ['version_id'], unique=False)

    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.Enum('multichoice', 'multiple_answer', 'truefalse', 'shortanswer', 'numerical', 'matching', 'essay', 'description', name='question_type', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_format', sa.String(length=10), nullable=False),
    sa.Column('general_feedback', sa.Text(), nullable=False),
    sa.Column('general_feedback_format', sa.String(length=10), nullable=False),
    sa.Column('idnumber', sa.String(length=100), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['question_bank.id'], name=op.f('fk_question_bank_id_question_bank')),
    sa.ForeignKeyConstraint(['category_id'], ['question_category.id'], name=op.f('fk_question_category_id_question_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question')),
    sa.UniqueConstraint('key', 'version', name='uq_question_key_version')
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_is_current'), ['is_current'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_key'), ['key'], unique=False)

    op.create_table('quiz_slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question_key', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['quiz_id'], ['quiz.id'], name=op.f('fk_quiz_slot_quiz_id_quiz')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_slot')),
    sa.UniqueConstraint('quiz_id', 'question_key', name='uq_quiz_slot_quiz_id_question_key')
    )
    with op.batch_alter_table('quiz_slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_slot_question_key'), ['question_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_quiz_slot_quiz_id'), ['quiz_id'], unique=False)

    op.create_table('scenario_best',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('scenario_slug', sa.String(length=120), nullable=False),
    sa.Column('best_score', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_scenario_best_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario_best')),
    sa.UniqueConstraint('user_id', 'scenario_slug', name='uq_scenario_best_user_id_scenario_slug')
    )
    with op.batch_alter_table('scenario_best', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenario_best_user_id'), ['user_id'], unique=False)

    op.create_table('attempt_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('answer_order', sa.JSON(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fraction', sa.Float(), nullable=True),
    sa.Column('needs_grading', sa.Boolean(), nullable=False),
    sa.Column('grader_id', sa.Integer(), nullable=True),
    sa.Column('grader_comment', sa.Text(), nullable=False),
    sa.Column('graded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_attempt_item_attempt_id_attempt')),
    sa.ForeignKeyConstraint(['grader_id'], ['user.id'], name=op.f('fk_attempt_item_grader_id_user')),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_attempt_item_question_id_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_item')),
    sa.UniqueConstraint('attempt_id', 'position', name='uq_attempt_item_attempt_id_position')
    )
    with op.batch_alter_table('attempt_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_item_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempt_item_question_id'), ['question_id'], unique=False)

    op.create_table('deal_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_pk', sa.Integer(), nullable=False),
    sa.Column('activity', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['deal_pk'], ['deal.id'], name=op.f('fk_deal_activity_deal_pk_deal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_activity'))
    )
    with op.batch_alter_table('deal_activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_activity_deal_pk'), ['deal_pk'], unique=False)

    op.create_table('lesson',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_lesson_course_id_course')),
    sa.ForeignKeyConstraint(['version_id'], ['course_version.id'], name=op.f('fk_lesson_version_id_course_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson')),
    sa.UniqueConstraint('version_id', 'key', name='uq_lesson_version_id_key')
    )
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lesson_version_id'), ['version_id'], unique=False)

    op.create_table('plan_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['improvement_plan.id'], name=op.f('fk_plan_action_plan_id_improvement_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_action'))
    )
    with op.batch_alter_table('plan_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_action_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_check_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_plan_check_in_author_id_user')),
    sa.ForeignKeyConstraint(['plan_id'], ['improvement_plan.id'], name=op.f('fk_plan_check_in_plan_id_improvement_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_check_in'))
    )
    with op.batch_alter_table('plan_check_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_check_in_plan_id'), ['plan_id'], unique=False)

    op.create_table('play_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('play_id', sa.Integer(), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('node', sa.String(length=200), nullable=False),
    sa.Column('customer', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('choice_index', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('label', sa.String(length=16), nullable=True),
    sa.Column('confidence', sa.Double(), nullable=True),
    sa.Column('features', sa.JSON(), nullable=False),
    sa.Column('technique', sa.String(length=120), nullable=False),
    sa.Column('score', sa.JSON(), nullable=False),
    sa.Column('possible', sa.JSON(), nullable=False),
    sa.Column('feedback', sa.Text(), nullable=False),
    sa.Column('next_node', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['play_id'], ['play.id'], name=op.f('fk_play_step_play_id_play')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_play_step')),
    sa.UniqueConstraint('play_id', 'index', name=op.f('uq_play_step_play_id'))
    )
    with op.batch_alter_table('play_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_play_step_play_id'), ['play_id'], unique=False)

    op.create_table('question_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_format', sa.String(length=10), nullable=False),
    sa.Column('fraction', sa.Float(), nullable=False),
    sa.Column('feedback', sa.Text(), nullable=False),
    sa.Column('feedback_format', sa.String(length=10), nullable=False),
    sa.Column('tolerance', sa.Float(), nullable=True),
    sa.Column('match_text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_question_answer_question_id_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_answer'))
    )
    with op.batch_alter_table('question_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_answer_question_id'), ['question_id'], unique=False)

    op.create_table('question_tag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_question_tag_question_id_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_tag')),
    sa.UniqueConstraint('question_id', 'tag', name='uq_question_tag_question_id_tag')
    )
    with op.batch_alter_table('question_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_tag_question_id'), ['question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_tag_tag'), ['tag'], unique=False)

    op.create_table('recommendation_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('behaviour', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target_key', sa.String(length=120), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_recommendation_decision_decided_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mentee_id'], ['user.id'], name=op.f('fk_recommendation_decision_mentee_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['model_run.id'], name=op.f('fk_recommendation_decision_run_id_model_run'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendation_decision')),
    sa.UniqueConstraint('mentee_id', 'behaviour', 'kind', 'target_key', name='uq_recommendation_decision_target')
    )
    with op.batch_alter_table('recommendation_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendation_decision_mentee_id'), ['mentee_id'], unique=False)

    op.create_table('enrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_version_id', sa.Integer(), nullable=True),
    sa.Column('last_lesson_id', sa.Integer(), nullable=True),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['completed_version_id'], ['course_version.id'], name=op.f('fk_enrolment_completed_version_id_course_version')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_enrolment_course_id_course')),
    sa.ForeignKeyConstraint(['last_lesson_id'], ['lesson.id'], name=op.f('fk_enrolment_last_lesson_id_lesson')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_enrolment_user_id_user')),
    sa.ForeignKeyConstraint(['version_id'], ['course_version.id'], name=op.f('fk_enrolment_version_id_course_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolment')),
    sa.UniqueConstraint('user_id', 'course_id', name='uq_enrolment_user_id_course_id')
    )
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolment_user_id'), ['user_id'], unique=False)

    op.create_table('lesson_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('lesson_key', sa.String(length=120), nullable=False),
    sa.Column('first_opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_lesson_progress_course_id_course')),
    sa.ForeignKeyConstraint(['lesson_id'], ['lesson.id'], name=op.f('fk_lesson_progress_lesson_id_lesson')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_lesson_progress_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_progress')),
    sa.UniqueConstraint('user_id', 'lesson_id', name='uq_lesson_progress_user_id_lesson_id')
    )
    with op.batch_alter_table('lesson_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_progress_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lesson_progress_lesson_id'), ['lesson_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lesson_progress_user_id'), ['user_id'], unique=False)




def downgrade():
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_constraint('fk_course_current_version_id_course_version', type_='foreignkey')

    with op.batch_alter_table('lesson_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_progress_user_id'))
        batch_op.drop_index(batch_op.f('ix_lesson_progress_lesson_id'))
        batch_op.drop_index(batch_op.f('ix_lesson_progress_course_id'))

    op.drop_table('lesson_progress')
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolment_user_id'))
        batch_op.drop_index(batch_op.f('ix_enrolment_course_id'))

    op.drop_table('enrolment')
    with op.batch_alter_table('recommendation_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendation_decision_mentee_id'))

    op.drop_table('recommendation_decision')
    with op.batch_alter_table('question_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_tag_tag'))
        batch_op.drop_index(batch_op.f('ix_question_tag_question_id'))

    op.drop_table('question_tag')
    with op.batch_alter_table('question_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_answer_question_id'))

    op.drop_table('question_answer')
    with op.batch_alter_table('play_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_play_step_play_id'))

    op.drop_table('play_step')
    with op.batch_alter_table('plan_check_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_check_in_plan_id'))

    op.drop_table('plan_check_in')
    with op.batch_alter_table('plan_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_action_plan_id'))

    op.drop_table('plan_action')
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_version_id'))
        batch_op.drop_index(batch_op.f('ix_lesson_course_id'))

    op.drop_table('lesson')
    with op.batch_alter_table('deal_activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deal_activity_deal_pk'))

    op.drop_table('deal_activity')
    with op.batch_alter_table('attempt_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_item_question_id'))
        batch_op.drop_index(batch_op.f('ix_attempt_item_attempt_id'))

    op.drop_table('attempt_item')
    with op.batch_alter_table('scenario_best', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenario_best_user_id'))

    op.drop_table('scenario_best')
    with op.batch_alter_table('quiz_slot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_slot_quiz_id'))
        batch_op.drop_index(batch_op.f('ix_quiz_slot_question_key'))

    op.drop_table('quiz_slot')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_key'))
        batch_op.drop_index(batch_op.f('ix_question_is_current'))
        batch_op.drop_index(batch_op.f('ix_question_category_id'))
        batch_op.drop_index(batch_op.f('ix_question_bank_id'))

    op.drop_table('question')
    with op.batch_alter_table('play', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_play_version_id'))
        batch_op.drop_index(batch_op.f('ix_play_user_id'))
        batch_op.drop_index(batch_op.f('ix_play_scenario_id'))

    op.drop_table('play')
    with op.batch_alter_table('period_standing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_period_standing_user_id'))
        batch_op.drop_index(batch_op.f('ix_period_standing_period'))

    op.drop_table('period_standing')
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objection_category'))

    op.drop_table('objection')
    with op.batch_alter_table('model_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_run_created_at'))

    op.drop_table('model_run')
    with op.batch_alter_table('learner_activity', schema=None) as batch_op:
        batch_op.drop_index('ix_learner_activity_user_time')
        batch_op.drop_index('ix_learner_activity_time')

    op.drop_table('learner_activity')
    with op.batch_alter_table('inbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_message_recipient_read')

    op.drop_table('inbox_message')
    with op.batch_alter_table('improvement_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_improvement_plan_mentor_id'))
        batch_op.drop_index(batch_op.f('ix_improvement_plan_mentee_id'))

    op.drop_table('improvement_plan')
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deal_owner_id'))
        batch_op.drop_index(batch_op.f('ix_deal_outcome'))

    op.drop_table('deal')
    with op.batch_alter_table('course_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_version_course_id'))

    op.drop_table('course_version')
    with op.batch_alter_table('coaching_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coaching_note_mentee_id'))
        batch_op.drop_index(batch_op.f('ix_coaching_note_author_id'))

    op.drop_table('coaching_note')
    with op.batch_alter_table('certification_award', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certification_award_user_id'))
        batch_op.drop_index(batch_op.f('ix_certification_award_certification_id'))

    op.drop_table('certification_award')
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_user_id_quiz_id')
        batch_op.drop_index(batch_op.f('ix_attempt_user_id'))
        batch_op.drop_index(batch_op.f('ix_attempt_state'))
        batch_op.drop_index(batch_op.f('ix_attempt_quiz_id'))

    op.drop_table('attempt')
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_assignment_assignee_status')
        batch_op.drop_index(batch_op.f('ix_assignment_assignee_id'))
        batch_op.drop_index(batch_op.f('ix_assignment_assigned_by_id'))

    op.drop_table('assignment')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('scenario_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenario_version_scenario_id'))

    op.drop_table('scenario_version')
    with op.batch_alter_table('scenario_behaviour', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenario_behaviour_scenario_id'))
        batch_op.drop_index(batch_op.f('ix_scenario_behaviour_behaviour'))

    op.drop_table('scenario_behaviour')
    with op.batch_alter_table('quiz', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_bank_id'))

    op.drop_table('quiz')
    with op.batch_alter_table('question_category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_category_bank_id'))

    op.drop_table('question_category')
    with op.batch_alter_table('xapi_statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xapi_statement_user_id'))
        batch_op.drop_index('ix_xapi_statement_status_id')
        batch_op.drop_index(batch_op.f('ix_xapi_statement_occurred_at'))

    op.drop_table('xapi_statement')
    with op.batch_alter_table('scenario', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenario_tier'))
        batch_op.drop_index(batch_op.f('ix_scenario_lang'))
        batch_op.drop_index(batch_op.f('ix_scenario_kind'))

    op.drop_table('scenario')
    op.drop_table('question_bank')
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_tier'))

    op.drop_table('course')
    op.drop_table('certification')

