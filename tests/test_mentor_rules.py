"""Due-date, status and flag rules with a frozen clock (no database)."""

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from app.services import flags
from app.services.assignments import derive_progress, display_status
from app.services.mentor_sources import DealFact
from app.services.mentoring import trend
from tests.factories_mentor import NOW, at


def event(kind, when, key="k", ref_id=1, score=None, passed=None, outcome=None, title=""):
    """Return an activity record without touching the database."""
    return SimpleNamespace(kind=kind, occurred_at=when, ref_key=key, ref_id=ref_id, score=score, passed=passed,
                           outcome=outcome, title=title)


# --- due dates and status ---------------------------------------------------------


@pytest.mark.parametrize(
    "status, due, expected",
    [
        ("not_started", NOW.date(), "not_started"),  # due today is not late yet
        ("not_started", NOW.date() - timedelta(days=1), "overdue"),
        ("in_progress", NOW.date() - timedelta(days=1), "overdue"),
        ("done", NOW.date() - timedelta(days=30), "done"),
        ("in_progress", NOW.date() + timedelta(days=3), "in_progress"),
    ],
)
def test_overdue_is_derived_from_the_due_date_and_now(status, due, expected):
    """Overdue means not done and the due day has passed; done work is never overdue."""
    assert display_status(status, due, NOW) == expected


def test_a_quiz_assignment_is_done_when_an_attempt_after_it_passes():
    """A failed attempt starts it; a later pass completes it; the best score and attempt are kept."""
    assigned = at(5)
    events = [
        event("quiz", at(10), score=0.95, passed=True, ref_id=1),  # before the assignment: ignored
        event("quiz", at(4), score=0.40, passed=False, ref_id=2),
        event("quiz", at(2), score=0.80, passed=True, ref_id=3),
    ]
    assert derive_progress("quiz", assigned, events[:2]).status == "in_progress"
    progress = derive_progress("quiz", assigned, events)
    assert progress.status == "done"
    assert progress.completed_at == at(2)
    assert progress.score == 0.80
    assert progress.result_ref == 3


def test_a_course_already_completed_counts_as_done():
    """Course completion is a state: an earlier completion completes the assignment."""
    events = [event("lesson", at(20)), event("course", at(15))]
    assert derive_progress("course", at(1), events).status == "done"
    assert derive_progress("course", at(1), events[:1]).status == "in_progress"
    assert derive_progress("course", at(1), []).status == "not_started"


def test_a_scenario_is_done_when_a_play_reaches_an_ending():
    """A finished play completes a scenario assignment, with its score."""
    progress = derive_progress("scenario", at(3), [event("play", at(1), score=0.7, outcome="won", ref_id=9)])
    assert (progress.status, progress.score, progress.result_ref) == ("done", 0.7, 9)


# --- flags ----------------------------------------------------------------------------


def test_inactivity_flag_after_seven_days():
    """Seven idle days raise the flag; six do not; never-active learners count from the pairing start."""
    assert flags.inactive_flag(1, at(6.9), at(100), NOW) is None
    flag = flags.inactive_flag(1, at(7), at(100), NOW)
    assert flag.kind == "inactive" and flag.params["days"] == 7 and flag.action == "note"
    assert flags.inactive_flag(1, None, at(3), NOW) is None
    assert flags.inactive_flag(1, None, at(8), NOW).params["never"] is True


def test_overdue_flag_counts_late_open_assignments():
    """Only open assignments past their due day count; the oldest is named."""
    items = [
        SimpleNamespace(id=1, status="done", due_on=NOW.date() - timedelta(days=9), target_title="Done"),
        SimpleNamespace(id=2, status="in_progress", due_on=NOW.date() - timedelta(days=2), target_title="B"),
        SimpleNamespace(id=3, status="not_started", due_on=NOW.date() - timedelta(days=5), target_title="A"),
        SimpleNamespace(id=4, status="not_started", due_on=NOW.date(), target_title="Today"),
    ]
    flag = flags.overdue_flag(7, items, NOW)
    assert flag.params == {"count": 2, "title": "A", "days": 5}
    assert flags.overdue_flag(7, items[:1] + items[3:], NOW) is None


def test_failed_the_same_quiz_twice():
    """Two failures of one quiz since the last pass raise one flag for that quiz, answered by assigning."""
    attempts = [
        event("quiz", at(9), key="q1", passed=False, ref_id=1),
        event("quiz", at(8), key="q2", passed=False, ref_id=2),
        event("quiz", at(7), key="q1", passed=False, ref_id=3),
        event("quiz", at(6), key="q2", passed=True, ref_id=4),
        event("quiz", at(5), key="q2", passed=False, ref_id=5),
    ]
    found = flags.quiz_failed_twice_flags(1, attempts)
    assert [(f.params["quiz"], f.params["fails"]) for f in found] == [("q1", 2)]
    assert found[0].action == "assign"
    # A pass after the failures clears it.
    assert flags.quiz_failed_twice_flags(1, attempts + [event("quiz", at(1), key="q1", passed=True, ref_id=6)]) == []


def test_bottom_fraction_needs_a_cohort_and_keeps_ties():
    """Ten learners: the lowest one; ties at the cut are all in; fewer than five: nobody."""
    scores = {i: i / 10 for i in range(10)}
    assert flags.bottom_fraction(scores) == {0}
    assert flags.bottom_fraction({**scores, 1: 0.0}) == {0, 1}
    assert flags.bottom_fraction({i: i / 10 for i in range(20)}) == {0, 1}
    assert flags.bottom_fraction({1: 0.1, 2: 0.9, 3: 0.5, 4: 0.4}) == set()


def test_bottom_decile_two_periods_in_a_row_within_the_same_tier():
    """Only a learner at the bottom of their tier in both periods is flagged; tiers are ranked apart."""
    periods = flags.previous_months(NOW, 2)
    tiers = {i: "new_hire" for i in range(10)} | {i: "core" for i in range(10, 20)}
    first = {i: 0.5 + i / 100 for i in range(20)} | {3: 0.1, 15: 0.05}
    second = {i: 0.5 + i / 100 for i in range(20)} | {3: 0.2, 4: 0.1, 15: 0.01}
    bottoms = [flags.bottom_of_cohorts(tiers, first), flags.bottom_of_cohorts(tiers, second)]
    assert bottoms == [{3, 15}, {4, 15}]
    found = flags.bottom_decile_flags(bottoms, [first, second], periods, learner_ids=range(20))
    assert [f.learner_id for f in found] == [15]  # 3 was bottom only in the first month, 4 only in the second
    assert found[0].params["periods"] == ["2026-09", "2026-10"]
    assert found[0].action == "plan"


def test_periods_are_the_last_complete_months_and_weeks():
    """Months and ISO weeks before now, oldest first, half-open."""
    months = flags.previous_months(datetime(2026, 1, 15, tzinfo=timezone.utc), 2)
    assert [m.label for m in months] == ["2025-11", "2025-12"]
    assert months[1].end == datetime(2026, 1, 1, tzinfo=timezone.utc)
    weeks = flags.previous_weeks(NOW, 2)  # NOW is a Monday
    assert [w.start.date() for w in weeks] == [date(2026, 11, 9), date(2026, 11, 16)]
    assert weeks[1].end.date() == date(2026, 11, 23)


def deal(won, day, owner=1):
    """Return a closed deal."""
    return DealFact(owner, won, day)


def test_missed_base_target_two_months_running():
    """Fewer won deals than the target in both previous months raises the flag; no deal data, no flag."""
    months = flags.previous_months(NOW, 2)  # September and October 2026
    weak = [deal(True, date(2026, 9, 10)), deal(False, date(2026, 10, 3))]
    assert flags.missed_target_flag(1, weak, months, target_won=2).params["won"] == [1, 0]
    strong = weak + [deal(True, date(2026, 10, 20)), deal(True, date(2026, 10, 21))]
    assert flags.missed_target_flag(1, strong, months, target_won=2) is None
    assert flags.missed_target_flag(1, None, months, target_won=2) is None


def test_mentor_kpi_within_ninety_days():
    """The mentee's close rate in the 90 days from the start against 60 % of the mentor's."""
    start = date(2026, 9, 1)
    mentor = [deal(True, date(2026, 5, 1))] * 5 + [deal(False, date(2026, 5, 2))] * 5  # 50 %
    met = [deal(True, date(2026, 9, 10)), deal(True, date(2026, 9, 20)), deal(False, date(2026, 10, 1))]
    kpi = flags.pairing_kpi(start, met, mentor, NOW)
    assert kpi.status == "met" and kpi.target_rate == pytest.approx(0.30)
    behind = [deal(False, date(2026, 9, 10))] * 9 + [deal(True, date(2026, 9, 11))]  # 10 %
    early = date(2026, 8, 1)  # its 90 days end on 30 October
    assert flags.pairing_kpi(early, behind, mentor, datetime(2026, 10, 1, tzinfo=timezone.utc)).status == "behind"
    assert flags.pairing_kpi(early, behind, mentor, NOW).status == "missed"
    late_only = [deal(True, date(2027, 1, 1))]  # after the 90 days: not counted
    assert flags.pairing_kpi(start, late_only, mentor, NOW).status == "no_data"
    assert flags.pairing_kpi(start, met, None, NOW).status == "no_data"


def test_trend_compares_recent_scores_with_earlier_ones():
    """Rising scores give a positive trend; one score gives none."""
    assert trend([0.5]) is None
    assert trend([0.4, 0.6]) == pytest.approx(0.2)
    assert trend([0.9, 0.9, 0.9, 0.5, 0.5, 0.5]) == pytest.approx(-0.4)
