"""Assignments: a mentor asks mentees to do a course, quiz or scenario by a due date.

The stored status (not started / in progress / done) follows the mentee's work:
the signal receivers in ``mentor_events`` update it as work arrives, and
``derive_progress`` recomputes it from the recorded activity, so a missed
signal is repaired by ``flask mentor refresh``. "Overdue" is never stored: it
depends on the clock and is derived by ``display_status`` with an explicit ``now``.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Optional

import sqlalchemy as sa

from app.authz import can_mentor
from app.extensions import db
from app.models.mentoring import (
    KIND_VALUES,
    ActivityKind,
    Assignment,
    AssignmentKind,
    AssignmentStatus,
    InboxMessage,
    LearnerActivity,
)
from app.models.people import User
from app.services import mentor_sources
from app.services.errors import NotFound, ValidationError

MAX_MESSAGE = 2000
# How far ahead a due date may be set; a typo like 2062 is caught.
MAX_DUE_DAYS = 366

# Which recorded activity counts as work on each kind of assignment.
ACTIVITY_FOR_KIND = {
    AssignmentKind.COURSE.value: (ActivityKind.LESSON.value, ActivityKind.COURSE.value),
    AssignmentKind.QUIZ.value: (ActivityKind.QUIZ.value,),
    AssignmentKind.SCENARIO.value: (ActivityKind.PLAY.value,),
}


@dataclass(frozen=True)
class Progress:
    """The stored part of an assignment's status, derived from the mentee's work."""

    status: str
    started_at: Optional[datetime] = None
    completed_at: Optional[datetime] = None
    score: Optional[float] = None
    result_ref: Optional[int] = None


def display_status(status: str, due_on: date, now: datetime) -> str:
    """Return the status to show: ``overdue`` when not done and the due day has passed at ``now``."""
    if status == AssignmentStatus.DONE.value:
        return status
    if due_on < now.date():
        return AssignmentStatus.OVERDUE.value
    return status


def derive_progress(kind: str, assigned_at: datetime, events: Iterable[LearnerActivity]) -> Progress:
    """Return an assignment's progress from the mentee's recorded work on its target.

    Quiz attempts and plays count only when made after the assignment (the
    mentor asked for new practice); a course the mentee already completed counts
    as done, since a course cannot be completed twice. A quiz is done when an
    attempt passes; a scenario when a play reaches an ending.
    """
    relevant = sorted((e for e in events if e.kind in ACTIVITY_FOR_KIND[kind]), key=lambda e: e.occurred_at)
    if kind != AssignmentKind.COURSE.value:
        relevant = [e for e in relevant if e.occurred_at >= assigned_at]
    if not relevant:
        return Progress(AssignmentStatus.NOT_STARTED.value)
    started = relevant[0].occurred_at
    scored = [e.score for e in relevant if e.score is not None]
    best = max(scored) if scored else None
    if kind == AssignmentKind.COURSE.value:
        done = next((e for e in relevant if e.kind == ActivityKind.COURSE.value), None)
    elif kind == AssignmentKind.QUIZ.value:
        done = next((e for e in relevant if e.passed), None)
    else:
        done = next((e for e in relevant if e.outcome is not None), None)
    if done is None:
        return Progress(AssignmentStatus.IN_PROGRESS.value, started_at=started, score=best)
    best_ref = max((e for e in relevant if e.score is not None), key=lambda e: e.score, default=done)
    return Progress(
        AssignmentStatus.DONE.value, started_at=started, completed_at=done.occurred_at, score=best,
        result_ref=best_ref.ref_id or None,
    )


def apply_progress(assignment: Assignment, progress: Progress) -> bool:
    """Copy ``progress`` onto the assignment; return True when it just became done."""
    became_done = progress.status == AssignmentStatus.DONE.value and assignment.status != AssignmentStatus.DONE.value
    assignment.status = progress.status
    assignment.started_at = progress.started_at
    assignment.completed_at = progress.completed_at
    assignment.score = progress.score
    assignment.result_ref = progress.result_ref
    return became_done


def activity_for(user_ids: Iterable[int], kinds: Iterable[str] | None = None) -> dict[tuple[int, str], list]:
    """Return recorded activity grouped by (user id, target key), in one query."""
    stmt = sa.select(LearnerActivity).where(LearnerActivity.user_id.in_(list(user_ids)))
    if kinds is not None:
        stmt = stmt.where(LearnerActivity.kind.in_(list(kinds)))
    grouped: dict[tuple[int, str], list] = {}
    for event in db.session.scalars(stmt):
        grouped.setdefault((event.user_id, event.ref_key), []).append(event)
    return grouped


def check_due_date(due_on: Optional[date], now: datetime) -> date:
    """Return the due date, or raise ValidationError when it is missing, past or absurdly far."""
    if due_on is None:
        raise ValidationError("a due date is required", field="due_on")
    if due_on < now.date():
        raise ValidationError("the due date is in the past", field="due_on")
    if due_on > now.date() + timedelta(days=MAX_DUE_DAYS):
        raise ValidationError(f"the due date is more than {MAX_DUE_DAYS} days away", field="due_on")
    return due_on


def resolve_target(kind: str, key: str) -> mentor_sources.Target:
    """Return the catalogue entry to assign, or raise ValidationError naming the field."""
    if kind not in KIND_VALUES:
        raise ValidationError(f"unknown kind {kind!r} (use one of {', '.join(KIND_VALUES)})", field="kind")
    key = (key or "").strip()
    if not key:
        raise ValidationError("choose what to assign", field="target")
    target = mentor_sources.find_target(kind, key)
    if target is None:
        raise ValidationError(f"there is no {kind} {key!r} to assign", field="target")
    return target


def mentees_for_assignment(assigner: User, mentee_ids: Iterable[int]) -> list[User]:
    """Return the mentees to assign to, or raise NotFound if any is not the assigner's active mentee."""
    ids = sorted(set(mentee_ids))
    if not ids:
        raise ValidationError("choose at least one mentee", field="mentee_ids")
    if not all(can_mentor(assigner, i) for i in ids):
        raise NotFound("mentee")
    users = list(db.session.scalars(sa.select(User).where(User.id.in_(ids))))
    if len(users) != len(ids):
        raise NotFound("mentee")
    return users


def assign(
    assigner: User, mentee_ids: Iterable[int], kind: str, target_key: str, due_on: Optional[date], message: str,
    now: datetime,
) -> list[Assignment]:
    """Assign a course, quiz or scenario to one or several mentees; tell each in their inbox."""
    target = resolve_target(kind, target_key)
    check_due_date(due_on, now)
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise ValidationError(f"the message is longer than {MAX_MESSAGE} characters", field="message")
    mentees = mentees_for_assignment(assigner, mentee_ids)
    work = activity_for([m.id for m in mentees], ACTIVITY_FOR_KIND[kind])
    created = []
    for mentee in mentees:
        assignment = Assignment(
            kind=kind, target_key=target.key, target_title=target.title[:300], assignee_id=mentee.id,
            assigned_by_id=assigner.id, due_on=due_on, message=message, created_at=now,
        )
        apply_progress(assignment, derive_progress(kind, now, work.get((mentee.id, target.key), [])))
        db.session.add(assignment)
        created.append(assignment)
    if kind == AssignmentKind.COURSE.value:
        _enrol_on_course(mentees, target.key, now)
    db.session.flush()
    for assignment in created:
        db.session.add(
            InboxMessage(
                recipient_id=assignment.assignee_id, sender_id=assigner.id, learner_id=assignment.assignee_id,
                kind="assignment_new", created_at=now,
                params={"assignment_id": assignment.id, "title": assignment.target_title, "kind": kind,
                        "due_on": due_on.isoformat(), "by": assigner.name},
                body=message,
            )
        )
    db.session.commit()
    return created


def _enrol_on_course(mentees: list[User], slug: str, now: datetime) -> None:
    """Enrol the mentees on an assigned course (source "assignment") in the assignment's transaction.

    One commit for both, so a failure leaves neither an assignment without its
    enrolment nor the other way round. An existing enrolment is kept as it is.
    A course without lessons yet has nothing to enrol on: the assignment stands alone.
    """
    from app.models.library import Course  # the library area is optional (see mentor_sources)
    from app.services import library

    course = db.session.scalar(sa.select(Course).where(Course.slug == slug))
    if course is None or course.current_version_id is None:
        return
    for mentee in mentees:
        library._enrol(mentee, course, "assignment", now)


def get_assignment_for_mentor(viewer: User, assignment_id: int) -> Assignment:
    """Return an assignment of one of ``viewer``'s mentees, or raise NotFound."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not can_mentor(viewer, assignment.assignee_id):
        raise NotFound("assignment")
    return assignment


def withdraw(viewer: User, assignment_id: int) -> int:
    """Delete an assignment of one of ``viewer``'s mentees; return the mentee's id."""
    assignment = get_assignment_for_mentor(viewer, assignment_id)
    mentee_id = assignment.assignee_id
    db.session.delete(assignment)
    db.session.commit()
    return mentee_id


def change_due_date(viewer: User, assignment_id: int, due_on: Optional[date], now: datetime) -> Assignment:
    """Move an assignment's due date (not into the past)."""
    assignment = get_assignment_for_mentor(viewer, assignment_id)
    assignment.due_on = check_due_date(due_on, now)
    db.session.commit()
    return assignment


def assignments_for(user_ids: Iterable[int], *, rows: bool = False) -> dict[int, list[Assignment]]:
    """Return assignments per assignee, in one query; ``rows`` gives read-only rows (faster for big pages)."""
    grouped: dict[int, list[Assignment]] = {}
    what = Assignment.__table__.columns if rows else [Assignment]
    stmt = sa.select(*what).where(Assignment.assignee_id.in_(list(user_ids))).order_by(Assignment.due_on)
    result = db.session.execute(stmt) if rows else db.session.scalars(stmt)
    for assignment in result:
        grouped.setdefault(assignment.assignee_id, []).append(assignment)
    return grouped


def sort_for_learner(assignments: Iterable[Assignment], now: datetime) -> list[Assignment]:
    """Order assignments for the learner: overdue first, then open by due date, then done ones."""
    rank = {AssignmentStatus.OVERDUE.value: 0, AssignmentStatus.IN_PROGRESS.value: 1,
            AssignmentStatus.NOT_STARTED.value: 1, AssignmentStatus.DONE.value: 2}
    return sorted(
        assignments,
        key=lambda a: (rank[display_status(a.status, a.due_on, now)], a.due_on, a.id),
    )


def refresh_statuses(user_ids: Optional[Iterable[int]] = None) -> int:
    """Re-derive every open assignment's stored status from recorded work; return how many changed."""
    stmt = sa.select(Assignment).where(Assignment.status != AssignmentStatus.DONE.value)
    if user_ids is not None:
        stmt = stmt.where(Assignment.assignee_id.in_(list(user_ids)))
    open_ones = list(db.session.scalars(stmt))
    work = activity_for({a.assignee_id for a in open_ones})
    changed = 0
    for assignment in open_ones:
        before = (assignment.status, assignment.score)
        progress = derive_progress(
            assignment.kind, assignment.created_at, work.get((assignment.assignee_id, assignment.target_key), [])
        )
        apply_progress(assignment, progress)
        changed += (assignment.status, assignment.score) != before
    db.session.commit()
    return changed
