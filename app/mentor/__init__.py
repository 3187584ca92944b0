"""The mentor workspace: mentees, assignments, coaching notes, 30-day plans, the inbox and the cohort view."""

from flask import Blueprint

from app.services import mentor_events

bp = Blueprint("mentor", __name__)

# The receivers keep assignment statuses and the activity record in step with
# the other areas' signals; connecting twice is harmless.
mentor_events.connect()

from app.mentor import routes  # noqa: E402,F401
