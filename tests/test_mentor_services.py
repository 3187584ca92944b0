"""Mentoring services against the database: assigning, signals, notes, plans, inbox, flags."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from app import signals
from app.extensions import db
from app.models.mentoring import Assignment, InboxMessage, LearnerActivity
from app.models.types import utcnow
from app.services import assignments, mentoring, plays
from app.services.errors import Conflict, NotFound, ValidationError
from tests.factories import make_pairing, make_user
from tests.factories_roleplay import BUDGET, FixedClassifier, sync_fixture_scenarios
from tests.factories_mentor import (
    NOW,
    add_activity,
    at,
    make_assignment,
    make_course_target,
    make_mentor_with_mentees,
    make_note,
    make_plan,
    make_quiz_target,
    make_scenario_target,
)


def test_assign_a_scenario_to_several_mentees(app):
    """One assignment per mentee, each told in their inbox; the title is kept."""
    scenario = make_scenario_target(title="Budget objection")
    mentor, mentees = make_mentor_with_mentees(2)
    due = NOW.date() + timedelta(days=7)
    created = assignments.assign(mentor, [m.id for m in mentees], "scenario", scenario.slug, due, " Try it ", NOW)
    assert {a.assignee_id for a in created} == {m.id for m in mentees}
    stored = db.session.scalars(sa.select(Assignment)).all()
    assert [(a.target_title, a.status, a.message, a.due_on) for a in stored] == [
        ("Budget objection", "not_started", "Try it", due)] * 2
    inbox = db.session.scalars(sa.select(InboxMessage).where(InboxMessage.kind == "assignment_new")).all()
    assert sorted(m.recipient_id for m in inbox) == sorted(m.id for m in mentees)


@pytest.mark.parametrize(
    "kind, key, due_days, field",
    [
        ("webinar", "x", 3, "kind"),
        ("scenario", "", 3, "target"),
        ("scenario", "no-such-scenario", 3, "target"),
        ("scenario", "SCENARIO", -1, "due_on"),
        ("scenario", "SCENARIO", 400, "due_on"),
    ],
)
def test_assign_rejects_bad_input_naming_the_field(app, kind, key, due_days, field):
    """Unknown kinds and targets, past or far-away due dates are refused with the field named."""
    scenario = make_scenario_target()
    mentor, (mentee,) = make_mentor_with_mentees(1)
    key = scenario.slug if key == "SCENARIO" else key
    with pytest.raises(ValidationError) as error:
        assignments.assign(mentor, [mentee.id], kind, key, NOW.date() + timedelta(days=due_days), "", NOW)
    assert error.value.field == field
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0


def test_assign_refuses_someone_elses_mentee(app):
    """A learner who is not the assigner's active mentee is NotFound, and nothing is created for anyone."""
    scenario = make_scenario_target()
    mentor, (mine,) = make_mentor_with_mentees(1)
    _other_mentor, (theirs,) = make_mentor_with_mentees(1)
    with pytest.raises(NotFound):
        assignments.assign(mentor, [mine.id, theirs.id], "scenario", scenario.slug, NOW.date(), "", NOW)
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0


def test_an_ended_pairing_ends_the_mentors_rights(app):
    """After the pairing ends the mentor can no longer assign or see the learner."""
    scenario = make_scenario_target()
    mentor = make_user("mentor")
    mentee = make_user("learner")
    make_pairing(mentor, mentee, ended_on=NOW.date())
    with pytest.raises(NotFound):
        assignments.assign(mentor, [mentee.id], "scenario", scenario.slug, NOW.date(), "", NOW)
    with pytest.raises(NotFound):
        mentoring.build_mentee_page(mentor, mentee.id, NOW)


def test_signals_move_a_quiz_assignment_along_and_tell_the_mentor(app):
    """A failed attempt starts it, a passed one completes it; the assigner gets one inbox message."""
    quiz = make_quiz_target(title="Objections quiz")
    mentor, (mentee,) = make_mentor_with_mentees(1)
    now = utcnow()
    (assignment,) = assignments.assign(mentor, [mentee.id], "quiz", str(quiz.id), now.date() + timedelta(days=2), "", now)
    sender = current_app._get_current_object()
    signals.quiz_attempt_finished.send(sender, user_id=mentee.id, quiz_id=quiz.id, attempt_id=41, score=0.4, passed=False)
    db.session.refresh(assignment)
    assert (assignment.status, assignment.score) == ("in_progress", 0.4)
    signals.quiz_attempt_finished.send(sender, user_id=mentee.id, quiz_id=quiz.id, attempt_id=42, score=0.9, passed=True)
    signals.quiz_attempt_finished.send(sender, user_id=mentee.id, quiz_id=quiz.id, attempt_id=42, score=0.9, passed=True)
    db.session.refresh(assignment)
    assert (assignment.status, assignment.score, assignment.result_ref) == ("done", 0.9, 42)
    done = db.session.scalars(sa.select(InboxMessage).where(InboxMessage.kind == "assignment_done")).all()
    assert [(m.recipient_id, m.learner_id) for m in done] == [(mentor.id, mentee.id)]
    assert db.session.scalar(sa.select(sa.func.count(LearnerActivity.id))) == 2  # the repeat was not recorded twice


def test_play_signals_complete_a_scenario_assignment(app):
    """A saved step marks it in progress (in the step's own commit); a finished play completes it with its score."""
    sync_fixture_scenarios()
    mentor, (mentee,) = make_mentor_with_mentees(1)
    now = utcnow()
    (assignment,) = assignments.assign(mentor, [mentee.id], "scenario", BUDGET, now.date(), "", now)
    play = plays.start_play(mentee, BUDGET)
    with signals.play_step_saved.muted():  # nothing after the step's commit is needed
        plays.submit_step(play, 0, choice=0)
    db.session.refresh(assignment)
    assert assignment.status == "in_progress" and assignment.started_at is not None
    sender = current_app._get_current_object()
    signals.play_finished.send(sender, user_id=mentee.id, play_id=7, scenario_slug=BUDGET, outcome="won", score=0.75)
    db.session.refresh(assignment)
    assert (assignment.status, assignment.score, assignment.result_ref) == ("done", 0.75, 7)


def test_later_play_steps_leave_a_started_assignment_alone_with_one_read(app):
    """Only the step that starts the assignment writes it; the next steps read it once and commit only the step."""
    sync_fixture_scenarios()
    mentor, (mentee,) = make_mentor_with_mentees(1)
    now = utcnow()
    (assignment,) = assignments.assign(mentor, [mentee.id], "scenario", BUDGET, now.date(), "", now)
    play = plays.start_play(mentee, BUDGET)
    plays.submit_step(play, 0, choice=0)
    db.session.refresh(assignment)
    started_at = assignment.started_at
    statements, commits = [], []

    def on_statement(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    def on_commit(connection):
        commits.append(connection)

    sa.event.listen(db.engine, "before_cursor_execute", on_statement)
    sa.event.listen(db.engine, "commit", on_commit)
    try:
        plays.submit_step(play, 1, text="这会带来什么影响？", classifier=FixedClassifier("implication"))  # typed
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", on_statement)
        sa.event.remove(db.engine, "commit", on_commit)
    assert len(commits) == 1
    assert not [s for s in statements if s.startswith("UPDATE assignment")]
    assert len([s for s in statements if "FROM assignment" in s]) == 1
    db.session.refresh(assignment)
    assert (assignment.status, assignment.started_at) == ("in_progress", started_at)


def test_course_signals_complete_a_course_assignment(app):
    """A lesson starts it; the course completion finishes it."""
    course = make_course_target(title="SPIN basics")
    mentor, (mentee,) = make_mentor_with_mentees(1)
    now = utcnow()
    (assignment,) = assignments.assign(mentor, [mentee.id], "course", course.slug, now.date(), "", now)
    sender = current_app._get_current_object()
    signals.lesson_completed.send(sender, user_id=mentee.id, course_slug=course.slug, lesson_id=3)
    db.session.refresh(assignment)
    assert assignment.status == "in_progress"
    signals.course_completed.send(sender, user_id=mentee.id, course_slug=course.slug)
    db.session.refresh(assignment)
    assert assignment.status == "done"


def test_a_receiver_failure_never_breaks_the_sender(app, caplog):
    """Bad signal data is logged and rolled back; the send itself succeeds."""
    from app.services import mentor_events

    mentor_events.on_quiz_attempt_finished(current_app._get_current_object(), user_id=1, quiz_id=1, attempt_id="x")
    assert "mentor receiver" in caplog.text


def test_refresh_repairs_a_missed_signal(app):
    """Work recorded without the receivers is picked up by refresh_statuses."""
    mentor, (mentee,) = make_mentor_with_mentees(1)
    assignment = make_assignment(mentor, mentee, kind="scenario", key="s1", created_at=at(3, utcnow()))
    add_activity(mentee, "play", "s1", 5, when=at(1, utcnow()), score=0.6, outcome="won")
    assert assignments.refresh_statuses() == 1
    db.session.refresh(assignment)
    assert (assignment.status, assignment.score) == ("done", 0.6)


def test_withdraw_and_move_only_own_mentees_assignments(app):
    """Another mentor's assignment is NotFound; moving into the past is refused."""
    mentor, (mentee,) = make_mentor_with_mentees(1)
    other, (theirs,) = make_mentor_with_mentees(1)
    mine = make_assignment(mentor, mentee)
    foreign = make_assignment(other, theirs)
    with pytest.raises(NotFound):
        assignments.withdraw(mentor, foreign.id)
    with pytest.raises(ValidationError):
        assignments.change_due_date(mentor, mine.id, utcnow().date() - timedelta(days=1), utcnow())
    assert assignments.withdraw(mentor, mine.id) == mentee.id
    assert db.session.get(Assignment, mine.id) is None


def test_learner_sees_overdue_first_then_by_due_date(app):
    """Overdue, then open by due date, then done."""
    mentor, (mentee,) = make_mentor_with_mentees(1)
    today = utcnow().date()
    later = make_assignment(mentor, mentee, key="later", due_on=today + timedelta(days=9))
    done = make_assignment(mentor, mentee, key="done", due_on=today - timedelta(days=9), status="done")
    soon = make_assignment(mentor, mentee, key="soon", due_on=today + timedelta(days=1))
    late = make_assignment(mentor, mentee, key="late", due_on=today - timedelta(days=2))
    page = mentoring.build_learner_page(mentee, utcnow())
    assert [a.id for a in page.assignments] == [late.id, soon.id, later.id, done.id]


def test_notes_are_private_unless_shared(app):
    """The author and admins see a private note; the mentee and other mentors only shared ones."""
    mentor, (mentee,) = make_mentor_with_mentees(1)
    admin = make_user("admin")
    private = mentoring.add_note(mentor, mentee.id, "Needs work on closing", False, None, utcnow())
    shared = mentoring.add_note(mentor, mentee.id, "Great discovery call", True, None, utcnow())
    assert {n.id for n in mentoring.notes_visible_to(mentor, mentee.id)} == {private.id, shared.id}
    assert {n.id for n in mentoring.notes_visible_to(admin, mentee.id)} == {private.id, shared.id}
    assert [n.id for n in mentoring.shared_notes_for(mentee)] == [shared.id]
    kinds = db.session.scalars(sa.select(InboxMessage.kind).where(InboxMessage.recipient_id == mentee.id)).all()
    assert kinds == ["note_shared"]


def test_notes_reject_empty_text_and_strangers(app):
    """Empty notes and notes on someone else's mentee are refused; only the author edits."""
    mentor, (mentee,) = make_mentor_with_mentees(1)
    other, _ = make_mentor_with_mentees(1)
    with pytest.raises(ValidationError):
        mentoring.add_note(mentor, mentee.id, "   ", False, None, utcnow())
    with pytest.raises(NotFound):
        mentoring.add_note(other, mentee.id, "hello", False, None, utcnow())
    note = make_note(mentor, mentee)
    with pytest.raises(NotFound):
        mentoring.update_note(other, note.id, "changed", True, utcnow())
    mentoring.update_note(mentor, note.id, "changed", True, utcnow())
    assert (note.body, note.shared) == ("changed", True)


def test_a_thirty_day_plan_from_opening_to_outcome(app):
    """Open with actions, tick one (as the mentee), check in, close; a second open plan is refused."""
    mentor, (mentee,) = make_mentor_with_mentees(1)
    now = utcnow()
    plan = mentoring.open_plan(mentor, mentee.id, None, "bottom 10 % twice", "Pass the objection quiz",
                               [("Role-play budget objection", now.date() + timedelta(days=5)), ("", None)], now)
    assert (plan.ends_on - plan.starts_on).days == 30
    assert [a.text for a in plan.actions] == ["Role-play budget objection"]
    with pytest.raises(Conflict):
        mentoring.open_plan(mentor, mentee.id, None, "", "Again", [], now)
    with pytest.raises(ValidationError):
        mentoring.add_action(mentor, plan.id, "Too late", now.date() + timedelta(days=40))
    mentoring.set_action_done(mentee, plan.actions[0].id, True, now)
    assert plan.actions[0].done_on == now.date()
    mentoring.add_check_in(mentor, plan.id, None, "Better objection handling", now)
    mentoring.close_plan(mentor, plan.id, "met", "Passed the quiz at 85 %", now)
    assert (plan.status, plan.result) == ("closed", "met")
    with pytest.raises(Conflict):
        mentoring.add_check_in(mentor, plan.id, None, "after close", now)


def test_plans_are_out_of_reach_for_other_people(app):
    """Another mentor and another learner cannot touch the plan."""
    mentor, (mentee,) = make_mentor_with_mentees(1)
    other, (stranger,) = make_mentor_with_mentees(1)
    plan = make_plan(mentor, mentee)
    for viewer in (other, stranger):
        with pytest.raises(NotFound):
            mentoring.add_check_in(viewer, plan.id, None, "hi", utcnow())
        with pytest.raises(NotFound):
            mentoring.set_action_done(viewer, plan.actions[0].id, True, utcnow())


def test_inbox_read_marks_only_own_messages(app):
    """A user marks their own messages read; someone else's message id is NotFound."""
    mentor, (mentee,) = make_mentor_with_mentees(1)
    message = mentoring.send_message(mentor, mentee.id, "Call me", utcnow())
    assert mentoring.unread_count(mentee) == 1
    with pytest.raises(NotFound):
        mentoring.mark_read(mentor, message.id, utcnow())
    assert mentoring.mark_read(mentee, None, utcnow()) == 1
    assert mentoring.unread_count(mentee) == 0


def test_mentor_page_gathers_trends_flags_and_path(app):
    """Quiz average and trend, per-dimension role-play, path progress and flags come out of one build."""
    course_a = make_course_target(tier="new_hire")
    make_course_target(tier="new_hire")
    mentor, (active, idle) = make_mentor_with_mentees(2, start_date=(NOW - timedelta(days=60)).date())
    add_activity(active, "quiz", "3", 1, when=at(5), score=0.4, passed=False)
    add_activity(active, "quiz", "3", 2, when=at(4), score=0.5, passed=False)
    add_activity(active, "play", "s", 3, when=at(1), score=0.8, outcome="won",
                 dimensions={"rapport": 0.9, "closing": 0.5})
    add_activity(active, "course", course_a.slug, 0, when=at(2))
    make_assignment(mentor, active, due_on=NOW.date() - timedelta(days=1))
    page = mentoring.build_mentor_page(mentor, NOW, sort="name")
    rows = {r.facts.user.id: r for r in page.rows}
    facts = rows[active.id].facts
    assert facts.quiz_average == pytest.approx(0.45)
    assert facts.quiz_trend == pytest.approx(0.1)
    assert facts.dimension_latest == {"closing": 0.5, "rapport": 0.9}
    assert (facts.path_done, facts.path_total) == (1, 2)
    assert {f.kind for f in facts.flags} == {"overdue", "quiz_failed_twice"}
    assert {f.kind for f in rows[idle.id].facts.flags} == {"inactive"}
    assert rows[active.id].kpi.status == "no_data"
    assert [r.facts.user.id for r in mentoring.sort_rows(page.rows, "flags", NOW)][0] == active.id


def test_bottom_decile_flag_uses_the_tier_cohort(app):
    """A mentee at the bottom of their tier in September and October is flagged."""
    mentor, mentees = make_mentor_with_mentees(10, start_date=(NOW - timedelta(days=90)).date())
    for i, mentee in enumerate(mentees):
        for month in (9, 10):
            score = 0.1 if i == 0 else 0.5 + i / 50
            add_activity(mentee, "quiz", "1", month * 100 + i, when=NOW.replace(month=month, day=10), score=score,
                         passed=score > 0.6)
        add_activity(mentee, "lesson", "c", i, when=at(1))
    page = mentoring.build_mentor_page(mentor, NOW)
    flagged = [r.facts.user.id for r in page.rows if any(f.kind == "bottom_decile" for f in r.facts.flags)]
    assert flagged == [mentees[0].id]


def test_scan_flags_fills_inboxes_once(app):
    """A flag reaches the mentor's inbox once, however often the scan runs."""
    mentor, (mentee,) = make_mentor_with_mentees(1, start_date=(NOW - timedelta(days=30)).date())
    assert mentoring.scan_flags(NOW) == 1
    assert mentoring.scan_flags(NOW) == 0
    (message,) = db.session.scalars(sa.select(InboxMessage)).all()
    assert (message.recipient_id, message.kind, message.learner_id) == (mentor.id, "flag_inactive", mentee.id)


def test_scan_flags_command(runner, app):
    """`flask mentor scan-flags --now` reports how many flags it sent; a bad --now is a clear error."""
    make_mentor_with_mentees(2, start_date=(NOW - timedelta(days=30)).date())
    result = runner.invoke(args=["mentor", "scan-flags", "--now", "2026-11-23T09:00"])
    assert result.exit_code == 0, result.output
    assert "2 new flag(s)" in result.output
    bad = runner.invoke(args=["mentor", "scan-flags", "--now", "yesterday"])
    assert bad.exit_code != 0 and "--now" in bad.output


def test_kpi_and_missed_target_read_the_deal_data(app):
    """With deals imported, the pairing KPI and the missed-target flag use them."""
    from datetime import datetime, timezone

    from app.models.deals import Deal

    start = (NOW - timedelta(days=80)).date()
    mentor, (mentee,) = make_mentor_with_mentees(1, start_date=start)
    add_activity(mentee, "lesson", "c", 1, when=at(1))

    def deal(owner, outcome, day):
        db.session.add(Deal(deal_id=f"D{owner.id}-{day}-{outcome}", outcome=outcome, owner_id=owner.id,
                            closed_at=datetime(2026, day // 100, day % 100, tzinfo=timezone.utc)))

    for day in (501, 502, 503, 504):
        deal(mentor, "won", day)
    for day in (505, 506, 507, 508):
        deal(mentor, "lost", day)  # mentor: 50 %
    deal(mentee, "won", 915)
    deal(mentee, "lost", 1010)
    deal(mentee, "lost", 1012)  # mentee: 33 % ≥ 30 %; one win in September, none in October
    deal(mentee, "open", 1015)
    db.session.commit()
    (row,) = mentoring.build_mentor_page(mentor, NOW).rows
    assert row.kpi.status == "met"
    assert row.kpi.mentee_rate == pytest.approx(1 / 3) and row.kpi.mentor_rate == pytest.approx(0.5)
    current_app.config["MENTOR_BASE_TARGET_WON"] = 2
    (row,) = mentoring.build_mentor_page(mentor, NOW).rows
    assert [f.params["won"] for f in row.facts.flags if f.kind == "missed_target"] == [[1, 0]]


def test_rerank_picks_up_late_work(app, runner):
    """Standings are stored once; work recorded later counts after `flask mentor rerank`."""
    from app.models.mentoring import PeriodStanding

    mentor, mentees = make_mentor_with_mentees(6, start_date=(NOW - timedelta(days=90)).date())
    for i, mentee in enumerate(mentees[:5]):
        for month in (9, 10):
            add_activity(mentee, "quiz", "1", month * 100 + i, when=NOW.replace(month=month, day=5), score=0.5 + i / 10)
    mentoring.build_mentor_page(mentor, NOW)
    assert db.session.scalar(sa.select(sa.func.count(PeriodStanding.id))) == 10
    late = mentees[5]
    for month in (9, 10):
        add_activity(late, "quiz", "1", month * 100 + 9, when=NOW.replace(month=month, day=6), score=0.01)
    result = runner.invoke(args=["mentor", "rerank", "--now", NOW.isoformat()])
    assert result.exit_code == 0 and "12 learner standing(s)" in result.output
    (row,) = [r for r in mentoring.build_mentor_page(mentor, NOW).rows if r.facts.user.id == late.id]
    assert "bottom_decile" in {f.kind for f in row.facts.flags}
