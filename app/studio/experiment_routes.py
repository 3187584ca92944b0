"""Studio views: script A/B tests (create, follow, stop) and "make a variant"."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.authz import STAFF, allow
from app.services import experiments as experiment_service
from app.services.errors import Conflict, NotFound, ValidationError
from app.studio import bp
from app.studio.experiment_forms import ExperimentForm, StopForm, VariantForm

#: Service messages shown on the form field they name, translated.
FIELD_MESSAGES = {
    "name": lambda: _("Name the test."),
    "split": lambda: _("Pick how to split learners."),
    "teams_a": lambda: _("Pick at least one existing team for each variant."),
    "teams_b": lambda: _("Pick at least one team for variant B; a team cannot see both variants."),
}


def _experiment_or_404(experiment_id: int):
    try:
        return experiment_service.get_experiment(experiment_id)
    except NotFound:
        abort(404)


def _variant_form() -> VariantForm:
    form = VariantForm()
    form.scenario.choices = [SelectChoice(s.slug, s.title) for s in experiment_service.scenario_choices()]
    return form


@bp.route("/experiments")
@allow(*STAFF)
def experiments():
    """List the A/B tests, running ones first, with "make a variant" and "new test"."""
    return render_template("studio/experiments.html", rows=experiment_service.list_experiments(),
                           variant_form=_variant_form())


@bp.route("/experiments/variant", methods=["POST"])
@allow(*STAFF)
def make_variant():
    """Copy a scenario's current version into a new unpublished draft scenario, to edit into variant B."""
    form = _variant_form()
    if not form.validate_on_submit():
        flash(_("Pick a scenario to copy."), "warning")
        return redirect(url_for("studio.experiments"))
    try:
        variant = experiment_service.make_variant(current_user, form.scenario.data)
    except (NotFound, ValidationError):
        flash(_("This scenario has no published version to copy."), "warning")
        return redirect(url_for("studio.experiments"))
    flash(_("Draft %(slug)s made: change its script, publish it, then start a test with it as variant B.",
            slug=variant.slug), "success")
    return redirect(url_for("studio.scenario", slug=variant.slug))


def _experiment_form() -> ExperimentForm:
    form = ExperimentForm()
    scenarios = [SelectChoice(s.id, f"{s.title} ({s.slug})") for s in experiment_service.scenario_choices()]
    form.variant_a.choices = form.variant_b.choices = scenarios
    teams = [SelectChoice(t.id, t.name) for t in experiment_service.team_choices()]
    form.teams_a.choices = form.teams_b.choices = teams
    if request.method == "GET":
        for name in ("variant_a", "variant_b"):
            if request.args.get(name, "").isdigit():
                getattr(form, name).data = int(request.args[name])
    return form


@bp.route("/experiments/new", methods=["GET", "POST"])
@allow(*STAFF)
def new_experiment():
    """Start an A/B test of two published scenarios."""
    form = _experiment_form()
    if form.validate_on_submit():
        try:
            experiment = experiment_service.create_experiment(
                current_user, form.name.data, form.variant_a.data, form.variant_b.data, form.split.data,
                form.teams_a.data or (), form.teams_b.data or ())
        except ValidationError as exc:
            message = FIELD_MESSAGES.get(exc.field, lambda: _("Pick two published scenarios that are in no running "
                                                             "test, one for A and another for B."))()
            getattr(form, exc.field if exc.field in form else "variant_a").errors = [message]
        else:
            flash(_("The test is running: learners now see only their variant."), "success")
            return redirect(url_for("studio.experiment", experiment_id=experiment.id))
    return render_template("studio/experiment_new.html", form=form)


@bp.route("/experiments/<int:experiment_id>")
@allow(*STAFF)
def experiment(experiment_id):
    """A test's results: both variants side by side, the significance tests in plain words."""
    experiment = _experiment_or_404(experiment_id)
    results = experiment_service.experiment_results(experiment)
    return render_template("studio/experiment.html", results=results, experiment=experiment,
                           stop_form=StopForm(), chart=results_chart(results),
                           min_sample=experiment_service.MIN_SAMPLE)


@bp.route("/experiments/<int:experiment_id>/stop", methods=["POST"])
@allow(*STAFF)
def stop_experiment(experiment_id):
    """Stop a test; learners see both variants again and the results stay."""
    experiment = _experiment_or_404(experiment_id)
    if not StopForm().validate_on_submit():
        abort(400)
    try:
        experiment_service.stop_experiment(experiment)
    except Conflict:
        flash(_("This test had already stopped."), "info")
    else:
        flash(_("Test stopped. Learners see both variants again; the results stay here."), "success")
    return redirect(url_for("studio.experiment", experiment_id=experiment_id))


def results_chart(results) -> dict:
    """Return the data of the results charts: rates per variant and score distributions (shares of learners)."""
    pct = lambda v: None if v is None else round(v * 100, 1)  # noqa: E731
    series, scores = [], []
    for v in (results.a, results.b):
        label = _("Variant %(v)s", v=v.variant.upper())
        interval = [pct(v.interval[0]), pct(v.interval[1])] if v.interval else None
        series.append({"label": label, "values": [pct(v.won_rate), pct(v.completion_rate), pct(v.mean_score)],
                       "intervals": [None, None, interval]})
        total = sum(v.histogram)
        scores.append({"label": label, "values": [round(100 * n / total, 1) if total else 0 for n in v.histogram]})
    return {
        "rates": {"labels": [_("Won"), _("Completed"), _("Mean score")], "series": series},
        "scores": {"labels": [f"{i * 10}–{i * 10 + 10} %" for i in range(experiment_service.HISTOGRAM_BINS)],
                   "series": scores},
    }
