"""Who may enter which route, and whose records a user may see: decided here only.

Routes declare a rule with ``@public`` or ``@allow(...)``; ``enforce_route_rule``
runs before every request and refuses any endpoint that declares none, so a new
route without a rule fails closed (and ``tests/test_authz_routes.py`` fails).
Admins may enter every route that any signed-in role may enter.
"""

import sqlalchemy as sa
from flask import abort, current_app, jsonify, request
from flask_login import current_user

from app.extensions import db, login_manager
from app.models.people import MentorPairing, Role, User

RULE_ATTR = "access_rule"
PUBLIC = "public"
ALL_ROLES = frozenset(r.value for r in Role)
STAFF = (Role.TRAINER, Role.ADMIN)


def public(view):
    """Mark a view as open to everyone, signed in or not."""
    setattr(view, RULE_ATTR, PUBLIC)
    return view


def allow(*roles):
    """Mark a view as open to the given roles (and always to admins)."""
    allowed = frozenset(getattr(r, "value", r) for r in roles) | {Role.ADMIN.value}
    unknown = allowed - ALL_ROLES
    if unknown:
        raise ValueError(f"unknown roles in rule: {sorted(unknown)}")

    def decorate(view):
        setattr(view, RULE_ATTR, allowed)
        return view

    return decorate


def signed_in(view):
    """Mark a view as open to every signed-in user."""
    return allow(*Role)(view)


def rule_for(endpoint: str):
    """Return the declared rule of an endpoint, or None when it declares none."""
    if endpoint == "static" or endpoint.endswith(".static"):
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, RULE_ATTR, None)


def wants_json() -> bool:
    """Return True for API requests, which get JSON errors instead of pages."""
    return request.path.startswith("/api/")


def enforce_route_rule():
    """Refuse the request unless the endpoint's rule lets the current user in."""
    if request.endpoint is None:
        return None  # no route matched: Flask answers 404/405 itself
    rule = rule_for(request.endpoint)
    if rule is None:
        current_app.logger.error("route %s has no access rule", request.endpoint)
        abort(403)
    if rule == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if wants_json():
            response = jsonify(error={"code": 401, "message": "authentication required"})
            response.status_code = 401
            return response
        return login_manager.unauthorized()
    if current_user.role not in rule:
        abort(403)
    return None


def mentee_ids(user: User) -> set[int]:
    """Return the ids of the learners this user mentors or buddies (active pairings)."""
    rows = db.session.scalars(
        sa.select(MentorPairing.mentee_id).where(
            MentorPairing.ended_on.is_(None),
            sa.or_(MentorPairing.mentor_id == user.id, MentorPairing.buddy_id == user.id),
        )
    )
    return set(rows)


def can_view_learner(viewer: User, learner_id: int) -> bool:
    """Return True when ``viewer`` may see the work of learner ``learner_id``.

    Learners see their own work; mentors and buddies that of their active
    mentees; trainers and admins everyone's (content analytics per learner).
    """
    if viewer.id == learner_id:
        return True
    if viewer.role in (Role.TRAINER.value, Role.ADMIN.value):
        return True
    return learner_id in mentee_ids(viewer)


def can_mentor(viewer: User, learner_id: int) -> bool:
    """Return True when ``viewer`` may act as mentor of ``learner_id`` (assign, note, plan)."""
    if viewer.role == Role.ADMIN.value:
        return True
    if viewer.role not in (Role.MENTOR.value, Role.TRAINER.value):
        return False
    pairing = db.session.scalar(
        sa.select(MentorPairing.id).where(
            MentorPairing.ended_on.is_(None),
            MentorPairing.mentor_id == viewer.id,
            MentorPairing.mentee_id == learner_id,
        )
    )
    return pairing is not None


def require_learner_access(viewer: User, learner_id: int) -> None:
    """Abort with 404 unless ``viewer`` may see learner ``learner_id``'s work.

    404 rather than 403 so that ids of other people's records leak nothing.
    """
    if not can_view_learner(viewer, learner_id):
        abort(404)


def require_owner(viewer: User, owner_id: int) -> None:
    """Abort with 404 unless the record belongs to ``viewer`` (or they are an admin)."""
    if viewer.id != owner_id and viewer.role != Role.ADMIN.value:
        abort(404)


def init_app(app) -> None:
    """Run the route rule before every request."""
    app.before_request(enforce_route_rule)

