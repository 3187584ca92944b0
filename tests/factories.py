"""Plain factory functions that put test records in the database."""

from datetime import date
from itertools import count

from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models.people import MentorPairing, Team, User

_seq = count(1)
PASSWORD = "correct-horse-battery"
_FAST_HASH = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")


def make_team(name: str | None = None) -> Team:
    """Create a team."""
    team = Team(name=name or f"Team {next(_seq)}")
    db.session.add(team)
    db.session.commit()
    return team


def make_user(role: str = "learner", tier: str = "new_hire", team: Team | None = None, **fields) -> User:
    """Create an active user whose password is ``PASSWORD``."""
    n = next(_seq)
    password = fields.pop("password", PASSWORD)
    user = User(
        email=fields.pop("email", f"{role}{n}@example.com"),
        name=fields.pop("name", f"{role.title()} {n}"),
        role=role,
        tier=tier,
        team=team,
        **fields,
    )
    # A cheap hash for the shared test password keeps hundreds of tests fast; check_password reads any method.
    user.password_hash = _FAST_HASH if password == PASSWORD else generate_password_hash(password, "pbkdf2:sha256:1000")
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
