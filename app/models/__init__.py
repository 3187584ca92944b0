"""SQLAlchemy models, one module per area; importing this registers them all."""

from app.models.people import MentorPairing, Role, Team, Tier, User  # noqa: F401
