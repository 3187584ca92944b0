"""xAPI statements: built from real learner work through the signals, stored in the outbox, exported valid."""

import json
import uuid

import pytest
import sqlalchemy as sa

from app import signals
from app.extensions import db
from app.models.xapi import XapiStatement
from app.models.roleplay import Play, PlayStep
from app.services import library, plays, xapi
from app.services import quiz_attempts as qa
from tests.factories import make_user
from tests.factories_library import make_course
from tests.factories_ops import XAPI_DATA, FakeLrs, assert_valid, statement_validator
from tests.factories_quiz import make_quiz, perfect_responses
from tests.factories_roleplay import BUDGET, play_through, sync_fixture_scenarios, use_small_corpus

BASE = "https://rehearse.example/xapi"
VERB = "http://adlnet.gov/expapi/verbs/"
WIN = [0, ("implication", "这会带来什么影响？"), 0]


@pytest.fixture
def validator():
    """The shared xAPI statement schema (skips when shared/data is absent)."""
    return statement_validator()


def outbox(verb: str | None = None) -> list[dict]:
    """Return the stored statements (of one ADL verb), oldest first."""
    query = sa.select(XapiStatement).order_by(XapiStatement.id)
    if verb:
        query = query.where(XapiStatement.verb == VERB + verb)
    return [row.statement for row in db.session.scalars(query)]


def test_the_shared_schema_accepts_the_examples_and_refuses_the_invalid_files(validator):
    """The validator used below is the real one: spec examples pass, the invalid conformance files fail."""
    for path in [XAPI_DATA / "spec-examples" / "appendix-a-1-simple.json",
                 XAPI_DATA / "spec-examples" / "appendix-a-2-attempted.json",
                 *sorted((XAPI_DATA / "conformance" / "valid").glob("[duv]*.json"))]:
        assert_valid(validator, json.loads(path.read_text(encoding="utf-8")))
    for path in sorted((XAPI_DATA / "conformance" / "invalid").glob("*.json")):
        assert not validator.is_valid(json.loads(path.read_text(encoding="utf-8"))), path.name


def test_a_completed_lesson_and_course_become_completed_statements(app, validator):
    """Each lesson read, then the whole course: 'completed' with actor, parent course, language and timestamp."""
    learner = make_user(name="Li Lei", email="li.lei@example.com")
    course = make_course(slug="spin-basics", lang="en", title="SPIN basics", lessons=2)
    library.complete_lesson(learner, "spin-basics", "01-part")
    library.complete_lesson(learner, "spin-basics", "02-part")
    statements = outbox("completed")
    assert len(statements) == 3
    for statement in statements:
        assert_valid(validator, statement)
        assert statement["actor"] == {"objectType": "Agent", "name": "Li Lei", "mbox": "mailto:li.lei@example.com"}
        assert statement["context"]["platform"] == "Rehearse" and statement["context"]["language"] == "en"
        assert statement["timestamp"].endswith("Z") and uuid.UUID(statement["id"]).version == 5
    lesson = statements[0]
    assert lesson["object"]["id"] == f"{BASE}/courses/spin-basics/lessons/01-part"
    assert lesson["object"]["definition"] == {"type": "http://adlnet.gov/expapi/activities/lesson",
                                              "name": {"en": "Part 1"}}
    assert lesson["context"]["contextActivities"]["parent"][0]["id"] == f"{BASE}/courses/spin-basics"
    assert lesson["result"] == {"completion": True}
    whole = statements[2]
    assert whole["object"]["id"] == f"{BASE}/courses/spin-basics" and whole["result"]["completion"] is True
    assert course.id and db.session.scalar(sa.select(XapiStatement.user_id).limit(1)) == learner.id


def test_a_repeated_signal_or_a_second_reading_stores_nothing_twice(app):
    """Statement ids come from the event: reading a lesson again (or a replayed signal) adds no row."""
    learner = make_user()
    make_course(slug="c1", lessons=1)
    library.complete_lesson(learner, "c1", "01-part")
    first = outbox()
    from app import signals

    lesson_id = db.session.scalar(sa.select(db.metadata.tables["lesson"].c.id))
    signals.lesson_completed.send(app, user_id=learner.id, course_slug="c1", lesson_id=lesson_id)
    library.complete_lesson(learner, "c1", "01-part")
    assert outbox() == first


def test_a_quiz_attempt_gives_attempted_answered_and_passed(app, validator):
    """A graded attempt: 'attempted', one 'answered' per question (scored), then 'passed' with score and duration."""
    quiz, learner = make_quiz(title="SPIN check"), make_user()
    attempt = qa.start_attempt(quiz, learner)
    qa.submit_attempt(attempt.id, learner, attempt.submit_token, perfect_responses(attempt))
    statements = outbox()
    for statement in statements:
        assert_valid(validator, statement)
    verbs = [s["verb"]["id"].rsplit("/", 1)[1] for s in statements]
    assert verbs == ["attempted"] + ["answered"] * 6 + ["passed"]
    registrations = {s["context"]["registration"] for s in statements}
    assert len(registrations) == 1
    passed = statements[-1]
    assert passed["object"]["id"] == f"{BASE}/quizzes/{quiz.id}"
    assert passed["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/assessment"
    assert passed["result"]["score"] == {"scaled": 1.0} and passed["result"]["success"] is True
    assert passed["result"]["completion"] is True and passed["result"]["duration"].startswith("PT")
    answered = statements[1]
    assert answered["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/cmi.interaction"
    assert answered["context"]["contextActivities"]["parent"][0]["id"] == passed["object"]["id"]
    interaction_types = {s["object"]["definition"]["interactionType"] for s in statements[1:-1]}
    assert interaction_types == {"choice", "true-false", "fill-in", "numeric", "matching"}


def test_a_failed_attempt_is_failed_with_its_score(app, validator):
    """No answers at all: 'failed', success false, scaled score 0."""
    quiz, learner = make_quiz(), make_user()
    attempt = qa.start_attempt(quiz, learner)
    qa.submit_attempt(attempt.id, learner, attempt.submit_token, {})
    failed = outbox("failed")
    assert len(failed) == 1 and failed[0]["result"]["success"] is False
    assert failed[0]["result"]["score"]["scaled"] == 0.0
    assert_valid(validator, failed[0])


def test_a_role_play_gives_a_statement_per_step_and_one_for_the_ending(app, validator):
    """Start, each saved step (response, technique, SPIN label) and the won ending with score and rubric."""
    use_small_corpus(app)
    sync_fixture_scenarios()
    learner = make_user()
    play = play_through(learner, BUDGET, WIN)
    statements = outbox()
    for statement in statements:
        assert_valid(validator, statement)
    verbs = [s["verb"]["id"].rsplit("/", 1)[1] for s in statements]
    assert verbs == ["attempted", "answered", "answered", "answered", "completed"]
    scenario_iri = f"{BASE}/scenarios/{BUDGET}"
    assert statements[0]["object"]["id"] == scenario_iri
    assert statements[0]["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/simulation"
    typed = statements[2]
    assert typed["object"]["id"].startswith(scenario_iri + "/nodes/")
    assert typed["object"]["definition"]["interactionType"] == "long-fill-in"
    assert typed["result"]["response"] == "这会带来什么影响？"
    assert typed["result"]["extensions"][f"{BASE}/extensions/spin-label"] == "implication"
    assert typed["context"]["contextActivities"]["parent"][0]["id"] == scenario_iri
    assert typed["context"]["language"] == "zh"
    ending = statements[-1]
    assert ending["result"]["success"] is True and ending["result"]["completion"] is True
    assert ending["result"]["score"]["scaled"] == pytest.approx(play.score, abs=1e-4)
    assert ending["result"]["extensions"][f"{BASE}/extensions/outcome"] == "won"
    assert len({s["context"]["registration"] for s in statements}) == 1


def test_starting_a_play_stores_attempted_once_and_a_restart_stores_its_own(app):
    """'attempted' is stored when the play starts, before any answer; resuming adds nothing; a restart is a new play."""
    sync_fixture_scenarios()
    learner = make_user()
    first = plays.start_play(learner, BUDGET)
    stored = outbox()
    assert [s["verb"]["display"]["en-US"] for s in stored] == ["attempted"]
    assert stored[0]["id"] == xapi.play_statements(first.id)[0]["id"]
    assert plays.start_play(learner, BUDGET).id == first.id and len(outbox()) == 1
    again = plays.start_play(learner, BUDGET, restart=True)
    assert again.id != first.id
    starts = {xapi.play_statements(play_id)[0]["id"] for play_id in (first.id, again.id)}
    assert {s["id"] for s in outbox()} == starts and len(outbox()) == 2


def test_each_step_stores_its_own_statement_and_the_ending_brings_back_a_missed_one(app):
    """A step adds its 'answered' (the start has its own); a step whose statement was not built is stored at the ending."""
    use_small_corpus(app)
    sync_fixture_scenarios()
    learner = make_user()
    with signals.play_step_saved.muted():  # the statements go in with the step's own commit, not after it
        play = play_through(learner, BUDGET, WIN[:1])
    assert [s["verb"]["display"]["en-US"] for s in outbox()] == ["attempted", "answered"]
    with signals.play_step_saving.muted():  # as if building this step's statements had failed
        play_through(learner, BUDGET, WIN[1:2], restart=False)
    assert len(outbox()) == 2
    play_through(learner, BUDGET, WIN[2:], restart=False)
    stored = outbox()
    assert sorted(s["id"] for s in stored) == sorted(s["id"] for s in xapi.play_statements(play.id))
    answered = [s for s in stored if s["verb"]["id"] == VERB + "answered"]
    steps = [s["result"]["extensions"][f"{BASE}/extensions/step"] for s in answered]
    assert sorted(steps) == [0, 1, 2] and len(stored) == 5


def test_a_step_and_its_statements_commit_or_roll_back_together(app):
    """The 'answered' row is in the step's own transaction: when that transaction fails, neither is kept."""
    use_small_corpus(app)
    sync_fixture_scenarios()
    learner = make_user()
    play = plays.start_play(learner, BUDGET)
    seen = []

    def fail_the_commit(sender, **fields):
        def add(step_id):
            seen.append([s["verb"]["display"]["en-US"] for s in outbox()])  # staged, not committed yet
            raise RuntimeError("the step's transaction fails here")
        return add

    signals.play_step_saving.connect(fail_the_commit)  # connected after the outbox's receiver, so runs after it
    try:
        with pytest.raises(RuntimeError):
            plays.submit_step(play, 0, choice=0)
    finally:
        signals.play_step_saving.disconnect(fail_the_commit)
    db.session.rollback()
    assert seen == [["attempted", "answered"]]
    assert [s["verb"]["display"]["en-US"] for s in outbox()] == ["attempted"]  # stored when the play started
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlayStep)) == 0
    plays.submit_step(db.session.get(Play, play.id), 0, choice=0)
    assert [s["verb"]["display"]["en-US"] for s in outbox()] == ["attempted", "answered"]


def test_a_failing_receiver_of_a_step_is_logged_and_the_step_keeps_the_others(app, caplog):
    """Outside tests, a receiver that cannot prepare its rows is logged; the step and the statements still save."""
    use_small_corpus(app)
    sync_fixture_scenarios()
    play = plays.start_play(make_user(), BUDGET)

    def broken(sender, **fields):
        raise RuntimeError("cannot prepare")

    signals.play_step_saving.connect(broken)
    app.testing = False
    try:
        plays.submit_step(play, 0, choice=0)
    finally:
        app.testing = True
        signals.play_step_saving.disconnect(broken)
    assert "play-step-saving: receiver broken failed" in caplog.text and "cannot prepare" in caplog.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlayStep)) == 1
    assert [s["verb"]["display"]["en-US"] for s in outbox()] == ["attempted", "answered"]


def test_the_base_iri_is_configurable_and_ids_differ_between_organisations(app):
    """Activities live under XAPI_BASE_IRI; the same event in another organisation gets another id."""
    app.config["XAPI_BASE_IRI"] = "https://learn.acme.test/xapi/"
    learner = make_user()
    make_course(slug="c2", lessons=1)
    library.complete_lesson(learner, "c2", "01-part")
    statement = outbox()[0]
    assert statement["object"]["id"] == "https://learn.acme.test/xapi/courses/c2/lessons/01-part"
    assert xapi.statement_uuid("https://a.test/xapi", "k") != xapi.statement_uuid("https://b.test/xapi", "k")
    assert xapi.statement_uuid("https://a.test/xapi", "k") == xapi.statement_uuid("https://a.test/xapi", "k")


def test_learner_requests_never_talk_to_the_lrs(app, client, login_as):
    """With an LRS configured, finishing a lesson over HTTP stores a pending statement and sends nothing."""
    with FakeLrs() as lrs:
        app.config["XAPI_LRS_URL"] = lrs.url
        login_as("learner")
        make_course(slug="c3", lessons=1, lang="en")
        response = client.post("/learn/courses/c3/lessons/01-part/done")
        assert response.status_code == 302
        assert lrs.requests == []
    rows = list(db.session.scalars(sa.select(XapiStatement)))
    assert [(row.status, row.tries) for row in rows] == [("pending", 0), ("pending", 0)]  # lesson and course


def test_iso_durations():
    """Durations are ISO 8601 with at most two decimals of seconds."""
    from datetime import datetime, timedelta, timezone

    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert xapi.iso_duration(start, start + timedelta(seconds=5)) == "PT5S"
    assert xapi.iso_duration(start, start + timedelta(hours=1, minutes=2, seconds=3.456)) == "PT1H2M3.46S"
    assert xapi.iso_duration(start, None) is None


def test_a_failing_receiver_never_breaks_the_learners_work(app, caplog):
    """Outside tests a receiver error is logged and rolled back; the lesson stays completed."""
    app.testing = False
    app.config["XAPI_BASE_IRI"] = None  # a broken setting makes every statement fail to build
    learner = make_user()
    make_course(slug="c4", lessons=1)
    library.complete_lesson(learner, "c4", "01-part")
    progress = db.metadata.tables["lesson_progress"]
    assert db.session.scalar(sa.select(progress.c.completed_at).where(progress.c.user_id == learner.id))
    assert outbox() == []
    assert "xapi: on_lesson_completed failed" in caplog.text
