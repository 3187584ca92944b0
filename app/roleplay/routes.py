"""Views of the role-play player and objection library: thin wrappers over app.services.plays/objections."""

import werkzeug.exceptions
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from app.authz import STAFF, allow, require_learner_access, signed_in
from app.content.objections import CATEGORIES
from app.errors import render_error
from app.content.scenario import KINDS, TIERS
from app.i18n import tier_label
from app.roleplay import bp
from app.roleplay.forms import CATEGORY_LABELS, KIND_LABELS, FilterForm, ObjectionForm, StartForm, StepForm
from app.services import experiments
from app.services import objections as objection_service
from app.services import plays
from app.services.errors import Conflict, NotFound, ValidationError

SPIN_LABEL_NAMES = {
    "situation": _l("Situation"), "problem": _l("Problem"), "implication": _l("Implication"),
    "need_payoff": _l("Need-payoff"), "other": _l("Other"),
}
OUTCOME_NAMES = {"won": _l("Won"), "lost": _l("Lost")}


def outcome_label(outcome: str) -> str:
    """Return a translated name for an ending (named outcomes read as words)."""
    return str(OUTCOME_NAMES.get(outcome) or (outcome or "").replace("_", " ").capitalize())


@bp.app_context_processor
def roleplay_labels():
    """Expose label helpers to templates (also the home-page sections)."""
    return {"spin_label_names": SPIN_LABEL_NAMES, "kind_labels": KIND_LABELS, "outcome_label": outcome_label,
            "objection_category_labels": CATEGORY_LABELS, "roleplay_home": plays.home_summary}


@bp.errorhandler(NotFound)
def not_found(error):
    """A missing scenario, play or objection is a 404."""
    return render_error(werkzeug.exceptions.NotFound())


def own_play(play_id: int):
    """Return the current user's play, else 404 (another learner's play does not exist for them)."""
    play = plays.get_play(play_id)
    if play.user_id != current_user.id:
        abort(404)
    return play


def ui_lang() -> str:
    """Return the interface language ("zh" or "en")."""
    locale = get_locale()
    return "zh" if locale and locale.language == "zh" else "en"


@bp.route("/")
@signed_in
def index():
    """List the scenarios, filtered by kind, tier and language."""
    form = FilterForm(request.args)
    form.kind.choices = [SelectChoice("", _("All kinds"))] + [SelectChoice(k, str(KIND_LABELS[k])) for k in KINDS]
    form.tier.choices = [SelectChoice("", _("All tiers"))] + [SelectChoice(t, tier_label(t)) for t in TIERS]
    form.lang.choices = [SelectChoice("", _("All languages")), SelectChoice("zh", "中文"), SelectChoice("en", "English")]
    form.validate()
    args = {name: (getattr(form, name).data or None) if not getattr(form, name).errors else None
            for name in ("kind", "tier", "lang")}
    listing = plays.scenario_listing(current_user.id, **args)
    hidden = experiments.variant_redirects(current_user)  # a running A/B test shows each learner one variant
    listing = [card for card in listing if card.scenario.slug not in hidden]
    return render_template("roleplay/index.html", form=form, listing=listing, filtered=any(args.values()))


@bp.route("/s/<slug>")
@signed_in
def scenario(slug):
    """The persona card, what the scenario trains, and the learner's plays of it."""
    variant = experiments.variant_redirects(current_user).get(slug)
    if variant:
        return redirect(url_for("roleplay.scenario", slug=variant))
    view = plays.scenario_page(current_user.id, slug)
    return render_template("roleplay/scenario.html", view=view, form=StartForm())


@bp.route("/s/<slug>/play", methods=["POST"])
@signed_in
def begin(slug):
    """Start a play (or resume the unfinished one; ``restart`` starts afresh)."""
    form = StartForm()
    if not form.validate_on_submit():
        abort(400)
    variant = experiments.variant_redirects(current_user).get(slug)
    if variant:
        return redirect(url_for("roleplay.scenario", slug=variant))
    play = plays.start_play(current_user, slug, restart=form.restart.data == "1")
    return redirect(url_for("roleplay.play", play_id=play.id))


@bp.route("/play/<int:play_id>")
@signed_in
def play(play_id):
    """The conversation so far and the current turn."""
    play = own_play(play_id)
    if play.is_finished:
        return redirect(url_for("roleplay.result", play_id=play.id))
    node = plays.current_node(play)
    return render_template("roleplay/play.html", play=play, scenario=plays.play_definition(play), node=node,
                           choices=plays.choice_order(play, node), form=StepForm(step=play.step_count))


@bp.route("/play/<int:play_id>/step", methods=["POST"])
@signed_in
def step(play_id):
    """Save one answer and go on (a repeated submit of a saved step changes nothing)."""
    play = own_play(play_id)
    form = StepForm()
    if not form.validate_on_submit():
        flash(_("That answer could not be read; please try again."), "warning")
        return redirect(url_for("roleplay.play", play_id=play.id))
    try:
        outcome = plays.submit_step(play, form.step.data, choice=form.choice.data, text=form.text.data)
    except ValidationError as exc:
        flash(_("Type what you would say to the customer.") if exc.field == "text" else _("Pick one of the answers."),
              "warning")
        return redirect(url_for("roleplay.play", play_id=play.id))
    except Conflict:
        flash(_("The conversation has moved on; here is where it stands."), "info")
        return redirect(url_for("roleplay.play", play_id=play.id))
    if outcome.finished:
        return redirect(url_for("roleplay.result", play_id=play_id))
    return redirect(url_for("roleplay.play", play_id=play_id, _anchor="turn"))


@bp.route("/play/<int:play_id>/result")
@signed_in
def result(play_id):
    """The end page: outcome, path, scores per dimension, feedback, SPIN mix, what to practise next."""
    play = plays.get_play(play_id)
    require_learner_access(current_user, play.user_id)
    if not play.is_finished:
        if play.user_id == current_user.id:
            return redirect(url_for("roleplay.play", play_id=play.id))
        abort(404)
    report = plays.build_report(play)
    return render_template("roleplay/result.html", report=report, lang=ui_lang(),
                           own=play.user_id == current_user.id, form=StartForm(),
                           course_links="learn.course" in current_app.view_functions)


# --- objection library ------------------------------------------------------------


@bp.route("/objections")
@signed_in
def objections():
    """Browse the objection library, by category, with a search box."""
    category = request.args.get("category", "")
    category = category if category in CATEGORIES else ""
    query = request.args.get("q", "")[:100]
    rows = objection_service.list_objections(category or None, query or None)
    return render_template("roleplay/objections.html", rows=rows, category=category, query=query,
                           categories=CATEGORIES, lang=ui_lang())


@bp.route("/objections/<key>")
@signed_in
def objection(key):
    """One objection: causes and answers in both languages, and the scenarios that practise it."""
    row = objection_service.get_objection(key)
    return render_template("roleplay/objection.html", row=row, lang=ui_lang(),
                           scenarios=objection_service.scenarios_using(key))


def _fields(form: ObjectionForm) -> dict:
    return {name: getattr(form, name).data for name in objection_service.TEXT_FIELDS}


def _show_error(form: ObjectionForm, exc: ValidationError) -> None:
    """Put a service's validation error, translated, on the form field it names."""
    if exc.field == "key":
        message = _("This key is already used.") if "already used" in exc.message else \
            _("Use lower-case letters, digits, - or _.")
    elif exc.field == "category":
        message = _("Pick a category.")
    else:
        message = _("Write the objection in Chinese, English or both.")
    getattr(form, exc.field or "zh_objection").errors = [message]


@bp.route("/objections/new", methods=["GET", "POST"])
@allow(*STAFF)
def new_objection():
    """Add an objection-library entry (trainers)."""
    form = ObjectionForm()
    form.set_choices()
    if form.validate_on_submit():
        try:
            row = objection_service.create_objection(current_user, form.key.data, form.category.data, **_fields(form))
        except ValidationError as exc:
            _show_error(form, exc)
        else:
            flash(_("Objection saved."), "success")
            return redirect(url_for("roleplay.objection", key=row.key))
    return render_template("roleplay/edit_objection.html", form=form, row=None)


@bp.route("/objections/<key>/edit", methods=["GET", "POST"])
@allow(*STAFF)
def edit_objection(key):
    """Edit an objection-library entry (trainers); later syncs keep the edit."""
    row = objection_service.get_objection(key)
    form = ObjectionForm(obj=row) if request.method == "GET" else ObjectionForm()
    form.set_choices()
    if request.method == "GET":
        for name in ("zh_causes", "zh_answers", "en_causes", "en_answers"):
            getattr(form, name).data = "\n".join(getattr(row, name) or [])
    if form.validate_on_submit():
        try:
            objection_service.update_objection(row, current_user, form.category.data, **_fields(form))
        except ValidationError as exc:
            _show_error(form, exc)
        else:
            flash(_("Objection saved."), "success")
            return redirect(url_for("roleplay.objection", key=row.key))
    return render_template("roleplay/edit_objection.html", form=form, row=row)
