"""Home pages per role, and a health check for load balancers."""

from flask import jsonify, redirect, render_template, url_for
from flask_login import current_user
from markupsafe import Markup

from app import view_cache
from app.authz import public, signed_in
from app.main import bp
from app.models.people import Role
from app.models.types import utcnow
from app.services import home as home_service
from app.services import mentoring

#: Roles whose whole home page depends only on their own records, their mentees' and shared content
#: (admins and trainers see organisation-wide counts and queues, so theirs is rendered each time).
CACHED_HOME_ROLES = (Role.LEARNER.value, Role.MENTOR.value)


@bp.route("/")
@public
def index():
    """Send visitors to sign in and users to their home page."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return redirect(url_for("auth.login"))


@bp.route("/home")
@signed_in
def home():
    """Show the home page for the user's role."""
    def render() -> str:
        return render_template("main/_home_body.html", home=home_service.build_home(current_user))

    if current_user.role not in CACHED_HOME_ROLES:
        return render_template("main/home.html", body=Markup(render()))
    mentees = mentoring.active_mentee_stamps(current_user) if current_user.role == Role.MENTOR.value else ()
    # Due dates and "continue" cards depend on the date, so the hour is part of the key.
    key = view_cache.fragment_key("home", current_user, utcnow().strftime("%Y%m%d%H"), others=mentees)
    return view_cache.page(key, "main/home.html", body=render)


@bp.route("/healthz")
@public
def healthz():
    """Answer whether the app can reach its database."""
    ok = home_service.database_is_up()
    return jsonify(status="ok" if ok else "database unavailable"), (200 if ok else 503)
