"""What each role's home page shows."""

from dataclasses import dataclass, field

import sqlalchemy as sa

from app.extensions import db
from app.models.people import MentorPairing, Role, Team, User


@dataclass
class HomeView:
    """The figures and lists on a home page; areas add their own sections."""

    user: User
    counts: dict = field(default_factory=dict)
    mentees: list = field(default_factory=list)
    mentor: object = None
    buddy: object = None


def build_home(user: User) -> HomeView:
    """Collect what the user's home page needs, in a fixed number of queries."""
    view = HomeView(user=user)
    pairing = db.session.scalar(
        sa.select(MentorPairing).where(MentorPairing.mentee_id == user.id, MentorPairing.ended_on.is_(None))
    )
    if pairing is not None:
        view.mentor, view.buddy = pairing.mentor, pairing.buddy
    if user.role in (Role.MENTOR.value, Role.ADMIN.value, Role.TRAINER.value):
        view.mentees = list(
            db.session.scalars(
                sa.select(User)
                .join(MentorPairing, MentorPairing.mentee_id == User.id)
                .where(MentorPairing.mentor_id == user.id, MentorPairing.ended_on.is_(None))
                .order_by(User.name)
            )
        )
    if user.role == Role.ADMIN.value:
        view.counts = {
            "users": db.session.scalar(sa.select(sa.func.count(User.id))),
            "active_users": db.session.scalar(sa.select(sa.func.count(User.id)).where(User.active.is_(True))),
            "teams": db.session.scalar(sa.select(sa.func.count(Team.id))),
            "pairings": db.session.scalar(
                sa.select(sa.func.count(MentorPairing.id)).where(MentorPairing.ended_on.is_(None))
            ),
        }
    return view


def database_is_up() -> bool:
    """Return True when a trivial query succeeds."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False
