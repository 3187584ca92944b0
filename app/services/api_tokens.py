"""Personal API tokens: create, list, revoke, and authenticate a presented token.

A token reads ``rh_<prefix>_<secret>``: the prefix (8 characters) finds the row,
the SHA-256 digest of the whole token is compared in constant time. The token
itself is returned once, at creation, and never stored.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from app.extensions import db
from app.models.api import ApiToken
from app.models.people import User
from app.services.errors import NotFound, ValidationError

TOKEN_PATTERN = re.compile(r"rh_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})")
MAX_NAME = 80
MAX_ACTIVE_TOKENS = 20
# Writing last_used_at on every call would make each API read a write; a few minutes is precise enough.
LAST_USED_GRANULARITY = timedelta(minutes=5)
EXPIRY_CHOICES = (30, 90, 365)  # days; None means the token never expires
_ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass(frozen=True)
class IssuedToken:
    """A freshly created token: the stored row and the plain token, to be shown once."""

    record: ApiToken
    plain: str


def digest(plain: str) -> str:
    """Return the hex SHA-256 digest under which a token is stored."""
    return hashlib.sha256(plain.encode()).hexdigest()


def _new_prefix() -> str:
    """Return a random 8-character lookup prefix."""
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(8))


def active_tokens(user: User, now: datetime) -> list[ApiToken]:
    """Return the user's tokens that are neither revoked nor expired, newest first."""
    stmt = (
        sa.select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .where(sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(db.session.scalars(stmt))


def tokens_of(user: User) -> list[ApiToken]:
    """Return every token of the user, revoked and expired ones included, newest first."""
    stmt = sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(
        ApiToken.created_at.desc(), ApiToken.id.desc()
    )
    return list(db.session.scalars(stmt))


def create_token(user: User, name: str, expires_in_days: Optional[int], now: datetime) -> IssuedToken:
    """Create a token for ``user`` and return it with its plain text (shown once)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("give the token a name, e.g. the integration that uses it", field="name")
    if len(name) > MAX_NAME:
        raise ValidationError(f"the name is longer than {MAX_NAME} characters", field="name")
    if expires_in_days is not None and expires_in_days not in EXPIRY_CHOICES:
        raise ValidationError("choose one of the offered lifetimes", field="expires_in_days")
    if len(active_tokens(user, now)) >= MAX_ACTIVE_TOKENS:
        raise ValidationError(f"you already have {MAX_ACTIVE_TOKENS} tokens: revoke one first", field="name")
    prefix = _new_prefix()
    while db.session.scalar(sa.select(ApiToken.id).where(ApiToken.prefix == prefix)) is not None:
        prefix = _new_prefix()
    plain = f"rh_{prefix}_{secrets.token_urlsafe(32)}"
    record = ApiToken(
        user_id=user.id, name=name, prefix=prefix, token_hash=digest(plain), created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    db.session.add(record)
    db.session.commit()
    return IssuedToken(record=record, plain=plain)


def revoke_token(user: User, token_id: int, now: datetime) -> ApiToken:
    """Revoke one of ``user``'s tokens (idempotent); raise NotFound for anyone else's."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("token")
    if token.revoked_at is None:
        token.revoked_at = now
        db.session.commit()
    return token


def authenticate(plain: str, now: datetime) -> Optional[ApiToken]:
    """Return the usable token matching ``plain`` (its user active), or None; note when it was last used."""
    match = TOKEN_PATTERN.fullmatch(plain or "")
    if match is None:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.prefix == match.group(1)))
    if token is None or not hmac.compare_digest(token.token_hash, digest(plain)):
        return None
    if not token.is_usable(now) or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        _note_use(token, now)
    return token


def _note_use(token: ApiToken, now: datetime) -> None:
    """Write ``last_used_at``; a database that cannot take the write (read-only, full, locked) must not fail the call."""
    from app.errors import database_problem

    token.last_used_at = now
    try:
        db.session.commit()
    except sa.exc.DBAPIError as error:
        # Bookkeeping only: a replica after failover still serves API reads. Other errors are bugs and propagate.
        if database_problem(error) is None:
            raise
        db.session.rollback()
