"""Script A/B tests: two variants of a scenario shown to two learner groups."""

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.people import Team, User
from app.models.roleplay import Scenario
from app.models.types import UTCDateTime, utcnow

SPLIT_RANDOM = "random"
SPLIT_TEAM = "team"
SPLITS = (SPLIT_RANDOM, SPLIT_TEAM)
EXPERIMENT_RUNNING = "running"
EXPERIMENT_STOPPED = "stopped"
EXPERIMENT_STATUSES = (EXPERIMENT_RUNNING, EXPERIMENT_STOPPED)
VARIANTS = ("a", "b")


class Experiment(db.Model):
    """An A/B test of two scenarios (variant A and variant B) split over learners at random or by team.

    Plays count for the test while it runs: from ``started_at`` until
    ``stopped_at``. Stopping keeps every record, so the results stay.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    variant_a_id: Mapped[int] = mapped_column(sa.ForeignKey("scenario.id"), index=True)
    variant_b_id: Mapped[int] = mapped_column(sa.ForeignKey("scenario.id"), index=True)
    split: Mapped[str] = mapped_column(
        sa.Enum(*SPLITS, name="experiment_split", native_enum=False, create_constraint=True), default=SPLIT_RANDOM
    )
    status: Mapped[str] = mapped_column(
        sa.Enum(*EXPERIMENT_STATUSES, name="experiment_status", native_enum=False, create_constraint=True),
        default=EXPERIMENT_RUNNING, index=True,
    )
    #: Mixed into the random draw so each test splits learners afresh.
    salt: Mapped[str] = mapped_column(sa.String(32))
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stopped_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    variant_a: Mapped[Scenario] = relationship(foreign_keys=[variant_a_id])
    variant_b: Mapped[Scenario] = relationship(foreign_keys=[variant_b_id])
    created_by: Mapped[Optional[User]] = relationship(foreign_keys=[created_by_id])
    teams: Mapped[list["ExperimentTeam"]] = relationship(back_populates="experiment", cascade="all, delete-orphan")
    assignments: Mapped[list["ExperimentAssignment"]] = relationship(
        back_populates="experiment", cascade="all, delete-orphan"
    )

    @property
    def is_running(self) -> bool:
        """Return True while learners are split between the variants."""
        return self.status == EXPERIMENT_RUNNING

    def __repr__(self) -> str:
        return f"<Experiment {self.id} {self.name!r} {self.status}>"


class ExperimentTeam(db.Model):
    """A team whose learners get one variant of a team-split test (the team they are in at first contact)."""

    __table_args__ = (sa.UniqueConstraint("experiment_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment_id: Mapped[int] = mapped_column(sa.ForeignKey("experiment.id"), index=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("team.id"), index=True)
    variant: Mapped[str] = mapped_column(
        sa.Enum(*VARIANTS, name="experiment_variant", native_enum=False, create_constraint=True)
    )

    experiment: Mapped[Experiment] = relationship(back_populates="teams")
    team: Mapped[Team] = relationship()


class ExperimentAssignment(db.Model):
    """The variant a learner was given at first contact with a test (one row per learner); it holds until the end.

    A random split draws it; a team split takes the learner's team's variant
    at that moment, so a later change of team does not move the learner.
    """

    __table_args__ = (sa.UniqueConstraint("experiment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment_id: Mapped[int] = mapped_column(sa.ForeignKey("experiment.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    variant: Mapped[str] = mapped_column(
        sa.Enum(*VARIANTS, name="experiment_variant", native_enum=False, create_constraint=True)
    )
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    experiment: Mapped[Experiment] = relationship(back_populates="assignments")
