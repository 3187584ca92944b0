"""Accounts: authentication, profile changes and user administration."""

from datetime import date
from typing import Optional

import sqlalchemy as sa

from app.extensions import db
from app.models.people import ROLE_VALUES, TIER_VALUES, MentorPairing, Team, User
from app.models.types import utcnow
from app.services.errors import NotFound, ValidationError


def normalise_email(email: str) -> str:
    """Return the email trimmed and lower-cased, the form it is stored in."""
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> Optional[User]:
    """Return the user with this email, or None."""
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> Optional[User]:
    """Return the active user whose email and password match, else None."""
    user = find_user_by_email(email)
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_seen_at = utcnow()
    db.session.commit()
    return user


def update_profile(user: User, name: str, locale: Optional[str]) -> None:
    """Change a user's display name and interface language."""
    user.name = name.strip()
    user.locale = locale or None
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Change a user's password after checking the current one."""
    if not user.check_password(current):
        raise ValidationError("current password is wrong", field="current")
    user.set_password(new)
    db.session.commit()


def get_user(user_id: int) -> User:
    """Return the user or raise NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    return user


def get_or_create_team(name: str) -> Team:
    """Return the team with this name, creating it if needed (no commit)."""
    name = name.strip()
    team = db.session.scalar(sa.select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        db.session.add(team)
        db.session.flush()
    return team


def check_user_fields(email: str, role: str, tier: str, exclude_id: Optional[int] = None) -> None:
    """Raise ValidationError when the email is taken or the role or tier is unknown."""
    if role not in ROLE_VALUES:
        raise ValidationError(f"unknown role {role!r} (use one of {', '.join(ROLE_VALUES)})", field="role")
    if tier not in TIER_VALUES:
        raise ValidationError(f"unknown tier {tier!r} (use one of {', '.join(TIER_VALUES)})", field="tier")
    existing = find_user_by_email(email)
    if existing is not None and existing.id != exclude_id:
        raise ValidationError(f"email {normalise_email(email)} is already used", field="email")


def create_user(
    email: str, name: str, password: str, role: str = "learner", tier: str = "new_hire",
    team_id: Optional[int] = None, locale: Optional[str] = None,
) -> User:
    """Create an active user with a hashed password."""
    check_user_fields(email, role, tier)
    user = User(email=normalise_email(email), name=name.strip(), role=role, tier=tier, team_id=team_id, locale=locale)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def update_user(user: User, *, email: str, name: str, role: str, tier: str, team_id: Optional[int], active: bool) -> None:
    """Change a user's account fields (admin)."""
    check_user_fields(email, role, tier, exclude_id=user.id)
    user.email = normalise_email(email)
    user.name = name.strip()
    user.role, user.tier, user.team_id, user.active = role, tier, team_id, active
    db.session.commit()


def reset_password(user: User, password: str) -> None:
    """Set a new password for a user (admin)."""
    user.set_password(password)
    db.session.commit()


def set_active(user: User, active: bool) -> None:
    """Activate or deactivate a user; deactivated users cannot sign in."""
    user.active = active
    db.session.commit()


def create_team(name: str) -> Team:
    """Create a team with a unique name."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("a team needs a name", field="name")
    if db.session.scalar(sa.select(Team.id).where(Team.name == name)) is not None:
        raise ValidationError(f"team {name!r} already exists", field="name")
    team = Team(name=name)
    db.session.add(team)
    db.session.commit()
    return team


def rename_team(team: Team, name: str) -> None:
    """Rename a team, keeping names unique."""
    name = (name or "").strip()
    clash = db.session.scalar(sa.select(Team.id).where(Team.name == name, Team.id != team.id))
    if not name or clash is not None:
        raise ValidationError(f"team {name!r} already exists" if name else "a team needs a name", field="name")
    team.name = name
    db.session.commit()


def check_pairing(mentor: User, mentee: User, buddy: Optional[User]) -> None:
    """Raise ValidationError unless the people can form a mentor pairing."""
    if mentor.id == mentee.id:
        raise ValidationError("a mentor cannot mentor themselves", field="mentee_id")
    if mentor.role not in ("mentor", "trainer", "admin"):
        raise ValidationError(f"{mentor.email} is a {mentor.role}, not a mentor", field="mentor_id")
    if buddy is not None and buddy.id in (mentor.id, mentee.id):
        raise ValidationError("the buddy must be a third person", field="buddy_id")
    active = db.session.scalar(
        sa.select(MentorPairing.id).where(MentorPairing.mentee_id == mentee.id, MentorPairing.ended_on.is_(None))
    )
    if active is not None:
        raise ValidationError(f"{mentee.email} already has an active mentor; end that pairing first", field="mentee_id")


def create_pairing(mentor: User, mentee: User, buddy: Optional[User], start: date, goal: str) -> MentorPairing:
    """Pair a mentee with a mentor (and an optional buddy)."""
    check_pairing(mentor, mentee, buddy)
    pairing = MentorPairing(mentor=mentor, mentee=mentee, buddy=buddy, start_date=start, goal=goal.strip())
    db.session.add(pairing)
    db.session.commit()
    return pairing


def end_pairing(pairing: MentorPairing, on: date) -> None:
    """End an active pairing on the given date."""
    pairing.ended_on = on
    db.session.commit()
