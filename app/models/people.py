"""People: users, teams and mentor pairings."""

import enum
import hashlib
import secrets
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class Role(str, enum.Enum):
    """What a user may do; see DESIGN.md §1."""

    LEARNER = "learner"
    MENTOR = "mentor"
    TRAINER = "trainer"
    ADMIN = "admin"


class Tier(str, enum.Enum):
    """A seller's stage in the growth path."""

    NEW_HIRE = "new_hire"
    CORE = "core"
    MANAGER = "manager"


ROLE_VALUES = [r.value for r in Role]
TIER_VALUES = [t.value for t in Tier]


class Team(db.Model):
    """A group of sellers, e.g. "East region · retail"."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list["User"]] = relationship(back_populates="team")

    def __repr__(self) -> str:
        return f"<Team {self.name}>"


class User(UserMixin, db.Model):
    """A person who signs in: learner, mentor, trainer or admin."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(
        sa.Enum(*ROLE_VALUES, name="role", native_enum=False, create_constraint=True),
        default=Role.LEARNER.value,
    )
    tier: Mapped[str] = mapped_column(
        sa.Enum(*TIER_VALUES, name="tier", native_enum=False, create_constraint=True),
        default=Tier.NEW_HIRE.value,
    )
    team_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("team.id"), index=True)
    locale: Mapped[Optional[str]] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Changed at sign-out so that every session cookie issued before (a copy included) stops working.
    session_nonce: Mapped[Optional[str]] = mapped_column(sa.String(32))

    team: Mapped[Optional[Team]] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:
        """Deactivated users cannot sign in (Flask-Login reads this)."""
        return self.active

    @property
    def session_token(self) -> str:
        """Return a short digest of the password hash and session nonce: it changes when either does."""
        return hashlib.sha256((self.password_hash + (self.session_nonce or "")).encode()).hexdigest()[:16]

    def get_id(self) -> str:
        """Return the id Flask-Login keeps in the session: "<id>:<session token>".

        Binding the session to the password means a password change (or an admin's
        reset) signs the account out everywhere else; signing out does the same
        through the nonce, so a copied cookie is useless afterwards.
        """
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Invalidate every session and remember-me cookie issued so far (no commit)."""
        self.session_nonce = secrets.token_hex(16)

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password, never the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Return True when the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: str) -> bool:
        """Return True when the user's role is one of ``roles``."""
        return self.role in {getattr(r, "value", r) for r in roles}

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class MentorPairing(db.Model):
    """A mentor, a mentee and an optional buddy, with a start date and goal."""

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    mentee_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    buddy_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    start_date: Mapped[date] = mapped_column(sa.Date)
    goal: Mapped[str] = mapped_column(sa.Text, default="")
    ended_on: Mapped[Optional[date]] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id])
    mentee: Mapped[User] = relationship(foreign_keys=[mentee_id])
    buddy: Mapped[Optional[User]] = relationship(foreign_keys=[buddy_id])

    @property
    def is_active(self) -> bool:
        """A pairing is active until it has an end date."""
        return self.ended_on is None
