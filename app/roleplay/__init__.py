"""Role-play: the scenario list, the player, the end page and the objection library."""

from flask import Blueprint

bp = Blueprint("roleplay", __name__)

from app.roleplay import routes  # noqa: E402,F401
