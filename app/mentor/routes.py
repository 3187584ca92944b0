"""Mentor workspace views: thin wrappers over the mentoring, assignments and flags services."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import view_cache
from app.authz import allow, signed_in
from app.i18n import dimension_label
from app.mentor import bp
from app.mentor.forms import (
    ActionForm,
    AssignForm,
    CheckInForm,
    ClosePlanForm,
    DueDateForm,
    MessageForm,
    NoteForm,
    PlanForm,
    ToggleForm,
)
from app.mentor.presenters import (
    assign_choices,
    chart_data,
    dashboard_charts,
    labels,
    render_field_error,
)
from app.models.people import Role
from app.models.types import utcnow
from app.security import is_safe_next
from app.services import assignments as assignment_service
from app.services import mentor_sources, mentoring
from app.services.errors import Conflict, NotFound, ValidationError

MENTORS = (Role.MENTOR, Role.TRAINER)


def _or_404(call, *args, **kwargs):
    """Run a service call and turn NotFound into a 404 page."""
    try:
        return call(*args, **kwargs)
    except NotFound:
        abort(404)


def _back(default: str):
    """Redirect to the form's safe ``next`` field, else to ``default``."""
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else default)


@bp.route("/")
@allow(*MENTORS)
def index():
    """List the mentor's mentees with progress, trends, assignments and flags."""
    sort = request.args.get("sort", "flags")
    sort = sort if sort in mentoring.SORT_KEYS else "flags"
    now = utcnow()
    mentoring.ensure_ranked(now)  # may store this period's standings, which the key below must already see

    def render() -> str:
        page = mentoring.build_mentor_page(current_user, now, sort)
        return render_template("mentor/_index_content.html", page=page, sort=sort, now=now,
                               charts=dashboard_charts(page), labels=labels())

    # Time-window figures ("3 days ago", last 30 days) roll over with the hour; data changes show at once.
    key = view_cache.fragment_key("mentor-index", current_user, sort, now.strftime("%Y%m%d%H"),
                                  others=mentoring.active_mentee_stamps(current_user))
    return view_cache.page(key, "mentor/index.html", content=render)


@bp.route("/mentees/<int:mentee_id>")
@allow(*MENTORS)
def mentee(mentee_id: int):
    """Show one mentee: timeline, assignments, notes, plan and charts."""
    now = utcnow()
    page = _or_404(mentoring.build_mentee_page, current_user, mentee_id, now)
    charts = chart_data(page.facts)
    charts["dimensions"] = {dimension_label(key): points for key, points in charts["dimensions"].items()}
    return render_template(
        "mentor/mentee.html", page=page, now=now, charts=charts, labels=labels(),
        lessons=mentor_sources.timeline_lessons(page.timeline), note_form=NoteForm(prefix="note"),
        message_form=MessageForm(prefix="msg"), action_form=ActionForm(prefix="act"), check_in_form=CheckInForm(prefix="ci"),
        close_form=ClosePlanForm(prefix="close"), due_form=DueDateForm(prefix="due"),
    )


@bp.route("/assign", methods=["GET", "POST"])
@allow(*MENTORS)
def assign():
    """Assign a course, quiz or scenario to one or several mentees, with a due date and a message."""
    form = AssignForm()
    pairings = mentoring.active_pairings_of(current_user)
    assign_choices(form, pairings)
    allowed = {p.mentee_id for p in pairings}
    requested = request.values.getlist("mentee_ids", type=int) or request.args.getlist("mentee", type=int)
    if any(i not in allowed for i in requested) and current_user.role != Role.ADMIN.value:
        abort(404)  # someone else's learner: reveal nothing
    if request.method == "GET":
        form.mentee_ids.data = requested
        form.target.data = request.args.get("target", "")
    if form.validate_on_submit():
        kind, _sep, key = form.target.data.partition(":")
        try:
            created = assignment_service.assign(
                current_user, form.mentee_ids.data, kind, key, form.due_on.data, form.message.data, utcnow()
            )
        except NotFound:
            abort(404)
        except ValidationError as error:
            render_field_error(form, error)
        else:
            flash(_("Assigned to %(count)d mentee(s).", count=len(created)), "success")
            if len(created) == 1:
                return redirect(url_for("mentor.mentee", mentee_id=created[0].assignee_id))
            return redirect(url_for("mentor.index"))
    status = 400 if form.errors else 200
    return render_template(
        "mentor/assign.html", form=form, has_mentees=bool(pairings), now_date=utcnow().date().isoformat()
    ), status


@bp.route("/assignments/<int:assignment_id>/withdraw", methods=["POST"])
@allow(*MENTORS)
def withdraw(assignment_id: int):
    """Withdraw an assignment."""
    mentee_id = _or_404(assignment_service.withdraw, current_user, assignment_id)
    flash(_("Assignment withdrawn."), "info")
    return redirect(url_for("mentor.mentee", mentee_id=mentee_id, _anchor="assignments"))


@bp.route("/assignments/<int:assignment_id>/due", methods=["POST"])
@allow(*MENTORS)
def move_due(assignment_id: int):
    """Move an assignment's due date."""
    assignment = _or_404(assignment_service.get_assignment_for_mentor, current_user, assignment_id)
    form = DueDateForm(prefix="due")
    try:
        if not form.validate_on_submit():
            raise ValidationError("give a valid due date", field="due_on")
        assignment_service.change_due_date(current_user, assignment_id, form.due_on.data, utcnow())
    except ValidationError as error:
        flash(_("The due date was not changed: %(reason)s", reason=error.message), "danger")
    else:
        flash(_("Due date moved."), "success")
    return redirect(url_for("mentor.mentee", mentee_id=assignment.assignee_id, _anchor="assignments"))


@bp.route("/mentees/<int:mentee_id>/notes", methods=["POST"])
@allow(*MENTORS)
def add_note(mentee_id: int):
    """Write a coaching note."""
    _or_404(mentoring.get_mentee, current_user, mentee_id)
    form = NoteForm(prefix="note")
    if form.validate_on_submit():
        try:
            mentoring.add_note(current_user, mentee_id, form.body.data, form.shared.data, form.noted_on.data, utcnow())
        except ValidationError as error:
            flash(error.message, "danger")
        else:
            flash(_("Note saved."), "success")
    else:
        flash(_("The note was not saved: write something first."), "danger")
    return redirect(url_for("mentor.mentee", mentee_id=mentee_id, _anchor="notes"))


@bp.route("/notes/<int:note_id>/edit", methods=["GET", "POST"])
@allow(*MENTORS)
def edit_note(note_id: int):
    """Change a note's text or whether it is shared."""
    note = _or_404(mentoring.get_own_note, current_user, note_id)
    form = NoteForm(obj=note)
    if form.validate_on_submit():
        try:
            mentoring.update_note(current_user, note_id, form.body.data, form.shared.data, utcnow())
        except ValidationError as error:
            render_field_error(form, error)
        else:
            flash(_("Note saved."), "success")
            return redirect(url_for("mentor.mentee", mentee_id=note.mentee_id, _anchor="notes"))
    return render_template("mentor/note_edit.html", form=form, note=note), 400 if form.errors else 200


@bp.route("/notes/<int:note_id>/delete", methods=["POST"])
@allow(*MENTORS)
def delete_note(note_id: int):
    """Delete a note."""
    mentee_id = _or_404(mentoring.delete_note, current_user, note_id)
    flash(_("Note deleted."), "info")
    return redirect(url_for("mentor.mentee", mentee_id=mentee_id, _anchor="notes"))


@bp.route("/mentees/<int:mentee_id>/message", methods=["POST"])
@allow(*MENTORS)
def message(mentee_id: int):
    """Send a mentee a message in their inbox."""
    _or_404(mentoring.get_mentee, current_user, mentee_id)
    form = MessageForm(prefix="msg")
    if form.validate_on_submit():
        mentoring.send_message(current_user, mentee_id, form.body.data, utcnow())
        flash(_("Message sent."), "success")
    else:
        flash(_("The message was not sent: write something first."), "danger")
    return redirect(url_for("mentor.mentee", mentee_id=mentee_id))


@bp.route("/mentees/<int:mentee_id>/plan", methods=["GET", "POST"])
@allow(*MENTORS)
def new_plan(mentee_id: int):
    """Open a 30-day improvement plan with its first dated actions."""
    mentee = _or_404(mentoring.get_mentee, current_user, mentee_id)
    form = PlanForm()
    if request.method == "GET":
        form.reason.data = request.args.get("reason", "")
    action_rows = list(zip(request.form.getlist("action_text"), request.form.getlist("action_due")))
    if form.validate_on_submit():
        try:
            actions = [(text, _parse_date(due)) for text, due in action_rows if text.strip()]
            mentoring.open_plan(current_user, mentee_id, form.starts_on.data, form.reason.data, form.goals.data,
                                actions, utcnow())
        except Conflict as error:
            flash(error.message, "warning")
            return redirect(url_for("mentor.mentee", mentee_id=mentee_id, _anchor="plan"))
        except ValidationError as error:
            render_field_error(form, error)
        else:
            flash(_("Plan opened."), "success")
            return redirect(url_for("mentor.mentee", mentee_id=mentee_id, _anchor="plan"))
    return render_template(
        "mentor/plan_new.html", form=form, mentee=mentee, action_rows=action_rows, now=utcnow(),
    ), 400 if form.errors else 200


def _parse_date(text: str):
    """Return a date from a form's YYYY-MM-DD text, or raise ValidationError naming the field."""
    from datetime import date

    try:
        return date.fromisoformat(text.strip()) if text and text.strip() else None
    except ValueError:
        raise ValidationError(f"{text!r} is not a date (YYYY-MM-DD)", field="actions") from None


def _plan_post(form, call, success: str, anchor: str = "plan"):
    """Run a plan-changing service call for a posted form and go back to the mentee page."""
    plan = _or_404(mentoring.get_plan, current_user, request.view_args["plan_id"])
    if form.validate_on_submit():
        try:
            call(form)
        except (ValidationError, Conflict) as error:
            flash(error.message, "danger")
        else:
            flash(success, "success")
    else:
        flash(_("Nothing was saved: %(errors)s", errors="; ".join(e for errs in form.errors.values() for e in errs)),
              "danger")
    return redirect(url_for("mentor.mentee", mentee_id=plan.mentee_id, _anchor=anchor))


@bp.route("/plans/<int:plan_id>/actions", methods=["POST"])
@allow(*MENTORS)
def add_action(plan_id: int):
    """Add a dated action to a plan."""
    return _plan_post(
        ActionForm(prefix="act"),
        lambda f: mentoring.add_action(current_user, plan_id, f.text.data, f.due_on.data),
        _("Action added."),
    )


@bp.route("/plans/<int:plan_id>/check-ins", methods=["POST"])
@allow(*MENTORS)
def add_check_in(plan_id: int):
    """Record a check-in on a plan."""
    return _plan_post(
        CheckInForm(prefix="ci"),
        lambda f: mentoring.add_check_in(current_user, plan_id, f.held_on.data, f.body.data, utcnow()),
        _("Check-in saved."),
    )


@bp.route("/plans/<int:plan_id>/close", methods=["POST"])
@allow(*MENTORS)
def close_plan(plan_id: int):
    """Record a plan's outcome and close it."""
    return _plan_post(
        ClosePlanForm(prefix="close"),
        lambda f: mentoring.close_plan(current_user, plan_id, f.result.data, f.outcome.data, utcnow()),
        _("Plan closed."),
    )


@bp.route("/actions/<int:action_id>/toggle", methods=["POST"])
@signed_in
def toggle_action(action_id: int):
    """Tick or untick a plan action (the mentor or the mentee)."""
    form = ToggleForm()
    try:
        plan = mentoring.set_action_done(current_user, action_id, form.done.data == "1", utcnow())
    except NotFound:
        abort(404)
    except Conflict as error:
        flash(error.message, "warning")
        return _back(url_for("mentor.me"))
    if plan.mentee_id == current_user.id:
        return _back(url_for("mentor.me", _anchor="plan"))
    return _back(url_for("mentor.mentee", mentee_id=plan.mentee_id, _anchor="plan"))


@bp.route("/me")
@signed_in
def me():
    """The learner's "my mentor & assignments" page."""
    now = utcnow()
    return render_template("mentor/me.html", page=mentoring.build_learner_page(current_user, now), now=now,
                           toggle_form=ToggleForm())


@bp.route("/inbox")
@signed_in
def inbox():
    """The user's warnings and messages."""
    return render_template("mentor/inbox.html", messages=mentoring.inbox_of(current_user), form=ToggleForm())


@bp.route("/inbox/read", methods=["POST"])
@signed_in
def mark_read():
    """Mark one message, or all, as read."""
    form = ToggleForm()
    raw = form.message_id.data
    if raw and not raw.isdigit():
        abort(404)
    _or_404(mentoring.mark_read, current_user, int(raw) if raw else None, utcnow())
    return _back(url_for("mentor.inbox"))


@bp.route("/cohort")
@allow(Role.ADMIN)
def cohort():
    """Every pairing with progress, a learners × milestones heatmap, and mentor workload."""
    now = utcnow()
    return render_template("mentor/cohort.html", page=mentoring.build_cohort(now), now=now, labels=labels())
