"""Deals from the CRM, their activities, behaviour-model runs and recommendation decisions."""

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.people import User
from app.models.types import UTCDateTime, utcnow

OUTCOMES = ("won", "lost", "open")


class Deal(db.Model):
    """One CRM deal; ``behaviours`` maps behaviour keys to counts for this deal."""

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    outcome: Mapped[str] = mapped_column(
        sa.Enum(*OUTCOMES, name="deal_outcome", native_enum=False, create_constraint=True), index=True
    )
    stage: Mapped[str] = mapped_column(sa.String(64), default="")
    owner_email: Mapped[Optional[str]] = mapped_column(sa.String(254))
    owner_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    amount: Mapped[Optional[float]] = mapped_column(sa.Float)
    created_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    lead_grade: Mapped[Optional[str]] = mapped_column(sa.String(1))
    channel: Mapped[Optional[str]] = mapped_column(sa.String(64))
    behaviours: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[Optional[User]] = relationship()
    activities: Mapped[list["DealActivity"]] = relationship(
        back_populates="deal", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_closed(self) -> bool:
        """A deal is closed once it is won or lost."""
        return self.outcome != "open"

    def __repr__(self) -> str:
        return f"<Deal {self.deal_id} {self.outcome}>"


class DealActivity(db.Model):
    """One logged activity on a deal (a call, a visit …), from activities.csv."""

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_pk: Mapped[int] = mapped_column(sa.ForeignKey("deal.id", ondelete="CASCADE"), index=True)
    activity: Mapped[str] = mapped_column(sa.String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)

    deal: Mapped[Deal] = relationship(back_populates="activities")


class ModelRun(db.Model):
    """One fit of the behaviour model: what it saw, how good it was, and its ranking.

    ``result`` holds exactly the DESIGN.md §6 JSON; ``params`` is the sidecar
    (library versions, fitting parameters, coefficients) so runs can be compared
    and reproduced without pickles.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(sa.String(255))
    data_hash: Mapped[str] = mapped_column(sa.String(64))
    n_deals: Mapped[int] = mapped_column(default=0)
    n_won: Mapped[int] = mapped_column(default=0)
    cv_auc: Mapped[Optional[float]] = mapped_column(sa.Float)
    metrics: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    result: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    created_by: Mapped[Optional[User]] = relationship()

    def __repr__(self) -> str:
        return f"<ModelRun {self.id} n={self.n_deals} auc={self.cv_auc}>"


class RecommendationDecision(db.Model):
    """A mentor's answer to a recommended assignment, so it is not offered again."""

    __table_args__ = (
        sa.UniqueConstraint("mentee_id", "behaviour", "kind", "target_key", name="uq_recommendation_decision_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentee_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    behaviour: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))  # course | scenario
    target_key: Mapped[str] = mapped_column(sa.String(120))
    decision: Mapped[str] = mapped_column(sa.String(16))  # accepted | dismissed
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    run_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("model_run.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
