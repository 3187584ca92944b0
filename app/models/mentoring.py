"""Mentoring: assignments, coaching notes, 30-day improvement plans, the inbox, and learner activity."""

import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.people import User
from app.models.types import UTCDateTime, utcnow


class AssignmentKind(str, enum.Enum):
    """What an assignment points at: a course (by slug), a quiz (by id) or a scenario (by slug)."""

    COURSE = "course"
    QUIZ = "quiz"
    SCENARIO = "scenario"


class AssignmentStatus(str, enum.Enum):
    """Where an assignment stands; ``overdue`` is derived from the due date and never stored."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    OVERDUE = "overdue"


class ActivityKind(str, enum.Enum):
    """A piece of a learner's work recorded for their mentor."""

    LESSON = "lesson"
    COURSE = "course"
    QUIZ = "quiz"
    PLAY = "play"


class PlanStatus(str, enum.Enum):
    """An improvement plan is open until the mentor records its outcome."""

    OPEN = "open"
    CLOSED = "closed"


class PlanResult(str, enum.Enum):
    """How a closed improvement plan ended."""

    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"


KIND_VALUES = [k.value for k in AssignmentKind]
STORED_STATUS_VALUES = [AssignmentStatus.NOT_STARTED.value, AssignmentStatus.IN_PROGRESS.value, AssignmentStatus.DONE.value]
ACTIVITY_VALUES = [k.value for k in ActivityKind]
PLAN_STATUS_VALUES = [s.value for s in PlanStatus]
PLAN_RESULT_VALUES = [r.value for r in PlanResult]


def _enum(values: list[str], name: str) -> sa.Enum:
    """Return a portable string enum with a CHECK constraint."""
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


class Assignment(db.Model):
    """A course, quiz or scenario a mentor asked a mentee to do by a due date."""

    __table_args__ = (sa.Index("ix_assignment_assignee_status", "assignee_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(_enum(KIND_VALUES, "assignment_kind"))
    # Course slug, quiz id (as text) or scenario slug: the keys the other areas publish.
    target_key: Mapped[str] = mapped_column(sa.String(200))
    # The target's title when assigned, so the list reads well even if the content is renamed or removed.
    target_title: Mapped[str] = mapped_column(sa.String(300))
    assignee_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    assigned_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    due_on: Mapped[date] = mapped_column(sa.Date)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(
        _enum(STORED_STATUS_VALUES, "assignment_status"), default=AssignmentStatus.NOT_STARTED.value
    )
    started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    completed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Best score (0..1) of the quiz attempts or plays made for this assignment.
    score: Mapped[Optional[float]] = mapped_column(sa.Float)
    # The attempt or play that completed it, for a link to its review page.
    result_ref: Mapped[Optional[int]] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignee: Mapped[User] = relationship(foreign_keys=[assignee_id])
    assigned_by: Mapped[User] = relationship(foreign_keys=[assigned_by_id])

    def __repr__(self) -> str:
        return f"<Assignment {self.kind}:{self.target_key} → {self.assignee_id} {self.status}>"


class CoachingNote(db.Model):
    """A dated coaching note; private to its author and admins unless shared with the mentee."""

    id: Mapped[int] = mapped_column(primary_key=True)
    mentee_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    noted_on: Mapped[date] = mapped_column(sa.Date)
    body: Mapped[str] = mapped_column(sa.Text)
    shared: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    mentee: Mapped[User] = relationship(foreign_keys=[mentee_id])


class ImprovementPlan(db.Model):
    """A 30-day improvement plan: goals, dated actions, check-ins and an outcome."""

    id: Mapped[int] = mapped_column(primary_key=True)
    mentee_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    # Why the plan was opened, e.g. the flag that triggered the 1:1 diagnosis.
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    goals: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(_enum(PLAN_STATUS_VALUES, "plan_status"), default=PlanStatus.OPEN.value)
    result: Mapped[Optional[str]] = mapped_column(_enum(PLAN_RESULT_VALUES, "plan_result"))
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mentee: Mapped[User] = relationship(foreign_keys=[mentee_id])
    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id])
    actions: Mapped[list["PlanAction"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="(PlanAction.due_on, PlanAction.id)"
    )
    check_ins: Mapped[list["PlanCheckIn"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="(PlanCheckIn.held_on, PlanCheckIn.id)"
    )

    @property
    def is_open(self) -> bool:
        """Return True until the outcome is recorded."""
        return self.status == PlanStatus.OPEN.value


class PlanAction(db.Model):
    """One dated action of an improvement plan."""

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("improvement_plan.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.String(500))
    due_on: Mapped[date] = mapped_column(sa.Date)
    done_on: Mapped[Optional[date]] = mapped_column(sa.Date)

    plan: Mapped[ImprovementPlan] = relationship(back_populates="actions")


class PlanCheckIn(db.Model):
    """A dated check-in on an improvement plan."""

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("improvement_plan.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    held_on: Mapped[date] = mapped_column(sa.Date)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan: Mapped[ImprovementPlan] = relationship(back_populates="check_ins")
    author: Mapped[User] = relationship()


class InboxMessage(db.Model):
    """A warning or message in a user's in-app inbox.

    The text is rendered from ``kind`` and ``params`` at display time so it
    appears in the reader's language; ``dedupe_key`` stops a daily flag scan
    from repeating a warning the recipient already has.
    """

    __table_args__ = (
        sa.UniqueConstraint("recipient_id", "dedupe_key", name="uq_inbox_message_recipient_dedupe"),
        sa.Index("ix_inbox_message_recipient_read", "recipient_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    sender_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    learner_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    body: Mapped[str] = mapped_column(sa.Text, default="")
    dedupe_key: Mapped[Optional[str]] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    sender: Mapped[Optional[User]] = relationship(foreign_keys=[sender_id])
    learner: Mapped[Optional[User]] = relationship(foreign_keys=[learner_id])


class LearnerActivity(db.Model):
    """One piece of a learner's work, recorded from the other areas' signals.

    This is the mentor workspace's read model: the timeline, quiz and role-play
    trends, last activity and the flags come from it in a fixed number of
    queries, whatever the other areas store.
    """

    __table_args__ = (
        sa.UniqueConstraint("user_id", "kind", "ref_key", "ref_id", name="uq_learner_activity_event"),
        sa.Index("ix_learner_activity_user_time", "user_id", "occurred_at"),
        sa.Index("ix_learner_activity_time", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(_enum(ACTIVITY_VALUES, "activity_kind"))
    # Course slug, quiz id (as text) or scenario slug.
    ref_key: Mapped[str] = mapped_column(sa.String(200))
    # Lesson id, attempt id or play id; 0 for a course completion.
    ref_id: Mapped[int] = mapped_column(sa.Integer, default=0)
    title: Mapped[str] = mapped_column(sa.String(300), default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    score: Mapped[Optional[float]] = mapped_column(sa.Float)
    passed: Mapped[Optional[bool]] = mapped_column()
    outcome: Mapped[Optional[str]] = mapped_column(sa.String(40))
    # Role-play score per rubric dimension, 0..1, when the role-play area reports it.
    dimensions: Mapped[Optional[dict]] = mapped_column(sa.JSON)


class PeriodStanding(db.Model):
    """A learner's mean quiz and role-play score in one complete period, ranked within their tier.

    A complete period never changes, so it is ranked once (by the first page or
    flag scan that needs it) instead of on every page view; ``flask mentor
    rerank`` recomputes after late data.
    """

    __table_args__ = (sa.UniqueConstraint("period", "user_id", name="uq_period_standing_period_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(20), index=True)  # 2026-10 or 2026-W43
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    tier: Mapped[str] = mapped_column(sa.String(20))
    score: Mapped[float] = mapped_column(sa.Float)
    bottom: Mapped[bool] = mapped_column(default=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
