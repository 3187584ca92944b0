"""Signal receivers: record learners' work and move their assignments along.

Other areas announce work through ``app.signals`` after their own commit; each
receiver here records the work once (idempotent, so a repeated signal is
harmless), updates the matching assignments, tells the assigner when one is
done, and commits. A failure here is logged and rolled back: it never breaks
the learner's request. The exception is a role-play step, whose scenario
assignment is started inside the step's own transaction (``play_step_saving``).
"""

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask import current_app

from app import signals
from app.extensions import db
from app.models.mentoring import ActivityKind, Assignment, AssignmentKind, AssignmentStatus, InboxMessage, LearnerActivity
from app.models.types import utcnow
from app.services import mentor_sources
from app.services.assignments import ACTIVITY_FOR_KIND, activity_for, apply_progress, derive_progress


def record_activity(
    user_id: int, kind: str, ref_key: str, ref_id: int = 0, *, at: Optional[datetime] = None,
    score: Optional[float] = None, passed: Optional[bool] = None, outcome: Optional[str] = None,
    dimensions: Optional[dict] = None, title: str = "",
) -> LearnerActivity:
    """Record (or update) one piece of work and update the learner's assignments on it; commit."""
    at = at or utcnow()
    ref_key = str(ref_key)
    event = db.session.scalar(
        sa.select(LearnerActivity).where(
            LearnerActivity.user_id == user_id, LearnerActivity.kind == kind,
            LearnerActivity.ref_key == ref_key, LearnerActivity.ref_id == ref_id,
        )
    )
    if event is None:
        event = LearnerActivity(user_id=user_id, kind=kind, ref_key=ref_key, ref_id=ref_id, occurred_at=at)
        db.session.add(event)
    # A regraded quiz attempt (essays marked later) updates the same record.
    event.score = score if score is not None else event.score
    event.passed = passed if passed is not None else event.passed
    event.outcome = outcome or event.outcome
    event.dimensions = dimensions or event.dimensions
    event.title = title or event.title
    db.session.flush()
    update_assignments(user_id, kind, ref_key, at)
    db.session.commit()
    return event


# Built once: they run on every play step, where building the expression cost more than running it. Plain
# table statements: loading entities for the usual empty answer cost more than the query itself.
_assignment = Assignment.__table__
_NOT_STARTED = sa.select(_assignment.c.id, _assignment.c.created_at, _assignment.c.assigned_by_id).where(
    _assignment.c.assignee_id == sa.bindparam("user_id"),
    _assignment.c.status == AssignmentStatus.NOT_STARTED.value,
    _assignment.c.kind == sa.bindparam("kind"), _assignment.c.target_key == sa.bindparam("ref_key"),
)
_START = (
    sa.update(_assignment)
    .where(_assignment.c.id == sa.bindparam("assignment_id"),
           _assignment.c.status == AssignmentStatus.NOT_STARTED.value)
    .values(status=AssignmentStatus.IN_PROGRESS.value, started_at=sa.bindparam("at"))
)


def starts_assignments(user_id: int, kind: str, ref_key: str, at: datetime):
    """Return what moves the learner's not-started assignments on ``ref_key`` to in progress, or None.

    Every step of a play asks, and usually nothing is waiting (only the first
    step after an assignment moves it): a single indexed read, and None. The
    returned function writes in the caller's transaction and does not commit.
    """
    found = db.session.execute(_NOT_STARTED, {"user_id": user_id, "kind": kind, "ref_key": str(ref_key)})
    waiting = [row for row in found if row.created_at <= at]
    if not waiting:
        return None

    def start(*_) -> None:
        stamps = (user_id, *sorted({row.assigned_by_id for row in waiting}))
        db.session.execute(_START, [{"assignment_id": row.id, "at": at} for row in waiting],
                           execution_options={"view_stamps": stamps})

    return start


def _open_assignments(user_id: int, assignment_kind: str, ref_key: str) -> list[Assignment]:
    """Return the learner's assignments on this target that are not done yet."""
    return list(
        db.session.scalars(
            sa.select(Assignment).where(
                Assignment.assignee_id == user_id, Assignment.kind == assignment_kind,
                Assignment.target_key == ref_key, Assignment.status != AssignmentStatus.DONE.value,
            )
        )
    )


ASSIGNMENT_KIND_FOR_ACTIVITY = {
    activity: kind for kind, activities in ACTIVITY_FOR_KIND.items() for activity in activities
}


def update_assignments(user_id: int, activity_kind: str, ref_key: str, at: datetime) -> None:
    """Re-derive the learner's open assignments on ``ref_key``; notify assigners of the ones now done."""
    kind = ASSIGNMENT_KIND_FOR_ACTIVITY[activity_kind]
    open_ones = _open_assignments(user_id, kind, ref_key)
    if not open_ones:
        return
    work = activity_for([user_id], ACTIVITY_FOR_KIND[kind]).get((user_id, ref_key), [])
    for assignment in open_ones:
        if apply_progress(assignment, derive_progress(kind, assignment.created_at, work)):
            db.session.add(
                InboxMessage(
                    recipient_id=assignment.assigned_by_id, sender_id=user_id, learner_id=user_id,
                    kind="assignment_done", created_at=at,
                    params={"assignment_id": assignment.id, "title": assignment.target_title, "kind": kind,
                            "score": assignment.score},
                    dedupe_key=f"assignment_done:{assignment.id}",
                )
            )


def _safely(handler):
    """Wrap a receiver so that its failure is logged and rolled back, never raised to the sender."""

    def receive(sender, **fields):
        try:
            handler(**fields)
        except Exception:  # the learner's own request must succeed even if the mentor side fails
            db.session.rollback()
            current_app.logger.exception("mentor receiver %s failed for %r", handler.__name__, fields)

    receive.__name__ = handler.__name__
    receive.__doc__ = handler.__doc__
    return receive


@_safely
def on_lesson_completed(user_id, course_slug, lesson_id=0, **_):
    """Record a finished lesson (the course assignment is now in progress)."""
    record_activity(user_id, ActivityKind.LESSON.value, course_slug, int(lesson_id or 0))


@_safely
def on_course_completed(user_id, course_slug, **_):
    """Record a completed course (its assignment is done)."""
    record_activity(user_id, ActivityKind.COURSE.value, course_slug, 0)


@_safely
def on_quiz_attempt_finished(user_id, quiz_id, attempt_id, score=None, passed=None, **_):
    """Record a graded quiz attempt (a pass completes the quiz assignment)."""
    record_activity(
        user_id, ActivityKind.QUIZ.value, str(quiz_id), int(attempt_id),
        score=None if score is None else float(score), passed=bool(passed),
    )


def on_play_step_saving(sender, play=None, user_id=None, step=None, **_):
    """A step of a scenario starts the learner's assignment of it, in the step's own transaction.

    The read happens before the step's first write, on the connection the
    request already holds; should it fail, ``signals.gather`` logs it and the
    step goes on without it (the finished play still completes the assignment).
    """
    return starts_assignments(user_id, AssignmentKind.SCENARIO.value, play.scenario.slug, step["created_at"])


@_safely
def on_play_finished(user_id, play_id, scenario_slug, outcome=None, score=None, **_):
    """Record a finished play with its per-dimension scores (the scenario assignment is done)."""
    record_activity(
        user_id, ActivityKind.PLAY.value, scenario_slug, int(play_id),
        score=None if score is None else float(score), outcome=str(outcome or "ended"),
        dimensions=mentor_sources.play_dimensions(int(play_id)),
    )


def connect() -> None:
    """Subscribe the receivers to the other areas' signals (idempotent)."""
    signals.lesson_completed.connect(on_lesson_completed, weak=False)
    signals.course_completed.connect(on_course_completed, weak=False)
    signals.quiz_attempt_finished.connect(on_quiz_attempt_finished, weak=False)
    signals.play_step_saving.connect(on_play_step_saving, weak=False)
    signals.play_finished.connect(on_play_finished, weak=False)
