"""Sign-in, sign-out and profile views."""

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth import bp
from app.auth.forms import LoginForm, PasswordForm, ProfileForm
from app.authz import public, signed_in
from app.extensions import db, limiter
from app.security import is_safe_next
from app.services import accounts, library
from app.services.errors import ValidationError


def login_limit() -> str:
    """Return the configured sign-in rate limit per client (read per request so tests can change it)."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def login_account_limit() -> str:
    """Return the configured sign-in rate limit per account."""
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def submitted_email() -> str:
    """Return the email a sign-in form names, the key of the per-account limit."""
    return "account:" + accounts.normalise_email(request.form.get("email", ""))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(login_account_limit, methods=["POST"], key_func=submitted_email)
@public
def login():
    """Show the sign-in form and sign the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            flash(_("Wrong email or password."), "danger")
        else:
            login_user(user, remember=form.remember.data)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for("main.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Sign the user out everywhere: every cookie issued before, copies included, stops working."""
    if current_user.is_authenticated:
        user_id = current_user.id
        current_user.end_sessions()
        try:
            db.session.commit()
        except sa.exc.SQLAlchemyError as error:
            # The database cannot be written (app/errors.py): still clear this browser's cookie.
            db.session.rollback()
            current_app.logger.error("sign-out of user %s could not end their other sessions: %s", user_id, error)
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/profile", methods=["GET", "POST"])
@signed_in
def profile():
    """Edit one's name and language."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        accounts.update_profile(current_user, form.name.data, form.locale.data)
        flash(_("Profile saved."), "success")
        return redirect(url_for("auth.profile"))
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
    return render_template(
        "auth/profile.html", form=form, password_form=PasswordForm(prefix="pw"), awards=library.awards_of(current_user.id)
    )


@bp.route("/password", methods=["POST"])
@signed_in
def password():
    """Change one's own password."""
    form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.new.data)
        except ValidationError:
            form.current.errors = [_("The current password is wrong.")]
        else:
            # The session id includes a digest of the password: renew this session, others end.
            login_user(current_user._get_current_object())
            flash(_("Password changed."), "success")
            return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html", form=ProfileForm(obj=current_user), password_form=form,
        awards=library.awards_of(current_user.id),
    ), 400
