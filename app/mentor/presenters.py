"""Turn mentoring data into what templates and charts show: choices, chart series, inbox sentences."""

from dataclasses import dataclass, field
from typing import Optional

from flask import g, has_request_context, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectChoice

from app.content.markdown import render_markdown
from app.mentor import bp
from app.services import mentor_sources
from app.services.errors import ValidationError

KIND_LABELS = {"course": _l("Course"), "quiz": _l("Quiz"), "scenario": _l("Role-play scenario")}
STATUS_LABELS = {
    "not_started": _l("Not started"), "in_progress": _l("In progress"), "done": _l("Done"), "overdue": _l("Overdue"),
}
STATUS_COLOURS = {"not_started": "secondary", "in_progress": "info", "done": "success", "overdue": "danger"}
ACTIVITY_LABELS = {"lesson": _l("Lesson completed"), "course": _l("Course completed"), "quiz": _l("Quiz attempt"),
                   "play": _l("Role-play")}
ACTIVITY_ICONS = {"lesson": "bi-journal-check", "course": "bi-mortarboard", "quiz": "bi-ui-checks",
                  "play": "bi-chat-left-quote"}
ACTION_LABELS = {"assign": _l("Assign work"), "note": _l("Write a note"), "plan": _l("Open a 30-day plan")}
KPI_LABELS = {"no_data": _l("No deal data"), "met": _l("Reached"), "on_track": _l("On track"),
              "behind": _l("Behind"), "missed": _l("Missed")}
KPI_COLOURS = {"no_data": "light", "met": "success", "on_track": "info", "behind": "warning", "missed": "danger"}
RESULT_LABELS = {"met": _l("Goals met"), "partly_met": _l("Partly met"), "not_met": _l("Not met")}
FORM_FIELDS = {"kind": "target", "target": "target", "due_on": "due_on", "message": "message",
               "mentee_ids": "mentee_ids", "starts_on": "starts_on", "goals": "goals", "reason": "reason",
               "body": "body", "noted_on": "body", "actions": "goals", "action": "goals"}


def render_field_error(form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form field it names (or the first field)."""
    name = FORM_FIELDS.get(error.field or "", error.field)
    field = getattr(form, name, None) if name else None
    if field is None:
        field = next(iter(form))
    field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]


def assign_choices(form, pairings) -> None:
    """Fill the assign form's mentee and target choices (targets grouped by kind)."""
    form.mentee_ids.choices = [
        SelectChoice(p.mentee_id, p.mentee.name) for p in sorted(pairings, key=lambda p: p.mentee.name.lower())
    ]
    choices = [SelectChoice("", _("Choose…"))]
    for kind in ("course", "quiz", "scenario"):
        group = str(KIND_LABELS[kind])
        for target in mentor_sources.catalogue(kind):
            choices.append(SelectChoice(f"{kind}:{target.key}", target.title, optgroup=group))
    form.target.choices = choices


def labels() -> dict[str, str]:
    """Return the fixed texts of the mentor pages translated once per request (rows reuse them)."""
    texts = {
        "no_data": _l("no data"), "improving": _l("Improving"), "declining": _l("Declining"), "steady": _l("Steady"),
        "never": _l("never"), "none_open": _l("none open"), "no_flags": _l("No flags"), "path": _l("Path progress"),
        "recent_quiz": _l("Recent quiz scores"), "recent_play": _l("Recent role-play scores"), "buddy": _l("buddy"),
        "overdue": _l("overdue"), "open": _l("open"), "today": _l("today"), "yesterday": _l("yesterday"),
        "days_ago": _l("days ago"), "milestones": _l("path milestones"),
    }
    texts = {key: str(value) for key, value in texts.items()}
    texts.update({f"kpi_{k}": str(v) for k, v in KPI_LABELS.items()})
    texts.update({f"action_{k}": str(v) for k, v in ACTION_LABELS.items()})
    return texts


def days_ago(moment, now) -> int:
    """Return whole days from ``moment`` to ``now``."""
    return max(0, (now - moment).days)


def percent(value) -> str:
    """Return a 0..1 score as "72 %", or an en dash."""
    return "–" if value is None else f"{round(value * 100)} %"


def sparkline(values, limit: int = 12) -> list[int]:
    """Return the last scores as whole percentages for a sparkline."""
    return [round(v * 100) for v in list(values)[-limit:]]


def dashboard_charts(page) -> dict[int, dict]:
    """Return sparkline series per mentee id for the mentor's page."""
    return {
        row.facts.user.id: {"quiz": sparkline(row.facts.quiz_scores), "play": sparkline(row.facts.play_scores)}
        for row in page.rows
    }


@dataclass
class FlagView:
    """One flag of a mentee row, with its text and the page that answers it."""

    kind: str
    severity: str
    text: str
    url: str
    action: str


@dataclass
class DimensionView:
    """One rubric dimension's recent mean in a mentee row."""

    name: str
    label: str
    percent: str
    width: int
    colour: str


@dataclass
class RowView:
    """What one row of the mentor's page shows, computed once in Python.

    The list renders 50 and more rows; per-row macro calls, ``url_for``, date
    formatting and translation lookups in the template cost more than the
    queries, so every value is ready to print here.
    """

    row: object
    url: str
    tier: str
    quiz_percent: str
    quiz_trend: Markup
    play_percent: str
    play_trend: Markup
    dimensions: list
    last_activity_text: str
    last_activity_title: str
    late: int
    open: int
    flags: list
    more_flags: int
    kpi_title: str = ""
    kpi_text: str = ""
    chart: dict = field(default_factory=dict)


@dataclass
class IndexView:
    """The mentor's page ready to print: header figures and one RowView per mentee."""

    rows: list
    flagged: int
    overdue: int
    kpi_met: int


MENTEE_PLACEHOLDER = 987654321


TREND_ICONS = {
    "improving": '<i class="bi bi-arrow-up-right text-success" title="{0}" aria-label="{0}"></i>\n',
    "declining": '<i class="bi bi-arrow-down-right text-danger" title="{0}" aria-label="{0}"></i>\n',
    "steady": '<i class="bi bi-arrow-right text-body-secondary" title="{0}" aria-label="{0}"></i>',
}


def trend_key(value) -> Optional[str]:
    """Return improving, declining or steady for a score trend (None without one), as the arrow shows it."""
    if value is None:
        return None
    if value > 0.02:
        return "improving"
    if value < -0.02:
        return "declining"
    return "steady"


def trend_icons(texts: dict) -> dict:
    """Return the trend arrows (as in ``_macros.trend_arrow``) in the reader's language, keyed by trend."""
    icons = {key: Markup(html).format(texts[key]) for key, html in TREND_ICONS.items()}
    icons[None] = Markup("")
    return icons


def ago_text(moment, now, texts: dict) -> str:
    """Return "today", "yesterday" or "N days ago" for a moment before ``now``."""
    d = days_ago(moment, now)
    if d == 0:
        return texts["today"]
    if d == 1:
        return texts["yesterday"]
    return f"{d} {texts['days_ago']}"


def index_view(page, now, texts: dict, charts: dict) -> IndexView:
    """Return the mentor's page with every row's links, texts and figures precomputed."""
    from app.i18n import tier_label

    tiers: dict = {}
    icons = trend_icons(texts)
    # One URL build for the whole list; each row swaps in its mentee's id.
    mentee_url = url_for("mentor.mentee", mentee_id=MENTEE_PLACEHOLDER)
    rows, flagged, overdue, kpi_met = [], 0, 0, 0
    for row in page.rows:
        f = row.facts
        user_id = f.user.id
        if f.user.tier not in tiers:
            tiers[f.user.tier] = tier_label(f.user.tier)
        late = len(f.overdue(now))
        overdue += late
        flagged += bool(f.flags)
        kpi_met += row.kpi.status == "met"
        dims = [
            DimensionView(dim, dim.replace("_", " "), percent(value), int(round(value * 100)),
                          "success" if value >= 0.7 else ("warning" if value >= 0.4 else "danger"))
            for dim, value in f.dimension_latest.items()
        ] if f.play_average is not None else []
        view = RowView(
            row=row, url=mentee_url.replace(str(MENTEE_PLACEHOLDER), str(user_id)), tier=tiers[f.user.tier],
            quiz_percent=percent(f.quiz_average), quiz_trend=icons[trend_key(f.quiz_trend)],
            play_percent=percent(f.play_average), play_trend=icons[trend_key(f.play_trend)], dimensions=dims,
            last_activity_text=ago_text(f.last_activity, now, texts) if f.last_activity else "",
            last_activity_title=format_datetime(f.last_activity, "medium") if f.last_activity else "",
            late=late, open=len(f.open_assignments()),
            flags=[FlagView(flag.kind, flag.severity, flag_text(flag), flag_action_url(flag), flag.action)
                   for flag in f.flags[:3]],
            more_flags=max(0, len(f.flags) - 3), chart=charts[user_id],
        )
        if row.kpi.status != "no_data":
            kpi = row.kpi
            view.kpi_title = _("Close rate %(mentee)s; target %(target)s (60 %% of the mentor’s %(mentor)s) by "
                               "%(deadline)s", mentee=percent(kpi.mentee_rate), target=percent(kpi.target_rate),
                               mentor=percent(kpi.mentor_rate), deadline=format_date(kpi.deadline, "medium"))
            view.kpi_text = f"{texts['kpi_' + kpi.status]} · {percent(kpi.mentee_rate)}"
        rows.append(view)
    return IndexView(rows=rows, flagged=flagged, overdue=overdue, kpi_met=kpi_met)


def chart_data(facts) -> dict:
    """Return the mentee page's chart series: quiz and play scores, and each rubric dimension over time."""
    quiz = [(e.occurred_at.date().isoformat(), round(e.score * 100)) for e in facts.events
            if e.kind == "quiz" and e.score is not None]
    play = [(e.occurred_at.date().isoformat(), round(e.score * 100)) for e in facts.events
            if e.kind == "play" and e.score is not None]
    dims = {dim: [(at.date().isoformat(), round(v * 100)) for at, v in points]
            for dim, points in sorted(facts.dimension_series.items())}
    return {
        "labels": {"quiz": str(_("Quiz score")), "play": str(_("Role-play score"))},
        "quiz": quiz, "play": play, "dimensions": dims,
    }


def message_text(message) -> str:
    """Return an inbox message's sentence in the reader's language."""
    p = message.params or {}
    learner = message.learner.name if message.learner else ""
    texts = {
        "assignment_new": lambda: _("%(by)s assigned you “%(title)s”, due %(due)s.", by=p.get("by", ""),
                                    title=p.get("title", ""), due=p.get("due_on", "")),
        "assignment_done": lambda: _("%(name)s finished “%(title)s”.", name=learner, title=p.get("title", "")),
        "note_shared": lambda: _("%(by)s shared a coaching note with you.", by=p.get("by", "")),
        "plan_opened": lambda: _("%(by)s opened a 30-day improvement plan with you (until %(end)s).",
                                 by=p.get("by", ""), end=p.get("ends_on", "")),
        "message": lambda: _("Message from %(by)s", by=p.get("by", "")),
        "flag_inactive": lambda: _("%(name)s has done nothing for %(days)s days.", name=learner, days=p.get("days", 7)),
        "flag_overdue": lambda: _("%(name)s has %(count)s overdue assignment(s), the oldest “%(title)s”.",
                                  name=learner, count=p.get("count", 1), title=p.get("title", "")),
        "flag_quiz_failed_twice": lambda: _("%(name)s failed the quiz “%(title)s” twice.", name=learner,
                                            title=p.get("title", "")),
        "flag_bottom_decile": lambda: _("%(name)s was in the bottom 10 %% of their tier in %(periods)s.", name=learner,
                                        periods=" & ".join(p.get("periods", []))),
        "flag_missed_target": lambda: _("%(name)s missed the base target in %(periods)s.", name=learner,
                                        periods=" & ".join(p.get("periods", []))),
    }
    return texts.get(message.kind, lambda: message.kind)()


def flag_text(flag, name: str = "") -> str:
    """Return a flag's short description.

    Within a request the wording is remembered per kind and parameters: on the
    mentor's page many mentees share the same flag (the same periods, counts),
    and the plan link repeats the text, so each distinct wording is translated once.
    """
    if not has_request_context():
        return _flag_text(flag)
    key = (str(get_locale()), flag.kind, repr(sorted(flag.params.items())))
    texts = g.setdefault("mentor_flag_texts", {})
    if key not in texts:
        texts[key] = _flag_text(flag)
    return texts[key]


def _flag_text(flag) -> str:
    """Return a flag's short description, translated now."""
    p = flag.params
    texts = {
        "inactive": lambda: _("No activity in %(days)s days since pairing", days=p.get("days")) if p.get("never")
        else _("Inactive for %(days)s days", days=p.get("days")),
        "overdue": lambda: _("%(count)s overdue", count=p.get("count")),
        "quiz_failed_twice": lambda: _("Failed “%(title)s” twice", title=p.get("title")),
        "bottom_decile": lambda: _("Bottom 10 %% of tier in %(periods)s", periods=" & ".join(p.get("periods", []))),
        "missed_target": lambda: _("Missed base target in %(periods)s", periods=" & ".join(p.get("periods", []))),
    }
    return texts[flag.kind]()


def flag_action_url(flag) -> str:
    """Return the page that answers a flag: assign work, write a note or open a plan."""
    if flag.action == "assign":
        target = f"quiz:{flag.params['quiz']}" if flag.kind == "quiz_failed_twice" else ""
        return url_for("mentor.assign", mentee=flag.learner_id, target=target)
    if flag.action == "plan":
        return url_for("mentor.new_plan", mentee_id=flag.learner_id, reason=flag_text(flag))
    return url_for("mentor.mentee", mentee_id=flag.learner_id, _anchor="notes")


def message_link(message):
    """Return the page an inbox message points to, or None."""
    p = message.params or {}
    if message.kind.startswith("flag_") or message.kind == "assignment_done":
        return url_for("mentor.mentee", mentee_id=message.learner_id) if message.learner_id else None
    if message.kind in ("assignment_new", "note_shared", "plan_opened"):
        return url_for("mentor.me", _anchor={"assignment_new": "assignments", "note_shared": "notes",
                                             "plan_opened": "plan"}[message.kind])
    if message.kind == "message":
        return url_for("mentor.me")
    return None


def review_link(event):
    """Return the review page of a timeline entry, or None."""
    return mentor_sources.review_url(event.kind, event.ref_key, event.ref_id)


def home_summary(user) -> dict:
    """Return the few figures the home-page sections show (called from those partials only)."""
    from app.models.types import utcnow
    from app.services import mentoring

    now = utcnow()
    return mentoring.home_summary(user, now)


def assignment_review_link(assignment):
    """Return the review page of the attempt or play that completed an assignment, or None."""
    if not assignment.result_ref:
        return None
    kind = {"scenario": "play", "quiz": "quiz"}.get(assignment.kind, assignment.kind)
    return mentor_sources.review_url(kind, assignment.target_key, assignment.result_ref)


@bp.record_once
def install_template_helpers(state) -> None:
    """Expose the presenters to templates as globals (so imported macros see them too)."""
    state.app.jinja_env.globals.update({
        "mentor_kind_labels": KIND_LABELS, "mentor_status_labels": STATUS_LABELS, "mentor_status_colours": STATUS_COLOURS,
        "mentor_activity_labels": ACTIVITY_LABELS, "mentor_activity_icons": ACTIVITY_ICONS,
        "mentor_action_labels": ACTION_LABELS, "mentor_kpi_labels": KPI_LABELS, "mentor_kpi_colours": KPI_COLOURS,
        "mentor_result_labels": RESULT_LABELS, "mentor_percent": percent, "mentor_flag_text": flag_text,
        "mentor_flag_url": flag_action_url, "mentor_message_text": message_text, "mentor_message_link": message_link,
        "mentor_review_link": review_link, "mentor_assignment_link": assignment_review_link, "mentor_markdown": render_markdown,
        "mentor_home_summary": home_summary, "mentor_days_ago": days_ago, "mentor_target_url": mentor_sources.target_url,
        "mentor_index_view": index_view,
    })
