"""Shared view stamps (see app/view_cache.py): counters raised by any change cached pages could show."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class ViewStamp(db.Model):
    """One named counter: ``site`` for shared content and public user fields, ``user:<id>`` per person."""

    __tablename__ = "view_stamp"

    scope: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    stamp: Mapped[int] = mapped_column(default=0)
