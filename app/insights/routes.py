"""Deal-insights views: thin wrappers over app.services.deals, insights and deal_coaching."""

from datetime import datetime, timezone

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.authz import allow
from app.insights import bp
from app.insights.forms import CompareForm, FitForm, ImportForm, RecommendationForm
from app.models.people import Role
from app.services import deal_coaching, deals, insights
from app.services.errors import Conflict, ImportProblems, NotFound, ValidationError


def _locale() -> str:
    """Return the language of the current request (en or zh)."""
    locale = get_locale()
    return locale.language if locale else "en"


def _run_page(run):
    """Render a run (or the empty state when ``run`` is None)."""
    view = insights.build_run_view(run, _locale())
    return render_template("insights/index.html", view=view, fit_form=FitForm())


@bp.route("/")
@allow(Role.TRAINER)
def index():
    """Show the latest behaviour ranking."""
    return _run_page(deals.latest_run())


@bp.route("/runs/<int:run_id>")
@allow(Role.TRAINER)
def run(run_id):
    """Show one saved run."""
    try:
        return _run_page(deals.get_run(run_id))
    except NotFound:
        abort(404)


@bp.route("/runs")
@allow(Role.TRAINER)
def runs():
    """List the saved runs, with a form to compare two."""
    saved = deals.list_runs()
    form = CompareForm(request.args)
    choices = [SelectChoice(r.id, f"#{r.id} · {r.created_at:%Y-%m-%d %H:%M} · n = {r.n_deals}") for r in saved]
    form.a.choices, form.b.choices = choices, choices
    if len(saved) >= 2 and "a" not in request.args:
        form.a.data, form.b.data = saved[1].id, saved[0].id
    return render_template("insights/runs.html", runs=saved, form=form, fit_form=FitForm())


@bp.route("/compare")
@allow(Role.TRAINER)
def compare():
    """Compare two runs behaviour by behaviour."""
    try:
        comparison = deals.compare_runs(request.args.get("a", type=int) or 0, request.args.get("b", type=int) or 0)
    except ValidationError:
        flash(_("Choose two different runs to compare."), "warning")
        return redirect(url_for("insights.runs"))
    except NotFound:
        abort(404)
    chart = insights.build_compare_chart(comparison, _locale())
    return render_template("insights/compare.html", cmp=comparison, chart=chart,
                           labels=deals.behaviour_labels(_locale()))


@bp.route("/runs/new", methods=["POST"])
@allow(Role.ADMIN)
def fit():
    """Fit the model on the imported deals and show the new run."""
    if not FitForm().validate_on_submit():
        abort(400)
    saved = deals.fit_run(user=current_user)
    flash(_("The model was fitted on %(n)s closed deals.", n=saved.n_deals), "success")
    return redirect(url_for("insights.run", run_id=saved.id))


@bp.route("/import", methods=["GET", "POST"])
@allow(Role.ADMIN)
def import_deals():
    """Upload deals.csv (and activities.csv); validate every row; import all or nothing."""
    form = ImportForm()
    problems, summary = [], None
    if form.validate_on_submit():
        activities = form.activities.data
        try:
            summary = insights.import_upload(
                form.deals.data.read(), form.deals.data.filename or "deals.csv",
                activities.read() if activities else None,
                (activities.filename if activities else None) or "activities.csv", dry_run=form.dry_run.data)
        except ImportProblems as error:
            problems = error.problems
        else:
            if not summary.dry_run:
                flash(_("Imported %(total)s deals: %(created)s new, %(updated)s updated.",
                        total=summary.total, created=summary.created, updated=summary.updated), "success")
                return redirect(url_for("insights.import_deals"))
    status = 400 if problems or form.errors else 200
    return render_template("insights/import.html", form=form, problems=problems, summary=summary,
                           counts=deals.deal_counts()), status


@bp.route("/sellers")
@allow(Role.TRAINER)
def sellers():
    """Show each seller's training beside their win rate, with sample sizes."""
    run = deals.latest_run(imported_only=True)
    return render_template("insights/sellers.html", run=run, rows=deal_coaching.seller_outcomes(),
                           gaps=deal_coaching.seller_gaps(run), labels=deals.behaviour_labels(_locale()))


@bp.route("/recommendations")
@allow(Role.MENTOR, Role.TRAINER)
def recommendations():
    """List the training recommended for the current user's mentees."""
    recs = deal_coaching.recommendations_for(current_user)
    return render_template("insights/recommendations.html", recs=recs, labels=deals.behaviour_labels(_locale()),
                           form=RecommendationForm())


@bp.route("/recommendations/decide", methods=["POST"])
@allow(Role.MENTOR, Role.TRAINER)
def decide():
    """Accept (assign) or dismiss one recommendation with one click."""
    form = RecommendationForm()
    if not form.validate_on_submit() or not form.mentee_id.data.isdigit():
        abort(400)
    args = (current_user, int(form.mentee_id.data), form.behaviour.data, form.kind.data, form.key.data,
            datetime.now(timezone.utc))
    label = deals.label_for(form.behaviour.data, deals.behaviour_labels(_locale()))
    try:
        if form.dismiss.data:
            deal_coaching.dismiss_recommendation(*args)
            flash(_("Recommendation dismissed."), "info")
        else:
            rec = deal_coaching.accept_recommendation(
                *args, message=_("Recommended from our deal data, to practise “%(behaviour)s”.", behaviour=label))
            flash(_("Assigned “%(title)s” to %(name)s.", title=rec.item.title, name=rec.mentee.name), "success")
    except NotFound:
        abort(404)
    except Conflict:
        flash(_("Assignments are not available yet."), "warning")
    target = request.form.get("next")
    return redirect(url_for("main.home") if target == "home" else url_for("insights.recommendations"))
