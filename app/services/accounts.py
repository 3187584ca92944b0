"""Accounts: authentication, profile changes and user administration."""

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Optional

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.people import ROLE_VALUES, TIER_VALUES, MentorPairing, Role, Team, User
from app.models.types import utcnow
from app.services.errors import Conflict, NotFound, ValidationError

LOCALES = ("en", "zh")
MENTOR_ROLES = (Role.MENTOR.value, Role.TRAINER.value, Role.ADMIN.value)
MIN_PASSWORD_LENGTH = 8
# Letters and digits that cannot be mistaken for one another when read aloud or copied.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_DUMMY_HASH = generate_password_hash("not a real password")


def normalise_email(email: str) -> str:
    """Return the email trimmed and lower-cased, the form it is stored in."""
    return (email or "").strip().lower()


def check_email(email: str) -> str:
    """Return the normalised email, or raise ValidationError when it is not an address."""
    email = normalise_email(email)
    try:
        # No DNS look-up (imports must work offline); `.test` domains are allowed for demos.
        validate_email(email, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise ValidationError(_l("%(email)s is not a valid email address", email=email or '""'), field="email")
    return email


def generate_password() -> str:
    """Return a random 14-character password that is easy to copy by hand."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(14))


def find_user_by_email(email: str) -> Optional[User]:
    """Return the user with this email, or None."""
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> Optional[User]:
    """Return the active user whose email and password match, else None."""
    user = find_user_by_email(email)
    if user is None:
        # Hash anyway so that the response time does not tell which emails have accounts.
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not user.active or not user.check_password(password):
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
        raise ValidationError(_l("The current password is wrong."), field="current")
    user.set_password(new)
    db.session.commit()


def get_user(user_id: int) -> User:
    """Return the user or raise NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("No such user."))
    return user


def get_team(team_id: int) -> Team:
    """Return the team or raise NotFound."""
    team = db.session.get(Team, team_id)
    if team is None:
        raise NotFound(_l("No such team."))
    return team


def get_pairing(pairing_id: int) -> MentorPairing:
    """Return the mentor pairing or raise NotFound."""
    pairing = db.session.get(MentorPairing, pairing_id)
    if pairing is None:
        raise NotFound(_l("No such mentor pairing."))
    return pairing


def get_or_create_team(name: str) -> Team:
    """Return the team with this name, creating it if needed (no commit)."""
    name = name.strip()
    team = db.session.scalar(sa.select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        db.session.add(team)
        db.session.flush()
    return team


# --- listing -----------------------------------------------------------------


@dataclass(frozen=True)
class UserFilter:
    """What the admin's user list is narrowed to; empty values mean "any"."""

    q: str = ""
    role: str = ""
    tier: str = ""
    team_id: Optional[int] = None
    status: str = ""  # "", "active" or "inactive"


def user_query(filters: UserFilter) -> sa.Select:
    """Return the SELECT of users matching ``filters``, ordered by name then email."""
    query = sa.select(User).options(sa.orm.joinedload(User.team))
    text = filters.q.strip().lower()
    if text:
        query = query.where(
            sa.or_(sa.func.lower(User.name).contains(text, autoescape=True), User.email.contains(text, autoescape=True))
        )
    if filters.role in ROLE_VALUES:
        query = query.where(User.role == filters.role)
    if filters.tier in TIER_VALUES:
        query = query.where(User.tier == filters.tier)
    if filters.team_id is not None:
        query = query.where(User.team_id == filters.team_id)
    if filters.status in ("active", "inactive"):
        query = query.where(User.active.is_(filters.status == "active"))
    return query.order_by(sa.func.lower(User.name), User.email)


def search_users(filters: UserFilter, page: int = 1, per_page: int = 25):
    """Return one page (a Flask-SQLAlchemy Pagination) of the users matching ``filters``."""
    return db.paginate(user_query(filters), page=page, per_page=per_page, error_out=False, max_per_page=200)


def list_teams() -> list[Team]:
    """Return every team, by name."""
    return list(db.session.scalars(sa.select(Team).order_by(Team.name)))


def team_member_counts() -> list[tuple[Team, int, int]]:
    """Return (team, members, active members) for every team, by name, in one query."""
    rows = db.session.execute(
        sa.select(
            Team,
            sa.func.count(User.id),
            sa.func.count(User.id).filter(User.active.is_(True)),
        )
        .outerjoin(User, User.team_id == Team.id)
        .group_by(Team.id)
        .order_by(Team.name)
    )
    return [(team, total, active) for team, total, active in rows]


def mentor_candidates() -> list[User]:
    """Return the active users who may mentor: mentors, trainers and admins, by name."""
    return list(
        db.session.scalars(
            sa.select(User).where(User.active.is_(True), User.role.in_(MENTOR_ROLES)).order_by(User.name)
        )
    )


def active_users() -> list[User]:
    """Return every active user, by name (mentee and buddy candidates)."""
    return list(db.session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.name)))


def unpaired_users() -> list[User]:
    """Return the active users without an active mentor, by name (mentee candidates)."""
    paired = sa.select(MentorPairing.mentee_id).where(MentorPairing.ended_on.is_(None))
    return list(
        db.session.scalars(
            sa.select(User).where(User.active.is_(True), User.id.not_in(paired)).order_by(User.name)
        )
    )


def list_pairings(status: str = "active") -> list[MentorPairing]:
    """Return the mentor pairings ("active", "ended" or "all"), newest first, people loaded."""
    query = sa.select(MentorPairing).options(
        sa.orm.joinedload(MentorPairing.mentor),
        sa.orm.joinedload(MentorPairing.mentee),
        sa.orm.joinedload(MentorPairing.buddy),
    )
    if status == "active":
        query = query.where(MentorPairing.ended_on.is_(None))
    elif status == "ended":
        query = query.where(MentorPairing.ended_on.is_not(None))
    return list(db.session.scalars(query.order_by(MentorPairing.start_date.desc(), MentorPairing.id.desc())))


# --- user administration -------------------------------------------------------


def check_user_fields(
    email: str, role: str, tier: str, exclude_id: Optional[int] = None, name: Optional[str] = None,
    locale: Optional[str] = None,
) -> str:
    """Return the normalised email; raise ValidationError for a bad or taken email, role, tier, name or locale."""
    if role not in ROLE_VALUES:
        raise ValidationError(
            _l("unknown role %(role)s (use one of %(choices)s)", role=repr(role), choices=", ".join(ROLE_VALUES)),
            field="role",
        )
    if tier not in TIER_VALUES:
        raise ValidationError(
            _l("unknown tier %(tier)s (use one of %(choices)s)", tier=repr(tier), choices=", ".join(TIER_VALUES)),
            field="tier",
        )
    if name is not None and not name.strip():
        raise ValidationError(_l("a name is required"), field="name")
    if name is not None and len(name.strip()) > 120:
        raise ValidationError(_l("the name is longer than 120 characters"), field="name")
    if locale and locale not in LOCALES:
        raise ValidationError(
            _l("unknown language %(locale)s (use one of %(choices)s)", locale=repr(locale), choices=", ".join(LOCALES)),
            field="locale",
        )
    email = check_email(email)
    existing = find_user_by_email(email)
    if existing is not None and existing.id != exclude_id:
        raise ValidationError(_l("email %(email)s is already used", email=email), field="email")
    return email


def check_password_strength(password: str) -> None:
    """Raise ValidationError when a password is too short."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            _l("a password needs at least %(n)d characters", n=MIN_PASSWORD_LENGTH), field="password"
        )


def create_user(
    email: str, name: str, password: str, role: str = "learner", tier: str = "new_hire",
    team_id: Optional[int] = None, locale: Optional[str] = None, active: bool = True,
) -> User:
    """Create a user (active unless told otherwise) with a hashed password."""
    email = check_user_fields(email, role, tier, name=name, locale=locale)
    check_password_strength(password)
    user = User(
        email=email, name=name.strip(), role=role, tier=tier, team_id=team_id, locale=locale or None, active=active
    )
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def _other_active_admins(user: User) -> int:
    """Return how many active admins there are besides ``user``."""
    return db.session.scalar(
        sa.select(sa.func.count(User.id)).where(
            User.role == Role.ADMIN.value, User.active.is_(True), User.id != user.id
        )
    )


def _check_admin_kept(user: User, role: str, active: bool, actor: Optional[User]) -> None:
    """Refuse changes that would lock the organisation (or the acting admin) out of administration."""
    losing_admin = user.role == Role.ADMIN.value and user.active and (role != Role.ADMIN.value or not active)
    if not losing_admin:
        return
    if actor is not None and actor.id == user.id:
        raise Conflict(_l("You cannot remove your own admin access; ask another admin."))
    if _other_active_admins(user) == 0:
        raise Conflict(_l("This is the last active admin; make someone else an admin first."))


def update_user(
    user: User, *, email: str, name: str, role: str, tier: str, team_id: Optional[int], active: bool,
    locale: Optional[str] = None, actor: Optional[User] = None,
) -> None:
    """Change a user's account fields (admin); ``actor`` is the admin making the change."""
    email = check_user_fields(email, role, tier, exclude_id=user.id, name=name, locale=locale)
    _check_admin_kept(user, role, active, actor)
    user.email = email
    user.name = name.strip()
    user.role, user.tier, user.team_id, user.active = role, tier, team_id, active
    user.locale = locale or None
    db.session.commit()


def reset_password(user: User, password: Optional[str] = None) -> str:
    """Set a new password for a user (admin), generating one when none is given; return it."""
    password = password or generate_password()
    check_password_strength(password)
    user.set_password(password)
    db.session.commit()
    return password


def set_active(user: User, active: bool, actor: Optional[User] = None) -> None:
    """Activate or deactivate a user; deactivated users cannot sign in."""
    _check_admin_kept(user, user.role, active, actor)
    user.active = active
    db.session.commit()


# --- teams -------------------------------------------------------------------


def _check_team_name(name: str, exclude_id: Optional[int] = None) -> str:
    """Return the trimmed team name, or raise ValidationError when it is empty, too long or taken."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_l("a team needs a name"), field="name")
    if len(name) > 120:
        raise ValidationError(_l("a team name has at most 120 characters"), field="name")
    clash = sa.select(Team.id).where(Team.name == name)
    if exclude_id is not None:
        clash = clash.where(Team.id != exclude_id)
    if db.session.scalar(clash) is not None:
        raise ValidationError(_l("team %(name)s already exists", name=name), field="name")
    return name


def create_team(name: str) -> Team:
    """Create a team with a unique name."""
    team = Team(name=_check_team_name(name))
    db.session.add(team)
    db.session.commit()
    return team


def rename_team(team: Team, name: str) -> None:
    """Rename a team, keeping names unique."""
    team.name = _check_team_name(name, exclude_id=team.id)
    db.session.commit()


# --- mentor pairings ---------------------------------------------------------------


def check_pairing(mentor: User, mentee: User, buddy: Optional[User]) -> None:
    """Raise ValidationError unless the people can form a mentor pairing."""
    if mentor.id == mentee.id:
        raise ValidationError(_l("a mentor cannot mentor themselves"), field="mentee_id")
    if mentor.role not in MENTOR_ROLES:
        raise ValidationError(
            _l("%(email)s is not a mentor, trainer or admin", email=mentor.email), field="mentor_id"
        )
    for person, field in ((mentor, "mentor_id"), (mentee, "mentee_id"), (buddy, "buddy_id")):
        if person is not None and not person.active:
            raise ValidationError(_l("%(email)s is deactivated", email=person.email), field=field)
    if buddy is not None and buddy.id in (mentor.id, mentee.id):
        raise ValidationError(_l("the buddy must be a third person"), field="buddy_id")
    active = db.session.scalar(
        sa.select(MentorPairing.id).where(MentorPairing.mentee_id == mentee.id, MentorPairing.ended_on.is_(None))
    )
    if active is not None:
        raise ValidationError(
            _l("%(email)s already has an active mentor; end that pairing first", email=mentee.email),
            field="mentee_id",
        )


def create_pairing(mentor: User, mentee: User, buddy: Optional[User], start: date, goal: str) -> MentorPairing:
    """Pair a mentee with a mentor (and an optional buddy)."""
    check_pairing(mentor, mentee, buddy)
    pairing = MentorPairing(mentor=mentor, mentee=mentee, buddy=buddy, start_date=start, goal=(goal or "").strip())
    db.session.add(pairing)
    db.session.commit()
    return pairing


def end_pairing(pairing: MentorPairing, on: date) -> None:
    """End an active pairing on the given date (not before it started)."""
    if pairing.ended_on is not None:
        raise Conflict(_l("This pairing has already ended."))
    pairing.ended_on = max(on, pairing.start_date)
    db.session.commit()
