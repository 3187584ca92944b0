"""A learner's enrolments and progress, and assignments (mentors assign to their mentees)."""

from datetime import datetime, timezone

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from app.api import v1
from app.api.pagination import paginate
from app.api.schemas import (
    AssignmentBatch, AssignmentIn, AssignmentOut, AssignmentQuery, AwardOut, CourseRef, EnrolmentOut,
    EnrolmentQuery, Page, ProgressOut,
)
from app.api.spec import ID, operation
from app.authz import allow, can_view_learner, mentee_ids, require_learner_access, signed_in
from app.extensions import db
from app.models.library import Enrolment
from app.models.mentoring import Assignment, AssignmentStatus
from app.models.people import Role, User
from app.services import assignments, library


def now() -> datetime:
    """Return the current UTC time (assignment statuses depend on it)."""
    return datetime.now(timezone.utc)


def require_learner(user_id: int) -> User:
    """Return the learner the caller may see, or answer 404 (also for ids that do not exist)."""
    require_learner_access(current_user, user_id)
    learner = db.session.get(User, user_id)
    if learner is None:
        abort(404, "user not found")
    return learner


def enrolments_out(rows: list[Enrolment]) -> list[EnrolmentOut]:
    """Return enrolments with lesson counts, in two queries for the whole page."""
    if not rows:
        return []
    course_ids = [e.course_id for e in rows]
    totals = library.lesson_counts(course_ids)
    done = library.done_counts([rows[0].user_id], course_ids)
    items = []
    for e in rows:
        total = totals.get(e.course_id, 0)
        items.append(EnrolmentOut(
            id=e.id, user_id=e.user_id, course=CourseRef.model_validate(e.course), source=e.source,
            enrolled_at=e.enrolled_at, started_at=e.started_at, completed_at=e.completed_at,
            last_activity_at=e.last_activity_at, lessons_total=total,
            lessons_done=total if e.completed_at else done.get((e.user_id, e.course_id), 0),
        ))
    return items


@v1.get(f"/users/<{ID}:user_id>/enrolments")
@signed_in
@operation(summary="A learner's enrolments", tag="progress", response=Page[EnrolmentOut], query=EnrolmentQuery,
           description="Learners see their own, mentors their mentees', trainers and admins everyone's.")
def list_enrolments(user_id: int, query: EnrolmentQuery):
    """Return a page of a learner's enrolments, newest first."""
    require_learner(user_id)
    stmt = (sa.select(Enrolment).where(Enrolment.user_id == user_id).options(sa.orm.joinedload(Enrolment.course))
            .order_by(Enrolment.enrolled_at.desc(), Enrolment.id.desc()))
    if query.status == "completed":
        stmt = stmt.where(Enrolment.completed_at.is_not(None))
    elif query.status == "in_progress":
        stmt = stmt.where(Enrolment.completed_at.is_(None))
    return paginate(stmt, query, enrolments_out)


def assignment_counts(user_id: int, at: datetime) -> dict[str, int]:
    """Return the learner's assignments counted by displayed status (overdue included)."""
    counts = dict.fromkeys(("not_started", "in_progress", "overdue", "done"), 0)
    for status, due_on in db.session.execute(
        sa.select(Assignment.status, Assignment.due_on).where(Assignment.assignee_id == user_id)
    ):
        counts[assignments.display_status(status, due_on, at)] += 1
    return counts


@v1.get(f"/users/<{ID}:user_id>/progress")
@signed_in
@operation(summary="A learner's progress", tag="progress", response=ProgressOut,
           description="Courses and lessons on the learner's path, certifications and assignments.")
def get_progress(user_id: int):
    """Return a learner's path progress."""
    learner = require_learner(user_id)
    path = library.path_progress([learner.id])[learner.id]
    awards = [AwardOut(key=a.certification.key, title=a.certification.title(learner.locale or "en"),
                       serial=a.serial, awarded_at=a.awarded_at) for a in library.awards_of(learner.id)]
    return ProgressOut(
        user_id=learner.id, courses_enrolled=path["enrolled"], courses_completed=path["completed"],
        lessons_done=path["lessons_done"], lessons_total=path["lessons_total"], certifications=awards,
        assignments=assignment_counts(learner.id, now()),
    )


def assignment_out(assignment: Assignment, at: datetime) -> AssignmentOut:
    """Return an assignment with its displayed status."""
    out = AssignmentOut.model_validate(assignment)
    return out.model_copy(update={"status": assignments.display_status(assignment.status, assignment.due_on, at)})


def visible_assignments(viewer: User) -> sa.Select:
    """Return the SELECT of the assignments ``viewer`` may see."""
    stmt = sa.select(Assignment)
    if viewer.role in (Role.TRAINER.value, Role.ADMIN.value):
        return stmt
    return stmt.where(Assignment.assignee_id.in_({viewer.id} | mentee_ids(viewer)))


def filter_status(stmt: sa.Select, status: str, at: datetime) -> sa.Select:
    """Narrow assignments to a displayed status; ``overdue`` is open and past its due day."""
    done = Assignment.status == AssignmentStatus.DONE.value
    if status == AssignmentStatus.DONE.value:
        return stmt.where(done)
    late = Assignment.due_on < at.date()
    if status == AssignmentStatus.OVERDUE.value:
        return stmt.where(~done, late)
    return stmt.where(Assignment.status == status, ~late)


@v1.get("/assignments")
@signed_in
@operation(summary="List assignments", tag="assignments", response=Page[AssignmentOut], query=AssignmentQuery,
           description="Learners see their own, mentors also their mentees', trainers and admins all.")
def list_assignments(query: AssignmentQuery):
    """Return a page of the assignments the caller may see, by due date."""
    at = now()
    stmt = visible_assignments(current_user).order_by(Assignment.due_on, Assignment.id)
    if query.assignee_id is not None:
        stmt = stmt.where(Assignment.assignee_id == query.assignee_id)
    if query.status is not None:
        stmt = filter_status(stmt, query.status, at)
    return paginate(stmt, query, lambda rows: [assignment_out(a, at) for a in rows])


@v1.get(f"/assignments/<{ID}:assignment_id>")
@signed_in
@operation(summary="Get an assignment", tag="assignments", response=AssignmentOut)
def get_assignment(assignment_id: int):
    """Return one assignment the caller may see."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not can_view_learner(current_user, assignment.assignee_id):
        abort(404, "assignment not found")
    return assignment_out(assignment, now())


@v1.post("/assignments")
@allow(Role.MENTOR, Role.TRAINER)
@operation(summary="Assign work to mentees", tag="assignments", response=AssignmentBatch, body=AssignmentIn,
           status=201, errors=(404, 422),
           description="Mentors assign to their own active mentees only; each mentee gets an inbox message.")
def create_assignments(body: AssignmentIn):
    """Assign a course, quiz or scenario to one or more mentees by a due date."""
    at = now()
    created = assignments.assign(current_user, body.mentee_ids, body.kind, body.target_key, body.due_on,
                                 body.message, at)
    return AssignmentBatch(items=[assignment_out(a, at) for a in created])
