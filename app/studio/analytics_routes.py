"""Studio views: scenario analytics, where learners fail."""

from flask import render_template, request
from flask_babel import gettext as _
from wtforms import SelectChoice

from app.authz import STAFF, allow
from app.roleplay.routes import outcome_label
from app.services import scenario_analytics as analytics_service
from app.services import studio
from app.services.studio import graph_data
from app.studio import bp
from app.studio.experiment_forms import VersionFilterForm
from app.studio.forms import ActionForm


@bp.route("/<slug>/analytics")
@allow(*STAFF)
def analytics(slug):
    """Plays, outcomes, scores per rubric dimension, and the nodes where learners go wrong first."""
    scenario = analytics_service.get_scenario_any(slug)
    version = request.args.get("version", "")
    report = analytics_service.scenario_analytics(scenario, int(version) if version.isdigit() else None)
    form = VersionFilterForm(request.args)
    form.version.choices = [SelectChoice("", _("All versions"))] + [
        SelectChoice(str(n), _("Version %(n)s (%(plays)s plays)", n=n, plays=plays)) for n, plays in report.versions]
    graph = graph_data(report.definition_data, node_stats=report.node_stats()) if report.definition_data else None
    draft = studio.working_copy(scenario)  # the studio header shows the draft's title and state
    return render_template("studio/analytics.html", report=report, form=form, graph=graph,
                           chart=analytics_chart(report), scenario=scenario, draft=draft,
                           check=studio.check_draft(draft), action=ActionForm())


def analytics_chart(report) -> dict:
    """Return the data of the page's charts (numbers and translated labels, read by studio-analytics.js)."""
    pct = lambda v: None if v is None else round(v * 100, 1)  # noqa: E731
    tenths = [f"{i * 10}–{i * 10 + 10} %" for i in range(analytics_service.HISTOGRAM_BINS)]
    fifths = [f"{i * 20}–{i * 20 + 20} %" for i in range(analytics_service.DIMENSION_BINS)]
    return {
        "outcomes": {"labels": [outcome_label(o) for o, _n in report.outcomes],
                     "keys": [o for o, _n in report.outcomes], "counts": [n for _o, n in report.outcomes],
                     "label": _("Finished plays")},
        "scores": {"labels": tenths, "counts": report.histogram, "label": _("Finished plays")},
        "dimensions": {"labels": [d.key.replace("_", " ") for d in report.dimensions],
                       "facility": [pct(d.facility) for d in report.dimensions],
                       "discrimination": [pct(d.discrimination) for d in report.dimensions],
                       "facilityLabel": _("Facility"), "discriminationLabel": _("Discrimination")},
        "dimensionScores": {"labels": fifths, "series": [{"label": d.key.replace("_", " "), "counts": d.histogram}
                                                         for d in report.dimensions]},
    }
