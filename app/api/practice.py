"""Quiz attempts and role-play plays, with their results (object-level rules as on the pages)."""

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from app.api import v1
from app.api.learning import require_learner
from app.api.pagination import paginate
from app.api.schemas import (
    AttemptDetailOut, AttemptItemOut, AttemptOut, AttemptQuery, Page, PlayDetailOut, PlayOut, PlayQuery,
    PlayStepOut, ScenarioRef,
)
from app.api.spec import ID, operation
from app.authz import can_view_learner, signed_in
from app.models.quiz import Attempt
from app.models.roleplay import Play, Scenario
from app.services import plays, quiz_attempts


def newest_first(model: type[Attempt] | type[Play], user_id: int, parent) -> sa.Select:
    """Return the SELECT of a learner's attempts or plays, newest first, each with ``parent`` (quiz, scenario) loaded."""
    return (sa.select(model).where(model.user_id == user_id).options(sa.orm.joinedload(parent))
            .order_by(model.started_at.desc(), model.id.desc()))


def attempt_fields(attempt: Attempt) -> dict:
    """Return the summary fields of an attempt."""
    return dict(
        id=attempt.id, quiz_id=attempt.quiz_id, quiz_title=attempt.quiz.title, user_id=attempt.user_id,
        number=attempt.number, is_practice=attempt.is_practice, state=attempt.state,
        started_at=attempt.started_at, submitted_at=attempt.submitted_at, finished_at=attempt.finished_at,
        score=attempt.score, passed=attempt.passed,
    )


@v1.get(f"/users/<{ID}:user_id>/quiz-attempts")
@signed_in
@operation(summary="A learner's quiz attempts", tag="results", response=Page[AttemptOut], query=AttemptQuery)
def list_attempts(user_id: int, query: AttemptQuery):
    """Return a page of a learner's quiz attempts, newest first."""
    require_learner(user_id)
    stmt = newest_first(Attempt, user_id, Attempt.quiz)
    if query.quiz_id is not None:
        stmt = stmt.where(Attempt.quiz_id == query.quiz_id)
    if query.state is not None:
        stmt = stmt.where(Attempt.state == query.state)
    return paginate(stmt, query, lambda rows: [AttemptOut(**attempt_fields(a)) for a in rows])


@v1.get(f"/quiz-attempts/<{ID}:attempt_id>")
@signed_in
@operation(summary="A quiz attempt and its grades", tag="results", response=AttemptDetailOut)
def get_attempt(attempt_id: int):
    """Return one attempt the caller may see, with each question's grade."""
    attempt = quiz_attempts.get_attempt(attempt_id, current_user)
    items = [AttemptItemOut(position=i.position, question_name=i.question.name, question_type=i.question.type,
                            fraction=i.fraction, needs_grading=i.needs_grading) for i in attempt.items]
    return AttemptDetailOut(**attempt_fields(attempt), items=items)


def play_fields(play: Play) -> dict:
    """Return the summary fields of a play."""
    return dict(
        id=play.id, user_id=play.user_id, scenario=ScenarioRef(slug=play.scenario.slug, title=play.scenario.title),
        status=play.status, outcome=play.outcome, score=play.score, scores=play.scores, step_count=play.step_count,
        started_at=play.started_at, finished_at=play.finished_at,
    )


@v1.get(f"/users/<{ID}:user_id>/plays")
@signed_in
@operation(summary="A learner's role-plays", tag="results", response=Page[PlayOut], query=PlayQuery)
def list_plays(user_id: int, query: PlayQuery):
    """Return a page of a learner's role-plays, newest first."""
    require_learner(user_id)
    stmt = newest_first(Play, user_id, Play.scenario)
    if query.scenario:
        stmt = stmt.join(Scenario, Scenario.id == Play.scenario_id).where(Scenario.slug == query.scenario)
    if query.status is not None:
        stmt = stmt.where(Play.status == query.status)
    return paginate(stmt, query, lambda rows: [PlayOut(**play_fields(p)) for p in rows])


@v1.get(f"/plays/<{ID}:play_id>")
@signed_in
@operation(summary="A role-play and its steps", tag="results", response=PlayDetailOut)
def get_play(play_id: int):
    """Return one play the caller may see, with every step's label, score and feedback."""
    play = plays.get_play(play_id)
    if not can_view_learner(current_user, play.user_id):
        abort(404, "play not found")
    steps = [PlayStepOut(index=s.index, node=s.node, kind=s.kind, text=s.text, label=s.label,
                         technique=s.technique or "", score=s.score or {}, feedback=s.feedback or "")
             for s in play.steps]
    return PlayDetailOut(**play_fields(play), steps=steps)
