"""Admin views: thin wrappers over app.services.accounts."""

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.admin import bp
from app.admin.forms import (
    ActiveForm, EndPairingForm, PairingForm, PasswordResetForm, TeamForm, UserFilterForm, UserForm,
)
from app.authz import allow
from app.models.people import Role
from app.security import is_safe_next
from app.services import accounts
from app.services.errors import Conflict, NotFound, ValidationError


def _team_choices(blank) -> list:
    """Return the team choices, led by a blank choice labelled ``blank``."""
    return [SelectChoice("", blank)] + [SelectChoice(str(t.id), t.name) for t in accounts.list_teams()]


def _person_choices(users, blank) -> list:
    """Return user choices "Name <email>" led by a 0 choice labelled ``blank``."""
    return [SelectChoice(0, blank)] + [SelectChoice(u.id, f"{u.name} <{u.email}>") for u in users]


def _get_or_404(getter, record_id):
    """Return the record or answer 404."""
    try:
        return getter(record_id)
    except NotFound:
        abort(404)


def _field_error(form, error: ValidationError) -> None:
    """Show a service's validation error on the form field it names, else as a flash."""
    field = getattr(form, error.field or "", None)
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "danger")


@bp.route("/")
@allow(Role.ADMIN)
def index():
    """Open the user list, the admin area's front page."""
    return redirect(url_for("admin.users"))


@bp.route("/users")
@allow(Role.ADMIN)
def users():
    """List users with search, filters and pagination."""
    form = UserFilterForm(request.args)
    form.team.choices = _team_choices(_("Any team"))
    form.validate()
    team = request.args.get("team", "")
    filters = accounts.UserFilter(
        q=form.q.data or "", role=form.role.data or "", tier=form.tier.data or "",
        team_id=int(team) if team.isdigit() else None, status=form.status.data or "",
    )
    page = accounts.search_users(
        filters, page=request.args.get("page", 1, type=int), per_page=current_app.config["PER_PAGE"]
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/users.html", form=form, page=page, args=args, filtered=bool(args))


@bp.route("/users/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def user_new():
    """Create a user; an empty password is generated and shown once."""
    form = UserForm()
    form.team_id.choices = _team_choices(_("No team"))
    if form.validate_on_submit():
        password = form.password.data or accounts.generate_password()
        try:
            user = accounts.create_user(
                form.email.data, form.name.data, password, role=form.role.data, tier=form.tier.data,
                team_id=int(form.team_id.data) if form.team_id.data else None, locale=form.locale.data or None,
                active=form.active.data,
            )
        except ValidationError as error:
            _field_error(form, error)
        else:
            flash(_("User %(email)s created.", email=user.email), "success")
            if form.password.data:
                return redirect(url_for("admin.users", q=user.email))
            return render_template("admin/password_shown.html", user=user, password=password, created=True)
    return render_template("admin/user_form.html", form=form, user=None), 400 if form.errors else 200


def _edit_form(user, submitted: bool) -> UserForm:
    """Return the account form of an existing user (no password field), filled from the request or the user."""
    form = UserForm(obj=user) if submitted else UserForm(formdata=None, obj=user)
    del form.password
    form.team_id.choices = _team_choices(_("No team"))
    if not submitted:
        form.team_id.data = str(user.team_id or "")
        form.locale.data = user.locale or ""
    return form


def _render_edit(user, form: UserForm, reset_form: PasswordResetForm, status: int):
    """Render a user's page: account form, password reset and (de)activation."""
    return render_template(
        "admin/user_form.html", form=form, user=user, active_form=ActiveForm(), reset_form=reset_form
    ), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def user_edit(user_id: int):
    """Edit a user's account fields."""
    user = _get_or_404(accounts.get_user, user_id)
    form = _edit_form(user, submitted=request.method == "POST")
    if form.validate_on_submit():
        try:
            accounts.update_user(
                user, email=form.email.data, name=form.name.data, role=form.role.data, tier=form.tier.data,
                team_id=int(form.team_id.data) if form.team_id.data else None, active=form.active.data,
                locale=form.locale.data or None, actor=current_user,
            )
        except ValidationError as error:
            _field_error(form, error)
        except Conflict as error:
            flash(str(error.message), "danger")
        else:
            flash(_("Changes to %(email)s saved.", email=user.email), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return _render_edit(user, form, PasswordResetForm(), 400 if request.method == "POST" else 200)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@allow(Role.ADMIN)
def user_set_active(user_id: int):
    """Deactivate or reactivate a user."""
    user = _get_or_404(accounts.get_user, user_id)
    form = ActiveForm()
    if not form.validate_on_submit() or form.active.data not in ("0", "1"):
        abort(400)
    try:
        accounts.set_active(user, form.active.data == "1", actor=current_user)
    except Conflict as error:
        flash(str(error.message), "danger")
    else:
        if user.active:
            flash(_("%(email)s can sign in again.", email=user.email), "success")
        else:
            flash(_("%(email)s is deactivated and cannot sign in.", email=user.email), "success")
    back = request.form.get("next")
    return redirect(back if is_safe_next(back) else url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@allow(Role.ADMIN)
def user_password(user_id: int):
    """Set a new password for a user, or generate one and show it once."""
    user = _get_or_404(accounts.get_user, user_id)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        return _render_edit(user, _edit_form(user, submitted=False), form, 400)
    password = accounts.reset_password(user, form.password.data or None)
    if form.password.data:
        flash(_("New password set for %(email)s.", email=user.email), "success")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/password_shown.html", user=user, password=password, created=False)


@bp.route("/teams", methods=["GET", "POST"])
@allow(Role.ADMIN)
def teams():
    """List teams with member counts and create new ones."""
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team = accounts.create_team(form.name.data)
        except ValidationError as error:
            _field_error(form, error)
        else:
            flash(_("Team %(name)s created.", name=team.name), "success")
            return redirect(url_for("admin.teams"))
    rows = accounts.team_member_counts()
    return render_template("admin/teams.html", form=form, rows=rows, rename_form=TeamForm(prefix="rename")), (
        400 if form.errors else 200
    )


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def team_edit(team_id: int):
    """Rename a team."""
    team = _get_or_404(accounts.get_team, team_id)
    form = TeamForm(obj=team)
    if form.validate_on_submit():
        try:
            accounts.rename_team(team, form.name.data)
        except ValidationError as error:
            _field_error(form, error)
        else:
            flash(_("Team renamed to %(name)s.", name=team.name), "success")
            return redirect(url_for("admin.teams"))
    return render_template("admin/team_form.html", form=form, team=team), 400 if form.errors else 200


@bp.route("/pairings")
@allow(Role.ADMIN)
def pairings():
    """List mentor pairings: active, ended or all."""
    status = request.args.get("status", "active")
    if status not in ("active", "ended", "all"):
        status = "active"
    return render_template(
        "admin/pairings.html", pairings=accounts.list_pairings(status), status=status, end_form=EndPairingForm()
    )


@bp.route("/pairings/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def pairing_new():
    """Pair a mentee with a mentor and an optional buddy."""
    form = PairingForm()
    people = accounts.active_users()
    form.mentor_id.choices = _person_choices(accounts.mentor_candidates(), _("Choose a mentor"))
    form.mentee_id.choices = _person_choices(accounts.unpaired_users(), _("Choose a mentee"))
    form.buddy_id.choices = _person_choices(people, _("No buddy"))
    if request.method == "GET":
        form.start_date.data = date.today()
        form.mentee_id.data = request.args.get("mentee", 0, type=int)
    if form.validate_on_submit():
        try:
            accounts.create_pairing(
                accounts.get_user(form.mentor_id.data), accounts.get_user(form.mentee_id.data),
                accounts.get_user(form.buddy_id.data) if form.buddy_id.data else None,
                form.start_date.data, form.goal.data or "",
            )
        except ValidationError as error:
            _field_error(form, error)
        else:
            flash(_("Mentor pairing created."), "success")
            return redirect(url_for("admin.pairings"))
    return render_template("admin/pairing_form.html", form=form), 400 if form.errors else 200


@bp.route("/pairings/<int:pairing_id>/end", methods=["POST"])
@allow(Role.ADMIN)
def pairing_end(pairing_id: int):
    """End an active mentor pairing today."""
    pairing = _get_or_404(accounts.get_pairing, pairing_id)
    if not EndPairingForm().validate_on_submit():
        abort(400)
    try:
        accounts.end_pairing(pairing, date.today())
    except Conflict as error:
        flash(str(error.message), "warning")
    else:
        flash(_("Pairing of %(mentee)s with %(mentor)s ended.", mentee=pairing.mentee.name,
                mentor=pairing.mentor.name), "success")
    return redirect(url_for("admin.pairings"))
