"""The mentor workspace: mentee overviews, timelines, notes, 30-day plans, the inbox and the cohort view.

Every page is built from bulk queries (a fixed number, whatever the number of
mentees) and from the pure rules in ``flags``; every write checks that the
actor mentors the learner (``authz.can_mentor``) and raises NotFound otherwise.
"""

from dataclasses import dataclass, field
from functools import cache, cached_property
from datetime import date, datetime, timedelta
from statistics import fmean as mean
from typing import Iterable, Optional

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from app.authz import can_mentor
from app.extensions import db
from app.models.mentoring import (
    PLAN_RESULT_VALUES,
    ActivityKind,
    Assignment,
    CoachingNote,
    ImprovementPlan,
    InboxMessage,
    LearnerActivity,
    PeriodStanding,
    PlanAction,
    PlanCheckIn,
    PlanStatus,
)
from app.models.people import MentorPairing, Role, User
from app.services import flags as rules
from app.services import mentor_sources
from app.services.assignments import assignments_for, display_status, sort_for_learner
from app.services.errors import Conflict, NotFound, ValidationError

PLAN_DAYS = 30
MAX_NOTE = 10_000
MAX_TEXT = 2_000
# Trends and flags look this far back; older work still counts for "last activity" and the path.
WINDOW_DAYS = 90
SERIES_LENGTH = 12
TIMELINE_LIMIT = 300
SORT_KEYS = ("name", "progress", "quiz", "play", "activity", "overdue", "flags")
ACTIVITY_COLUMNS = (
    # ``kind`` read as plain text: the stored value is already the kind's string, and the Enum type's
    # per-row lookup is a measurable share of the mentor page, which reads a thousand rows and more.
    LearnerActivity.user_id, sa.type_coerce(LearnerActivity.kind, sa.String).label("kind"), LearnerActivity.ref_key,
    LearnerActivity.ref_id,
    LearnerActivity.title, LearnerActivity.occurred_at, LearnerActivity.score, LearnerActivity.passed,
    LearnerActivity.outcome, LearnerActivity.dimensions,
)
# Plain strings: comparing rows against ``ActivityKind.X.value`` in per-row loops costs an enum lookup each time.
QUIZ, PLAY = ActivityKind.QUIZ.value, ActivityKind.PLAY.value
COURSE, LESSON = ActivityKind.COURSE.value, ActivityKind.LESSON.value


# --- facts gathered in bulk -----------------------------------------------------


@dataclass
class MenteeFacts:
    """Everything known about one learner's recent work, gathered in bulk."""

    user: User
    since: datetime
    assignments: list = field(default_factory=list)
    events: list = field(default_factory=list)  # recent LearnerActivity, oldest first
    last_activity: Optional[datetime] = None
    path_done: Optional[int] = None
    path_total: Optional[int] = None
    milestones: list = field(default_factory=list)  # [(Target, "done" | "started" | "")]
    deals: Optional[list] = None
    flags: list = field(default_factory=list)
    # Set when ``quiz_events`` holds only the attempts that matter for flags: each quiz's first position.
    quiz_order: dict = field(default_factory=dict)

    @cached_property
    def quiz_events(self) -> list:
        """Return the recent quiz attempts, oldest first."""
        return [e for e in self.events if e.kind == QUIZ]

    @cached_property
    def play_events(self) -> list:
        """Return the recent role-plays, oldest first."""
        return [e for e in self.events if e.kind == PLAY]

    @cached_property
    def quiz_scores(self) -> list[float]:
        """Return the recent quiz scores, oldest first."""
        return [e.score for e in self.quiz_events if e.score is not None]

    @cached_property
    def play_scores(self) -> list[float]:
        """Return the recent role-play scores, oldest first."""
        return [e.score for e in self.play_events if e.score is not None]

    @cached_property
    def quiz_average(self) -> Optional[float]:
        """Return the mean recent quiz score (0..1), or None."""
        scores = self.quiz_scores
        return mean(scores) if scores else None

    @cached_property
    def play_average(self) -> Optional[float]:
        """Return the mean recent role-play score (0..1), or None."""
        scores = self.play_scores
        return mean(scores) if scores else None

    @cached_property
    def quiz_trend(self) -> Optional[float]:
        """Return the mean of the last three quiz scores minus that of the three before, or None."""
        return trend(self.quiz_scores)

    @cached_property
    def play_trend(self) -> Optional[float]:
        """Return the role-play score trend like ``quiz_trend``."""
        return trend(self.play_scores)

    @cached_property
    def dimension_series(self) -> dict[str, list[tuple[datetime, float]]]:
        """Return each rubric dimension's scores over time, from the plays that report them."""
        series: dict[str, list[tuple[datetime, float]]] = {}
        for e in self.play_events:
            if e.dimensions:
                for dim, value in e.dimensions.items():
                    series.setdefault(dim, []).append((e.occurred_at, float(value)))
        return series

    @cached_property
    def dimension_latest(self) -> dict[str, float]:
        """Return each rubric dimension's mean over its last three plays."""
        return {dim: mean(v for _, v in points[-3:]) for dim, points in sorted(self.dimension_series.items())}

    @property
    def path_share(self) -> Optional[float]:
        """Return the share of the tier path done (0..1), or None without a path."""
        if not self.path_total:
            return None
        return self.path_done / self.path_total

    def overdue(self, now: datetime) -> list:
        """Return the assignments overdue at ``now``."""
        return [a for a in self.assignments if display_status(a.status, a.due_on, now) == "overdue"]

    def open_assignments(self) -> list:
        """Return the assignments not done yet."""
        return [a for a in self.assignments if a.status != "done"]


def trend(scores: list[float], size: int = 3) -> Optional[float]:
    """Return mean(last ``size``) − mean(the ``size`` before), or None with fewer than two scores."""
    if len(scores) < 2:
        return None
    recent = scores[-size:]
    before = scores[-2 * size:-size] or scores[:1]
    if len(scores) <= size:
        recent, before = scores[len(scores) // 2:], scores[: len(scores) // 2]
    return mean(recent) - mean(before)


def gather_facts(users: list[User], since: dict[int, datetime], now: datetime,
                 events: bool = True) -> dict[int, MenteeFacts]:
    """Collect the facts and flags of many learners in a fixed number of queries.

    With ``events=False`` (the mentor's list) the recent activity is not read row
    by row: SQL returns each learner's score summaries, the open quiz failures and
    the rubric dimensions (``_add_summaries``), and ``MenteeFacts.events`` stays empty.
    """
    facts = {u.id: MenteeFacts(user=u, since=since.get(u.id, u.created_at)) for u in users}
    ids = list(facts)
    if not ids:
        return facts
    for user_id, items in assignments_for(ids, rows=True).items():
        facts[user_id].assignments = items
    if events:
        # Plain rows, not ORM objects: the page reads them once and never changes them.
        recent = db.session.execute(
            sa.select(*ACTIVITY_COLUMNS)
            .where(LearnerActivity.user_id.in_(ids), LearnerActivity.occurred_at >= now - timedelta(days=WINDOW_DAYS),
                   LearnerActivity.occurred_at <= now)
            .order_by(LearnerActivity.occurred_at, LearnerActivity.id)
        )
        for event in recent:
            facts[event.user_id].events.append(event)
    else:
        _add_summaries(facts, ids, now)
    last = db.session.execute(
        sa.select(LearnerActivity.user_id, sa.func.max(LearnerActivity.occurred_at))
        .where(LearnerActivity.user_id.in_(ids), LearnerActivity.occurred_at <= now)
        .group_by(LearnerActivity.user_id)
    )
    for user_id, at in last:
        facts[user_id].last_activity = _aware(at)
    _add_path(facts, ids)
    _add_flags(facts, now)
    return facts


def _recent():
    """Return the condition selecting the learners' activity in the trend window (parameters ids, start, now)."""
    return sa.and_(LearnerActivity.user_id.in_(sa.bindparam("ids", expanding=True)),
                   LearnerActivity.occurred_at >= sa.bindparam("start", type_=LearnerActivity.occurred_at.type),
                   LearnerActivity.occurred_at <= sa.bindparam("now", type_=LearnerActivity.occurred_at.type))


def _window(ids: list[int], now: datetime) -> dict:
    """Return the parameters of ``_recent``."""
    return {"ids": ids, "start": now - timedelta(days=WINDOW_DAYS), "now": now}


@cache
def _scores_statement():
    """Return the recent quiz and play scores, oldest first (built once: constructing it costs more than running it)."""
    return (
        sa.select(LearnerActivity.user_id, sa.type_coerce(LearnerActivity.kind, sa.String), LearnerActivity.score)
        .where(_recent(), LearnerActivity.kind.in_([QUIZ, PLAY]), LearnerActivity.score.is_not(None))
        .order_by(LearnerActivity.occurred_at, LearnerActivity.id)
    )


@cache
def _dimensions_statement():
    """Return the recent plays' rubric dimensions, oldest first (built once)."""
    return (
        sa.select(LearnerActivity.user_id, LearnerActivity.dimensions)
        .where(_recent(), LearnerActivity.kind == PLAY, LearnerActivity.dimensions.is_not(None))
        .order_by(LearnerActivity.occurred_at, LearnerActivity.id)
    )


@cache
def _quiz_failures_statement():
    """Return, per learner and quiz, the failed attempts after the last pass and the latest attempt (built once)."""
    ordered = (
        sa.select(
            LearnerActivity.id, LearnerActivity.user_id, LearnerActivity.ref_key, LearnerActivity.ref_id,
            LearnerActivity.title, LearnerActivity.occurred_at, LearnerActivity.passed,
            sa.func.row_number().over(partition_by=(LearnerActivity.user_id, LearnerActivity.ref_key),
                                      order_by=(LearnerActivity.occurred_at, LearnerActivity.id)).label("seq"),
        )
        .where(_recent(), LearnerActivity.kind == QUIZ)
        .subquery()
    )
    quiz = (ordered.c.user_id, ordered.c.ref_key)
    marked = sa.select(
        ordered,
        # Where the quiz first appears in the window: the rule lists its flags in that order.
        sa.func.max(sa.case((ordered.c.seq == 1, ordered.c.id))).over(partition_by=quiz).label("first_id"),
        sa.func.min(ordered.c.occurred_at).over(partition_by=quiz).label("first_at"),
        sa.func.max(sa.case((ordered.c.passed.is_(True), ordered.c.seq))).over(partition_by=quiz).label("last_pass"),
        sa.func.max(ordered.c.seq).over(partition_by=quiz).label("last_seq"),
    ).subquery()
    return (
        sa.select(marked.c.user_id, marked.c.ref_key, marked.c.ref_id, marked.c.title, marked.c.occurred_at,
                  marked.c.passed)
        .where(sa.or_(sa.and_(marked.c.passed.is_(False), marked.c.seq > sa.func.coalesce(marked.c.last_pass, 0)),
                      marked.c.seq == marked.c.last_seq))
        .order_by(marked.c.user_id, marked.c.first_at, marked.c.first_id, marked.c.seq)
    )


def _add_summaries(facts: dict[int, MenteeFacts], ids: list[int], now: datetime) -> None:
    """Fill what the mentor's list shows from SQL aggregates instead of every recent activity row.

    Three narrow reads: the recent quiz and play scores (one float per row; the
    averages, trends and sparklines follow from them as before), only the quiz
    attempts that make the failed-twice flag (windowed SQL), and the plays'
    rubric dimensions (that column only). No timestamps, titles or JSON of the
    other rows are turned into Python objects. The values set are the ones
    ``MenteeFacts`` would derive from ``events``.
    """
    series: dict[tuple[int, str], list[float]] = {}
    # Scores only (floats, no per-row type processing): the means must be exactly those of every score.
    for user_id, kind, score in db.session.execute(_scores_statement(), _window(ids, now)):
        series.setdefault((user_id, kind), []).append(score)
    for user_id, f in facts.items():
        # cached_property values live in the instance dict; setting them there is what computing them would do.
        quiz, play = series.get((user_id, QUIZ), []), series.get((user_id, PLAY), [])
        f.__dict__.update(quiz_scores=quiz, play_scores=play, quiz_events=[], dimension_latest={})
    _add_quiz_failures(facts, ids, now)
    _add_dimensions(facts, ids, now)


def _add_quiz_failures(facts: dict[int, MenteeFacts], ids: list[int], now: datetime) -> None:
    """Give each learner the recent quiz attempts ``flags.quiz_failed_twice_flags`` needs, and no others.

    Per learner and quiz that is every failed attempt after the last pass, and the
    latest attempt (it names the quiz); the rule gives the same flags on them as
    on the whole history.
    """
    rows = db.session.execute(_quiz_failures_statement(), _window(ids, now))
    for row in rows:
        f = facts[row.user_id]
        f.quiz_events.append(row)
        f.quiz_order.setdefault(row.ref_key, len(f.quiz_order))


def _add_dimensions(facts: dict[int, MenteeFacts], ids: list[int], now: datetime) -> None:
    """Fill each learner's rubric dimension means over their last three plays reporting each dimension."""
    latest: dict[int, dict[str, list[float]]] = {}
    for user_id, dimensions in db.session.execute(_dimensions_statement(), _window(ids, now)):
        if dimensions:
            points = latest.setdefault(user_id, {})
            for dim, value in dimensions.items():
                points.setdefault(dim, []).append(float(value))
    for user_id, points in latest.items():
        facts[user_id].__dict__["dimension_latest"] = {dim: mean(values[-3:]) for dim, values in sorted(points.items())}


def _aware(value: Optional[datetime]) -> Optional[datetime]:
    """Return an aggregate timestamp as aware UTC (SQLite returns MAX() as naive text)."""
    from app.models.types import UTCDateTime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return UTCDateTime().process_result_value(value, None)


def _add_path(facts: dict[int, MenteeFacts], ids: list[int]) -> None:
    """Fill each learner's tier-path progress from recorded completions and the library's enrolments."""
    course_list = mentor_sources.courses()
    path = mentor_sources.tier_milestones(course_list)
    if not path:
        return
    progress: dict[int, dict[str, str]] = {}

    def note(user_id: int, slug: str, state: str) -> None:
        if progress.setdefault(user_id, {}).get(slug) != "done":
            progress[user_id][slug] = state

    rows = db.session.execute(
        sa.select(LearnerActivity.user_id, LearnerActivity.kind, LearnerActivity.ref_key)
        .where(LearnerActivity.user_id.in_(ids),
               LearnerActivity.kind.in_([COURSE, LESSON]))
        .distinct()
    )
    for user_id, kind, slug in rows:
        note(user_id, slug, "done" if kind == COURSE else "started")
    # The library's own record also covers work done before these receivers existed.
    for user_id, states in (mentor_sources.course_progress(ids) or {}).items():
        for slug, state in states.items():
            note(user_id, slug, state)
    groups = {t.key: t.group for t in course_list}
    for user_id, f in facts.items():
        by_group: dict[str, str] = {}
        for slug, state in progress.get(user_id, {}).items():
            group = groups.get(slug, slug)
            if by_group.get(group) != "done":
                by_group[group] = state
        steps = path.get(f.user.tier, [])
        f.milestones = [(t, by_group.get(t.group, "")) for t in steps]
        f.path_total = len(steps)
        f.path_done = sum(1 for _, state in f.milestones if state == "done")


def rank_period(period: rules.Period, replace: bool = True) -> int:
    """Rank every learner's mean quiz and play score in one complete period within their tier; store it (no commit).

    ``replace=False`` is for a period with nothing stored yet: it writes only when
    there is something to rank, so a page that finds nothing new stays read-only.
    """
    rows = db.session.execute(
        sa.select(LearnerActivity.user_id, User.tier, sa.func.avg(LearnerActivity.score))
        .join(User, User.id == LearnerActivity.user_id)
        .where(User.active.is_(True),
               LearnerActivity.kind.in_([ActivityKind.QUIZ.value, ActivityKind.PLAY.value]),
               LearnerActivity.score.is_not(None),
               LearnerActivity.occurred_at >= period.start, LearnerActivity.occurred_at < period.end)
        .group_by(LearnerActivity.user_id, User.tier)
    ).all()
    scores = {user_id: float(avg) for user_id, _tier, avg in rows}
    tiers = {user_id: tier for user_id, tier, _avg in rows}
    bottom = rules.bottom_of_cohorts(tiers, scores)
    if replace:
        db.session.execute(sa.delete(PeriodStanding).where(PeriodStanding.period == period.label))
    if rows:
        db.session.execute(sa.insert(PeriodStanding), [
            {"period": period.label, "user_id": user_id, "tier": tiers[user_id], "score": score,
             "bottom": user_id in bottom} for user_id, score in scores.items()
        ])
    return len(rows)


# Whether each of the two flag periods has standings: an index seek per period, not a scan of their rows.
_RANKED_FLAGS = sa.select(sa.exists().where(PeriodStanding.period == sa.bindparam("first")),
                          sa.exists().where(PeriodStanding.period == sa.bindparam("second")))


def flag_periods(now: datetime) -> list[rules.Period]:
    """Return the two complete periods the bottom-10 % rule compares (monthly unless configured weekly)."""
    return rules.PERIODS[current_app.config.get("MENTOR_FLAG_PERIOD", "month")](now, 2)


def ensure_ranked(now: datetime) -> None:
    """Rank the flag periods that have no stored standing yet, and commit.

    Called before a page loads its records (a commit expires loaded objects).
    Concurrent app servers may race: the loser's insert fails and it reads the
    winner's. A period with no scored work stores nothing and is re-checked
    cheaply next time, without writing: GET pages stay read-only (a read-only
    replica, a locked SQLite file) unless there is something new to rank.
    """
    periods = flag_periods(now)
    flags = db.session.connection().execute(_RANKED_FLAGS, {"first": periods[0].label, "second": periods[1].label}).one()
    missing = [p for p, ranked in zip(periods, flags) if not ranked]
    if not missing:
        return
    try:
        if sum(rank_period(period, replace=False) for period in missing):
            db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()


def rerank(now: datetime) -> int:
    """Recompute the stored standings of the flag periods (after late or backfilled work); return how many ranked."""
    ranked = sum(rank_period(period) for period in flag_periods(now))
    db.session.commit()
    return ranked


def _standings(periods: list[rules.Period], ids: list[int]) -> tuple[list[set[int]], list[dict[int, float]]]:
    """Return, per period, which of the given learners were in the bottom 10 % of their tier, and their scores."""
    labels = [p.label for p in periods]
    bottoms: dict[str, set[int]] = {label: set() for label in labels}
    scores: dict[str, dict[int, float]] = {label: {} for label in labels}
    for label, user_id, score, bottom in db.session.execute(
        sa.select(PeriodStanding.period, PeriodStanding.user_id, PeriodStanding.score, PeriodStanding.bottom)
        .where(PeriodStanding.period.in_(labels), PeriodStanding.user_id.in_(ids))
    ):
        scores[label][user_id] = score
        if bottom:
            bottoms[label].add(user_id)
    return [bottoms[label] for label in labels], [scores[label] for label in labels]


def _add_flags(facts: dict[int, MenteeFacts], now: datetime) -> None:
    """Apply the flag rules to every learner (cohort ranking and deals in bulk)."""
    periods = flag_periods(now)
    bottoms, scores = _standings(periods, list(facts))
    bottom = {flag.learner_id: flag for flag in rules.bottom_decile_flags(bottoms, scores, periods, facts)}
    deals = mentor_sources.closed_deals(list(facts), since=(now - timedelta(days=400)).date())
    months = rules.previous_months(now, 2)
    target = int(current_app.config.get("MENTOR_BASE_TARGET_WON", 1))
    for user_id, f in facts.items():
        f.deals = None if deals is None else deals.get(user_id)
        found = [
            rules.inactive_flag(user_id, f.last_activity, f.since, now),
            rules.overdue_flag(user_id, f.assignments, now),
            *_quiz_flags(f),
            bottom.get(user_id),
            rules.missed_target_flag(user_id, f.deals, months, target),
        ]
        f.flags = [flag for flag in found if flag is not None]


def _quiz_flags(f: MenteeFacts) -> list:
    """Return the failed-twice flags in the order of each quiz's first recent attempt."""
    found = rules.quiz_failed_twice_flags(f.user.id, f.quiz_events)
    if f.quiz_order:
        found.sort(key=lambda flag: f.quiz_order[flag.params["quiz"]])
    return found


def _titles(facts: Iterable[MenteeFacts]) -> None:
    """Give quiz-failure flags their quiz titles from the catalogue."""
    needs = [flag for f in facts for flag in f.flags if flag.kind == rules.QUIZ_FAILED_TWICE]
    if not needs:
        return
    names = {t.key: t.title for t in mentor_sources.quizzes()}
    for flag in needs:
        flag.params["title"] = names.get(flag.params["quiz"], flag.params["title"])


# --- the mentor's page ------------------------------------------------------------


@dataclass
class MenteeRow:
    """One mentee on the mentor's page."""

    pairing: MentorPairing
    facts: MenteeFacts
    kpi: rules.Kpi


@dataclass
class MentorPage:
    """The mentor's overview of all their mentees."""

    mentor: User
    rows: list[MenteeRow]
    unread: int
    has_path: bool
    has_deals: bool


def active_pairings_of(mentor: User) -> list[MentorPairing]:
    """Return the mentor's active pairings with mentee and buddy loaded."""
    return list(
        db.session.scalars(
            sa.select(MentorPairing)
            .options(joinedload(MentorPairing.mentee), joinedload(MentorPairing.buddy))
            .where(MentorPairing.mentor_id == mentor.id, MentorPairing.ended_on.is_(None))
        )
    )


def active_mentee_stamps(mentor: User) -> list[tuple[int, datetime, int]]:
    """Return (id, created_at, view stamp) of the mentor's active mentees, by id, in one prebuilt query.

    What a cache key of a page showing all of them needs (app/view_cache.py).
    """
    global _MENTEE_STAMPS
    if _MENTEE_STAMPS is None:
        from app.models.views import ViewStamp
        from app.view_cache import user_scope_of

        _MENTEE_STAMPS = (
            sa.select(User.id, User.created_at, sa.func.coalesce(ViewStamp.stamp, 0))
            .join(MentorPairing, MentorPairing.mentee_id == User.id)
            .outerjoin(ViewStamp, ViewStamp.scope == user_scope_of(User.id))
            .where(MentorPairing.mentor_id == sa.bindparam("mentor_id"), MentorPairing.ended_on.is_(None))
            .order_by(User.id)
        )
    return [tuple(row) for row in db.session.connection().execute(_MENTEE_STAMPS, {"mentor_id": mentor.id})]


_MENTEE_STAMPS = None


def _pairing_start(pairing: MentorPairing) -> datetime:
    """Return the pairing's start as an aware datetime."""
    from datetime import timezone

    return datetime(pairing.start_date.year, pairing.start_date.month, pairing.start_date.day, tzinfo=timezone.utc)


def sort_rows(rows: list[MenteeRow], key: str, now: datetime) -> list[MenteeRow]:
    """Order mentee rows by a column; the most worrying first for the numeric ones."""
    low = -1.0
    keys = {
        "name": lambda r: (r.facts.user.name.lower(),),
        "progress": lambda r: (r.facts.path_share if r.facts.path_share is not None else low,),
        "quiz": lambda r: (r.facts.quiz_average if r.facts.quiz_average is not None else low,),
        "play": lambda r: (r.facts.play_average if r.facts.play_average is not None else low,),
        "activity": lambda r: (r.facts.last_activity.timestamp() if r.facts.last_activity else 0.0,),
        "overdue": lambda r: (-len(r.facts.overdue(now)),),
        "flags": lambda r: (-len(r.facts.flags),),
    }
    chosen = keys.get(key, keys["name"])
    return sorted(rows, key=lambda r: (*chosen(r), r.facts.user.name.lower()))


def build_mentor_page(mentor: User, now: datetime, sort: str = "flags") -> MentorPage:
    """Return the mentor's page: every active mentee with progress, trends, assignments and flags."""
    ensure_ranked(now)
    pairings = active_pairings_of(mentor)
    facts = gather_facts([p.mentee for p in pairings], {p.mentee_id: _pairing_start(p) for p in pairings}, now,
                         events=False)
    _titles(facts.values())
    mentor_deals = mentor_sources.closed_deals([mentor.id]) if pairings else None
    rows = []
    for p in pairings:
        f = facts[p.mentee_id]
        kpi = rules.pairing_kpi(p.start_date, f.deals, (mentor_deals or {}).get(mentor.id), now)
        rows.append(MenteeRow(p, f, kpi))
    return MentorPage(
        mentor=mentor, rows=sort_rows(rows, sort, now), unread=unread_count(mentor),
        has_path=any(r.facts.path_total for r in rows), has_deals=mentor_deals is not None,
    )


# --- one mentee ------------------------------------------------------------------------


@dataclass
class MenteePage:
    """Everything about one mentee that their mentor may see."""

    pairing: Optional[MentorPairing]
    facts: MenteeFacts
    kpi: rules.Kpi
    timeline: list
    notes: list
    plans: list
    titles: dict


def get_mentee(viewer: User, mentee_id: int) -> User:
    """Return the learner if ``viewer`` mentors them (admins: anyone), else raise NotFound."""
    mentee = db.session.get(User, mentee_id)
    if mentee is None or mentee.id == viewer.id or not can_mentor(viewer, mentee_id):
        raise NotFound("mentee")
    return mentee


def active_pairing_of(mentee_id: int) -> Optional[MentorPairing]:
    """Return the learner's active pairing, or None."""
    return db.session.scalar(
        sa.select(MentorPairing)
        .options(joinedload(MentorPairing.mentor), joinedload(MentorPairing.buddy))
        .where(MentorPairing.mentee_id == mentee_id, MentorPairing.ended_on.is_(None))
    )


def catalogue_titles() -> dict[tuple[str, str], str]:
    """Return titles of courses, quizzes and scenarios keyed by (activity kind, key)."""
    titles = {}
    for t in mentor_sources.courses():
        titles[("course", t.key)] = titles[("lesson", t.key)] = t.title
    for t in mentor_sources.quizzes():
        titles[("quiz", t.key)] = t.title
    for t in mentor_sources.scenarios():
        titles[("play", t.key)] = t.title
    return titles


def build_mentee_page(viewer: User, mentee_id: int, now: datetime) -> MenteePage:
    """Return one mentee's timeline, trends, assignments, notes, plans, flags and KPI."""
    ensure_ranked(now)
    mentee = get_mentee(viewer, mentee_id)
    pairing = active_pairing_of(mentee.id)
    since = {mentee.id: _pairing_start(pairing)} if pairing else {}
    facts = gather_facts([mentee], since, now)[mentee.id]
    _titles([facts])
    timeline = list(
        db.session.scalars(
            sa.select(LearnerActivity)
            .where(LearnerActivity.user_id == mentee.id)
            .order_by(LearnerActivity.occurred_at.desc(), LearnerActivity.id.desc())
            .limit(TIMELINE_LIMIT)
        )
    )
    kpi = rules.Kpi("no_data")
    if pairing is not None:
        mentor_deals = mentor_sources.closed_deals([pairing.mentor_id])
        kpi = rules.pairing_kpi(pairing.start_date, facts.deals, (mentor_deals or {}).get(pairing.mentor_id), now)
    return MenteePage(
        pairing=pairing, facts=facts, kpi=kpi, timeline=timeline, notes=notes_visible_to(viewer, mentee.id),
        plans=plans_of(mentee.id), titles=catalogue_titles(),
    )


# --- coaching notes --------------------------------------------------------------------


def _clean_text(text: str, field_name: str, limit: int, required: bool = True) -> str:
    """Return stripped text or raise ValidationError naming the field."""
    text = (text or "").strip()
    if required and not text:
        raise ValidationError(f"{field_name} is empty", field=field_name)
    if len(text) > limit:
        raise ValidationError(f"{field_name} is longer than {limit} characters", field=field_name)
    return text


def notes_visible_to(viewer: User, mentee_id: int) -> list[CoachingNote]:
    """Return the notes on a mentee that ``viewer`` may read: their own, shared ones, all for admins."""
    stmt = (
        sa.select(CoachingNote)
        .options(joinedload(CoachingNote.author))
        .where(CoachingNote.mentee_id == mentee_id)
        .order_by(CoachingNote.noted_on.desc(), CoachingNote.id.desc())
    )
    if viewer.role != Role.ADMIN.value:
        stmt = stmt.where(sa.or_(CoachingNote.author_id == viewer.id, CoachingNote.shared.is_(True)))
    return list(db.session.scalars(stmt))


def add_note(author: User, mentee_id: int, body: str, shared: bool, noted_on: Optional[date], now: datetime) -> CoachingNote:
    """Write a coaching note on a mentee; a shared note also lands in the mentee's inbox."""
    mentee = get_mentee(author, mentee_id)
    note = CoachingNote(
        mentee_id=mentee.id, author_id=author.id, body=_clean_text(body, "body", MAX_NOTE),
        shared=bool(shared), noted_on=noted_on or now.date(), created_at=now, updated_at=now,
    )
    if note.noted_on > now.date():
        raise ValidationError("a note cannot be dated in the future", field="noted_on")
    db.session.add(note)
    db.session.flush()
    if note.shared:
        _notify_shared(note, author, now)
    db.session.commit()
    return note


def _notify_shared(note: CoachingNote, author: User, now: datetime) -> None:
    """Put a shared note in the mentee's inbox (once)."""
    db.session.add(
        InboxMessage(
            recipient_id=note.mentee_id, sender_id=author.id, learner_id=note.mentee_id, kind="note_shared",
            params={"note_id": note.id, "by": author.name}, created_at=now, dedupe_key=f"note_shared:{note.id}",
        )
    )


def get_own_note(viewer: User, note_id: int) -> CoachingNote:
    """Return a note ``viewer`` wrote on a current mentee (admins: any note), else raise NotFound."""
    note = db.session.get(CoachingNote, note_id)
    if note is None or not can_mentor(viewer, note.mentee_id):
        raise NotFound("note")
    if note.author_id != viewer.id and viewer.role != Role.ADMIN.value:
        raise NotFound("note")
    return note


def update_note(viewer: User, note_id: int, body: str, shared: bool, now: datetime) -> CoachingNote:
    """Change a note's text or sharing; sharing it for the first time tells the mentee."""
    note = get_own_note(viewer, note_id)
    newly_shared = shared and not note.shared
    note.body = _clean_text(body, "body", MAX_NOTE)
    note.shared = bool(shared)
    note.updated_at = now
    if newly_shared and db.session.scalar(
        sa.select(InboxMessage.id).where(InboxMessage.dedupe_key == f"note_shared:{note.id}")
    ) is None:
        _notify_shared(note, viewer, now)
    db.session.commit()
    return note


def delete_note(viewer: User, note_id: int) -> int:
    """Delete one of the viewer's notes; return the mentee's id."""
    note = get_own_note(viewer, note_id)
    mentee_id = note.mentee_id
    db.session.delete(note)
    db.session.commit()
    return mentee_id


def shared_notes_for(learner: User) -> list[CoachingNote]:
    """Return the notes shared with a learner, newest first."""
    return list(
        db.session.scalars(
            sa.select(CoachingNote)
            .options(joinedload(CoachingNote.author))
            .where(CoachingNote.mentee_id == learner.id, CoachingNote.shared.is_(True))
            .order_by(CoachingNote.noted_on.desc(), CoachingNote.id.desc())
        )
    )


# --- 30-day improvement plans ---------------------------------------------------------


def plans_of(mentee_id: int) -> list[ImprovementPlan]:
    """Return a learner's plans, the open one first, with actions and check-ins loaded."""
    return list(
        db.session.scalars(
            sa.select(ImprovementPlan)
            .options(selectinload(ImprovementPlan.actions), selectinload(ImprovementPlan.check_ins))
            .where(ImprovementPlan.mentee_id == mentee_id)
            .order_by((ImprovementPlan.status == PlanStatus.OPEN.value).desc(), ImprovementPlan.starts_on.desc())
        )
    )


def open_plan(
    mentor: User, mentee_id: int, starts_on: Optional[date], reason: str, goals: str,
    actions: Iterable[tuple[str, Optional[date]]], now: datetime,
) -> ImprovementPlan:
    """Open a 30-day improvement plan (one open plan per mentee) and tell the mentee."""
    mentee = get_mentee(mentor, mentee_id)
    starts_on = starts_on or now.date()
    if abs((starts_on - now.date()).days) > PLAN_DAYS:
        raise ValidationError("a plan starts within 30 days of today", field="starts_on")
    if db.session.scalar(
        sa.select(ImprovementPlan.id).where(
            ImprovementPlan.mentee_id == mentee.id, ImprovementPlan.status == PlanStatus.OPEN.value
        )
    ) is not None:
        raise Conflict(f"{mentee.name} already has an open plan; close it first")
    plan = ImprovementPlan(
        mentee_id=mentee.id, mentor_id=mentor.id, starts_on=starts_on, ends_on=starts_on + timedelta(days=PLAN_DAYS),
        reason=_clean_text(reason, "reason", MAX_TEXT, required=False), goals=_clean_text(goals, "goals", MAX_NOTE),
        created_at=now,
    )
    for text, due_on in actions:
        text = (text or "").strip()
        if text:
            plan.actions.append(_new_action(plan, text, due_on))
    db.session.add(plan)
    db.session.flush()
    db.session.add(
        InboxMessage(recipient_id=mentee.id, sender_id=mentor.id, learner_id=mentee.id, kind="plan_opened",
                     params={"plan_id": plan.id, "by": mentor.name, "ends_on": plan.ends_on.isoformat()},
                     created_at=now)
    )
    db.session.commit()
    return plan


def _new_action(plan: ImprovementPlan, text: str, due_on: Optional[date]) -> PlanAction:
    """Return a plan action, checking its text and that its date lies in the plan."""
    text = _clean_text(text, "action", 500)
    if due_on is None:
        raise ValidationError("each action needs a date", field="due_on")
    if not plan.starts_on <= due_on <= plan.ends_on:
        raise ValidationError(
            f"the action date {due_on.isoformat()} is outside the plan ({plan.starts_on} – {plan.ends_on})",
            field="due_on",
        )
    return PlanAction(text=text, due_on=due_on)


def get_plan(viewer: User, plan_id: int, *, as_mentee: bool = False) -> ImprovementPlan:
    """Return a plan the viewer mentors (or, with ``as_mentee``, their own), else raise NotFound."""
    plan = db.session.get(ImprovementPlan, plan_id)
    if plan is None:
        raise NotFound("plan")
    if as_mentee and plan.mentee_id == viewer.id:
        return plan
    if plan.mentee_id == viewer.id or not can_mentor(viewer, plan.mentee_id):
        raise NotFound("plan")
    return plan


def _require_open(plan: ImprovementPlan) -> None:
    """Raise Conflict when the plan is closed."""
    if not plan.is_open:
        raise Conflict("this plan is closed")


def add_action(viewer: User, plan_id: int, text: str, due_on: Optional[date]) -> ImprovementPlan:
    """Add a dated action to an open plan."""
    plan = get_plan(viewer, plan_id)
    _require_open(plan)
    plan.actions.append(_new_action(plan, text, due_on))
    db.session.commit()
    return plan


def set_action_done(viewer: User, action_id: int, done: bool, now: datetime) -> ImprovementPlan:
    """Tick or untick a plan action; the mentor or the mentee may do it."""
    action = db.session.get(PlanAction, action_id)
    if action is None:
        raise NotFound("action")
    plan = get_plan(viewer, action.plan_id, as_mentee=True)
    _require_open(plan)
    action.done_on = now.date() if done else None
    db.session.commit()
    return plan


def add_check_in(viewer: User, plan_id: int, held_on: Optional[date], body: str, now: datetime) -> ImprovementPlan:
    """Record a check-in on an open plan."""
    plan = get_plan(viewer, plan_id)
    _require_open(plan)
    held_on = held_on or now.date()
    if held_on > now.date():
        raise ValidationError("a check-in cannot be dated in the future", field="held_on")
    if held_on < plan.starts_on:
        raise ValidationError("a check-in cannot be dated before the plan starts", field="held_on")
    plan.check_ins.append(
        PlanCheckIn(author_id=viewer.id, held_on=held_on, body=_clean_text(body, "body", MAX_NOTE), created_at=now)
    )
    db.session.commit()
    return plan


def close_plan(viewer: User, plan_id: int, result: str, outcome: str, now: datetime) -> ImprovementPlan:
    """Record a plan's outcome and close it."""
    plan = get_plan(viewer, plan_id)
    _require_open(plan)
    if result not in PLAN_RESULT_VALUES:
        raise ValidationError(f"unknown result {result!r} (use one of {', '.join(PLAN_RESULT_VALUES)})", field="result")
    plan.result = result
    plan.outcome = _clean_text(outcome, "outcome", MAX_NOTE)
    plan.status = PlanStatus.CLOSED.value
    plan.closed_at = now
    db.session.commit()
    return plan


# --- the learner's side ---------------------------------------------------------------


@dataclass
class LearnerPage:
    """A learner's "my mentor & assignments" page."""

    pairing: Optional[MentorPairing]
    assignments: list
    notes: list
    plans: list


def build_learner_page(learner: User, now: datetime) -> LearnerPage:
    """Return the learner's mentor and buddy, assignments (overdue first), shared notes and plans."""
    items = sort_for_learner(assignments_for([learner.id]).get(learner.id, []), now)
    return LearnerPage(
        pairing=active_pairing_of(learner.id), assignments=items, notes=shared_notes_for(learner),
        plans=plans_of(learner.id),
    )


def home_summary(user: User, now: datetime) -> dict:
    """Return a home page's mentoring figures: the user's next assignments, unread messages, mentees' overdue work."""
    own = sort_for_learner(assignments_for([user.id]).get(user.id, []), now)
    mentee_overdue = 0
    if user.role != Role.LEARNER.value:
        mentee_overdue = db.session.scalar(
            sa.select(sa.func.count(Assignment.id))
            .join(MentorPairing, MentorPairing.mentee_id == Assignment.assignee_id)
            .where(MentorPairing.mentor_id == user.id, MentorPairing.ended_on.is_(None),
                   Assignment.status != "done", Assignment.due_on < now.date())
        )
    return {
        "assignments": [a for a in own if a.status != "done"][:5], "unread": unread_count(user),
        "mentee_overdue": mentee_overdue, "today": now.date(),
    }


# --- the inbox ---------------------------------------------------------------------------


def inbox_of(user: User, limit: int = 100) -> list[InboxMessage]:
    """Return a user's newest messages, unread first."""
    return list(
        db.session.scalars(
            sa.select(InboxMessage)
            .options(joinedload(InboxMessage.sender), joinedload(InboxMessage.learner))
            .where(InboxMessage.recipient_id == user.id)
            .order_by(InboxMessage.read_at.is_not(None), InboxMessage.created_at.desc(), InboxMessage.id.desc())
            .limit(limit)
        )
    )


def unread_count(user: User) -> int:
    """Return how many of a user's messages are unread."""
    return db.session.scalar(
        sa.select(sa.func.count(InboxMessage.id)).where(
            InboxMessage.recipient_id == user.id, InboxMessage.read_at.is_(None)
        )
    )


def mark_read(user: User, message_id: Optional[int], now: datetime) -> int:
    """Mark one message (or, with None, all) of the user's as read; return how many changed."""
    stmt = sa.update(InboxMessage).where(InboxMessage.recipient_id == user.id, InboxMessage.read_at.is_(None))
    if message_id is not None:
        if db.session.scalar(
            sa.select(InboxMessage.id).where(InboxMessage.id == message_id, InboxMessage.recipient_id == user.id)
        ) is None:
            raise NotFound("message")
        stmt = stmt.where(InboxMessage.id == message_id)
    changed = db.session.execute(stmt.values(read_at=now).execution_options(view_stamps=(user.id,))).rowcount
    db.session.commit()
    return changed


def send_message(sender: User, mentee_id: int, body: str, now: datetime) -> InboxMessage:
    """Send a mentee a message in their inbox."""
    mentee = get_mentee(sender, mentee_id)
    message = InboxMessage(
        recipient_id=mentee.id, sender_id=sender.id, learner_id=mentee.id, kind="message",
        body=_clean_text(body, "body", MAX_TEXT), params={"by": sender.name}, created_at=now,
    )
    db.session.add(message)
    db.session.commit()
    return message


def scan_flags(now: datetime, progress=None) -> int:
    """Put every new flag on every active mentee into their mentor's inbox (once per flag); return how many."""
    ensure_ranked(now)
    pairings = list(
        db.session.scalars(
            sa.select(MentorPairing).options(joinedload(MentorPairing.mentee)).where(MentorPairing.ended_on.is_(None))
        )
    )
    facts = gather_facts([p.mentee for p in pairings], {p.mentee_id: _pairing_start(p) for p in pairings}, now,
                         events=False)
    _titles(facts.values())
    existing = {
        (recipient_id, key)
        for recipient_id, key in db.session.execute(
            sa.select(InboxMessage.recipient_id, InboxMessage.dedupe_key).where(InboxMessage.kind.like("flag_%"))
        )
    }
    added = 0
    for pairing in pairings if progress is None else progress(pairings):
        for flag in facts[pairing.mentee_id].flags:
            key = (pairing.mentor_id, flag.key)
            if key in existing:
                continue
            existing.add(key)
            db.session.add(
                InboxMessage(recipient_id=pairing.mentor_id, learner_id=pairing.mentee_id, kind=f"flag_{flag.kind}",
                             params=flag.params, dedupe_key=flag.key, created_at=now)
            )
            added += 1
    db.session.commit()
    return added


# --- the admin's cohort view -----------------------------------------------------------


@dataclass
class MentorLoad:
    """One mentor's workload."""

    mentor: User
    mentees: int = 0
    overdue: int = 0
    flagged: int = 0


@dataclass
class CohortPage:
    """Every pairing with progress, a learners × milestones heatmap, and mentor workload."""

    rows: list
    heatmap: dict  # tier → (milestones, [(user, [state…])])
    workload: list
    kpis: dict


def build_cohort(now: datetime) -> CohortPage:
    """Return the admin cohort view in a fixed number of queries."""
    ensure_ranked(now)
    pairings = list(
        db.session.scalars(
            sa.select(MentorPairing)
            .options(joinedload(MentorPairing.mentor), joinedload(MentorPairing.mentee), joinedload(MentorPairing.buddy))
            .where(MentorPairing.ended_on.is_(None))
        )
    )
    learners = list(
        db.session.scalars(
            sa.select(User).where(User.active.is_(True), User.role == Role.LEARNER.value).order_by(User.tier, User.name)
        )
    )
    since = {p.mentee_id: _pairing_start(p) for p in pairings}
    facts = gather_facts([p.mentee for p in pairings], since, now)
    # The heatmap needs only path progress, for every learner (paired or not).
    path_facts = {u.id: MenteeFacts(user=u, since=u.created_at) for u in learners}
    _add_path(path_facts, list(path_facts))
    deals = mentor_sources.closed_deals(list({p.mentor_id for p in pairings}))
    loads: dict[int, MentorLoad] = {}
    kpis = {}
    for p in pairings:
        f = facts[p.mentee_id]
        load = loads.setdefault(p.mentor_id, MentorLoad(p.mentor))
        load.mentees += 1
        load.overdue += len(f.overdue(now))
        load.flagged += bool(f.flags)
        kpis[p.id] = rules.pairing_kpi(p.start_date, f.deals, (deals or {}).get(p.mentor_id), now)
    heatmap: dict[str, tuple] = {}
    for tier, steps in mentor_sources.tier_milestones().items():
        members = [(f.user, [state for _, state in f.milestones]) for f in path_facts.values() if f.user.tier == tier]
        heatmap[tier] = (steps, sorted(members, key=lambda m: m[0].name.lower()))
    rows = sorted(pairings, key=lambda p: (p.mentor.name.lower(), p.mentee.name.lower()))
    return CohortPage(
        rows=[(p, facts[p.mentee_id]) for p in rows], heatmap=heatmap,
        workload=sorted(loads.values(), key=lambda m: (-m.mentees, m.mentor.name.lower())), kpis=kpis,
    )
