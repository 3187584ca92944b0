"""Home pages per role, and a health check for load balancers."""

from flask import jsonify, redirect, render_template, url_for
from flask_login import current_user

from app.authz import public, signed_in
from app.main import bp
from app.services import home as home_service


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
    view = home_service.build_home(current_user)
    return render_template(f"main/home_{current_user.role}.html", home=view)


@bp.route("/healthz")
@public
def healthz():
    """Answer whether the app can reach its database."""
    ok = home_service.database_is_up()
    return jsonify(status="ok" if ok else "database unavailable"), (200 if ok else 503)
