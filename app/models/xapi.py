"""The xAPI outbox: every learning record, stored before any attempt to send it to an LRS."""

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

XAPI_PENDING = "pending"
XAPI_SENT = "sent"
XAPI_REJECTED = "rejected"
XAPI_STATUSES = (XAPI_PENDING, XAPI_SENT, XAPI_REJECTED)


class XapiStatement(db.Model):
    """One xAPI statement in the outbox: pending until an LRS accepts it (or rejects it for good).

    ``statement_id`` is derived from the event, so a repeated signal or a
    backfill never stores the same statement twice. ``user_id`` carries no
    foreign key on purpose: the record of what a person did outlives the account.
    """

    __tablename__ = "xapi_statement"
    __table_args__ = (sa.Index("ix_xapi_statement_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    #: Not indexed: nothing looks statements up by learner, and every learning record would pay for the index.
    user_id: Mapped[Optional[int]]
    verb: Mapped[str] = mapped_column(sa.String(200))
    activity_id: Mapped[str] = mapped_column(sa.String(500))
    statement: Mapped[dict] = mapped_column(sa.JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(
        sa.Enum(*XAPI_STATUSES, name="xapi_status", native_enum=False, create_constraint=True),
        default=XAPI_PENDING,
    )
    tries: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")

    def __repr__(self) -> str:
        return f"<XapiStatement {self.statement_id} {self.verb.rsplit('/', 1)[-1]} {self.status}>"
