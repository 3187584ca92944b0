"""Warning flags on mentees and the mentor KPI: pure rules with an explicit ``now``.

Each rule takes plain facts and returns ``Flag`` values; gathering the facts in
bulk is ``mentoring``'s job. Each flag names the action that answers it
(assign work, write a note, open a 30-day plan).

Cohort for "bottom 10 %": learners of the **same tier across the whole
organisation**. Teams are often a handful of people, where a 10 % cut means
nothing; a tier is the group that does the same courses and is compared fairly.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable, Optional

from app.services.mentor_sources import DealFact

INACTIVE_DAYS = 7
BOTTOM_FRACTION = 0.10
# Below this many ranked learners a "bottom 10 %" says nothing; no flag is raised.
MIN_COHORT = 5
KPI_DAYS = 90
KPI_SHARE = 0.60

INACTIVE = "inactive"
OVERDUE = "overdue"
QUIZ_FAILED_TWICE = "quiz_failed_twice"
BOTTOM_DECILE = "bottom_decile"
MISSED_TARGET = "missed_target"

# The action that answers each flag: assign work, write a note, or open a 30-day plan.
ACTIONS = {
    INACTIVE: "note",
    OVERDUE: "note",
    QUIZ_FAILED_TWICE: "assign",
    BOTTOM_DECILE: "plan",
    MISSED_TARGET: "plan",
}
SEVERITY = {INACTIVE: "warning", OVERDUE: "warning", QUIZ_FAILED_TWICE: "warning", BOTTOM_DECILE: "danger",
            MISSED_TARGET: "danger"}


@dataclass(frozen=True)
class Flag:
    """A warning about one mentee, with the action that answers it."""

    kind: str
    learner_id: int
    # Identifies the flag's occurrence (a quiz, a period) so the inbox gets it once.
    key: str
    params: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def action(self) -> str:
        """Return "assign", "note" or "plan"."""
        return ACTIONS[self.kind]

    @property
    def severity(self) -> str:
        """Return the Bootstrap colour of the flag."""
        return SEVERITY[self.kind]


@dataclass(frozen=True)
class Period:
    """A half-open time range [start, end) with a label such as 2026-10."""

    start: datetime
    end: datetime
    label: str


def previous_months(now: datetime, count: int = 2) -> list[Period]:
    """Return the last ``count`` complete calendar months before ``now``, oldest first."""
    periods = []
    year, month = now.year, now.month
    for _ in range(count):
        end = datetime(year, month, 1, tzinfo=now.tzinfo)
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        start = datetime(year, month, 1, tzinfo=now.tzinfo)
        periods.append(Period(start, end, f"{year:04d}-{month:02d}"))
    return list(reversed(periods))


def previous_weeks(now: datetime, count: int = 2) -> list[Period]:
    """Return the last ``count`` complete ISO weeks (Monday to Monday) before ``now``, oldest first."""
    monday = datetime(now.year, now.month, now.day, tzinfo=now.tzinfo) - timedelta(days=now.weekday())
    periods = []
    for i in range(count, 0, -1):
        start = monday - timedelta(weeks=i)
        iso = start.isocalendar()
        periods.append(Period(start, start + timedelta(weeks=1), f"{iso.year}-W{iso.week:02d}"))
    return periods


PERIODS = {"month": previous_months, "week": previous_weeks}


def inactive_flag(learner_id: int, last_activity: Optional[datetime], since: datetime, now: datetime,
                  days: int = INACTIVE_DAYS) -> Optional[Flag]:
    """Flag a learner with no recorded work for ``days`` days (counted from ``since`` if they never worked)."""
    reference = last_activity or since
    idle = (now - reference).days
    if idle < days:
        return None
    return Flag(INACTIVE, learner_id, f"{INACTIVE}:{learner_id}:{reference.date().isoformat()}",
                {"days": idle, "never": last_activity is None})


def overdue_flag(learner_id: int, assignments: Iterable, now: datetime) -> Optional[Flag]:
    """Flag a learner with at least one assignment past its due day and not done."""
    from app.services.assignments import display_status

    late = [a for a in assignments if display_status(a.status, a.due_on, now) == "overdue"]
    if not late:
        return None
    oldest = min(late, key=lambda a: a.due_on)
    return Flag(OVERDUE, learner_id, f"{OVERDUE}:{learner_id}:{oldest.id}",
                {"count": len(late), "title": oldest.target_title, "days": (now.date() - oldest.due_on).days})


def quiz_failed_twice_flags(learner_id: int, attempts: Iterable) -> list[Flag]:
    """Flag each quiz the learner has failed at least twice without passing it since.

    ``attempts`` are records with ``ref_key`` (the quiz), ``ref_id`` (the attempt),
    ``passed`` and ``occurred_at``.
    """
    by_quiz: dict[str, list] = {}
    for attempt in sorted(attempts, key=lambda a: a.occurred_at):
        by_quiz.setdefault(attempt.ref_key, []).append(attempt)
    flags = []
    for quiz_key, rows in by_quiz.items():
        last_pass = max((i for i, a in enumerate(rows) if a.passed), default=-1)
        fails = [a for a in rows[last_pass + 1:] if a.passed is False]
        if len(fails) >= 2:
            flags.append(Flag(QUIZ_FAILED_TWICE, learner_id, f"{QUIZ_FAILED_TWICE}:{learner_id}:{quiz_key}:{fails[1].ref_id}",
                              {"quiz": quiz_key, "fails": len(fails), "title": rows[-1].title or quiz_key}))
    return flags


def bottom_fraction(scores: dict[int, float], fraction: float = BOTTOM_FRACTION,
                    min_size: int = MIN_COHORT) -> set[int]:
    """Return the ids in the bottom ``fraction`` of ``scores`` (ties at the cut are all in).

    The cut keeps ``ceil(fraction × n)`` learners (at least one) once the cohort
    has ``min_size`` ranked members; a smaller cohort gives no one.
    """
    if len(scores) < min_size:
        return set()
    size = max(1, math.ceil(fraction * len(scores) - 1e-9))
    ordered = sorted(scores.values())
    cut = ordered[size - 1]
    return {user_id for user_id, score in scores.items() if score <= cut}


def bottom_of_cohorts(tiers: dict[int, str], scores: dict[int, float]) -> set[int]:
    """Return the learners in the bottom 10 % of their own tier for one period's scores."""
    by_tier: dict[str, dict[int, float]] = {}
    for user_id, score in scores.items():
        by_tier.setdefault(tiers.get(user_id, ""), {})[user_id] = score
    bottom: set[int] = set()
    for cohort in by_tier.values():
        bottom |= bottom_fraction(cohort)
    return bottom


def bottom_decile_flags(bottoms: list[set[int]], period_scores: list[dict[int, float]], periods: list[Period],
                        learner_ids: Iterable[int]) -> list[Flag]:
    """Flag learners who were in the bottom 10 % of their tier in every one of the given consecutive periods.

    ``bottoms`` holds, per period, who was in the bottom (``bottom_of_cohorts``);
    ``period_scores`` their mean score (0..1) over that period's quizzes and
    plays. Learners with no scored work in a period are not ranked in it (the
    inactivity flag covers them).
    """
    if not periods or len(bottoms) != len(periods):
        return []
    flagged = set.intersection(*bottoms)
    labels = [p.label for p in periods]
    return [
        Flag(BOTTOM_DECILE, user_id, f"{BOTTOM_DECILE}:{user_id}:{labels[-1]}",
             {"periods": labels, "scores": [round(s.get(user_id, 0.0) * 100) for s in period_scores]})
        for user_id in sorted(set(learner_ids) & flagged)
    ]


def missed_target_flag(learner_id: int, deals: Optional[list[DealFact]], months: list[Period],
                       target_won: int) -> Optional[Flag]:
    """Flag a seller who won fewer than ``target_won`` deals in each of the given months.

    Only sellers with deal data are judged: ``deals`` None means no CRM data for
    them (a new hire, say), which is not a miss.
    """
    if not deals or not months or target_won <= 0:
        return None
    won_per_month = []
    for period in months:
        won = sum(1 for d in deals if d.won and period.start.date() <= d.closed_on < period.end.date())
        won_per_month.append(won)
    if all(w < target_won for w in won_per_month):
        return Flag(MISSED_TARGET, learner_id, f"{MISSED_TARGET}:{learner_id}:{months[-1].label}",
                    {"periods": [p.label for p in months], "won": won_per_month, "target": target_won})
    return None


@dataclass(frozen=True)
class Kpi:
    """The mentor KPI for one pairing: the mentee's close rate against 60 % of the mentor's."""

    status: str  # no_data | met | on_track | behind | missed
    mentee_rate: Optional[float] = None
    mentor_rate: Optional[float] = None
    mentee_deals: int = 0
    deadline: Optional[date] = None

    @property
    def target_rate(self) -> Optional[float]:
        """Return the close rate the mentee must reach (60 % of the mentor's)."""
        return None if self.mentor_rate is None else KPI_SHARE * self.mentor_rate


def close_rate(deals: Iterable[DealFact]) -> Optional[float]:
    """Return won / closed, or None without closed deals."""
    deals = list(deals)
    return sum(d.won for d in deals) / len(deals) if deals else None


def pairing_kpi(start: date, mentee_deals: Optional[list[DealFact]], mentor_deals: Optional[list[DealFact]],
                now: datetime) -> Kpi:
    """Return whether, within 90 days of the pairing's start, the mentee's close rate reaches 60 % of the mentor's.

    The mentee's rate counts deals closed from the start to the deadline; the
    mentor's rate counts all their closed deals (their established level).
    Without closed deals on either side the answer is "no data".
    """
    deadline = start + timedelta(days=KPI_DAYS)
    window = [d for d in (mentee_deals or []) if start <= d.closed_on <= deadline]
    mentee_rate, mentor_rate = close_rate(window), close_rate(mentor_deals or [])
    if mentee_rate is None or not mentor_rate:
        return Kpi("no_data", mentee_rate, mentor_rate, len(window), deadline)
    reached = mentee_rate >= KPI_SHARE * mentor_rate
    if reached:
        status = "met"
    elif now.date() > deadline:
        status = "missed"
    else:
        status = "on_track" if mentee_rate >= 0.5 * KPI_SHARE * mentor_rate else "behind"
    return Kpi(status, mentee_rate, mentor_rate, len(window), deadline)
