"""Scenario studio: trainers author, preview, publish and analyse role-play scenarios in the browser."""

from flask import Blueprint

bp = Blueprint("studio", __name__)

from app.studio import routes, analytics_routes, experiment_routes  # noqa: E402,F401
