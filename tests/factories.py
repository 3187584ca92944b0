"""Plain factory functions that put test records in the database."""

from datetime import date
from itertools import count

from app.extensions import db
from app.models.people import MentorPairing, Team, User

_seq = count(1)
PASSWORD = "correct-horse-battery"


def make_team(name: str | None = None) -> Team:
    """Create a team."""
    team = Team(name=name or f"Team {next(_seq)}")
    db.session.add(team)
    db.session.commit()
    return team


def make_user(role: str = "learner", tier: str = "new_hire", team: Team | None = None, **fields) -> User:
    """Create an active user whose password is ``PASSWORD``."""
    n = next(_seq)
    user = User(
        email=fields.pop("email", f"{role}{n}@example.com"),
        name=fields.pop("name", f"{role.title()} {n}"),
        role=role,
        tier=tier,
        team=team,
        **fields,
    )
    user.set_password(fields.pop("password", PASSWORD))
    db.session.add(user)
    db.session.commit()
    return user


def make_pairing(mentor: User, mentee: User, buddy: User | None = None, **fields) -> MentorPairing:
    """Pair a mentee with a mentor."""
    pairing = MentorPairing(
        mentor=mentor, mentee=mentee, buddy=buddy, start_date=fields.pop("start_date", date(2026, 1, 5)),
        goal=fields.pop("goal", "Close a first deal"), **fields,
    )
    db.session.add(pairing)
    db.session.commit()
    return pairing
