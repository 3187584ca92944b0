"""The course library: learners browse, read and complete courses; trainers edit, publish and analyse them."""

from flask import Blueprint

bp = Blueprint("learn", __name__)

from app.learn import routes  # noqa: E402,F401
from app.services import library_events  # noqa: E402

library_events.connect()
