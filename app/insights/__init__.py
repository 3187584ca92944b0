"""Deal insights: import CRM deals, rank behaviours, compare runs, recommend training."""

from flask import Blueprint

bp = Blueprint("insights", __name__)

from app.insights import routes, templating  # noqa: E402,F401
