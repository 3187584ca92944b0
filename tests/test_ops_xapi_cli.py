"""`flask xapi export|push|backfill|status`: valid files, a real fake LRS that fails and recovers, nothing lost."""

import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.xapi import XapiStatement
from app.services import library, plays, xapi_outbox
from tests.factories import make_user
from tests.factories_library import make_course
from tests.factories_roleplay import BUDGET, sync_fixture_scenarios
from tests.factories_ops import FakeLrs, assert_valid, free_port, statement_validator


def make_statements(n_lessons: int = 5) -> list[str]:
    """Have a learner read ``n_lessons`` lessons (one statement each, plus the course); return the ids."""
    learner = make_user()
    make_course(slug="c", lessons=n_lessons, lang="en")
    for i in range(1, n_lessons + 1):
        library.complete_lesson(learner, "c", f"{i:02d}-part")
    return list(db.session.scalars(sa.select(XapiStatement.statement_id).order_by(XapiStatement.id)))


def statuses() -> dict:
    """Return {statement id: status} of the outbox."""
    db.session.expire_all()
    return dict(db.session.execute(sa.select(XapiStatement.statement_id, XapiStatement.status)).all())


@pytest.fixture
def lrs(app):
    """A fake LRS on a loopback port, configured as the app's LRS with fast retries."""
    with FakeLrs() as server:
        app.config.update(XAPI_LRS_URL=server.url, XAPI_LRS_USERNAME="rehearse", XAPI_LRS_PASSWORD="s3cret",
                          XAPI_PUSH_BACKOFF=0.01, XAPI_PUSH_RETRIES=2, XAPI_PUSH_BATCH_SIZE=50)
        yield server


# --- export --------------------------------------------------------------------------------------

def test_export_writes_a_json_array_of_valid_statements(app, runner, tmp_path):
    """--out FILE gets a JSON array, oldest first; every statement passes the shared schema."""
    validator = statement_validator()
    ids = make_statements(3)
    out = tmp_path / "statements.json"
    result = runner.invoke(args=["xapi", "export", "--since", "2000-01-01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    statements = json.loads(out.read_text(encoding="utf-8"))
    assert [s["id"] for s in statements] == ids
    for statement in statements:
        assert_valid(validator, statement)


def test_export_as_json_lines_to_stdout(app, runner):
    """--format jsonl prints one statement per line on stdout; the count goes to stderr."""
    ids = make_statements(2)
    result = runner.invoke(args=["xapi", "export", "--since", "2000-01-01", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ids
    assert "3 statements written" in result.stderr


def test_export_window_is_since_inclusive_until_exclusive(app, runner, tmp_path):
    """Only statements with a timestamp in [--since, --until) are written; an empty window is '[]'."""
    make_statements(2)
    rows = list(db.session.scalars(sa.select(XapiStatement).order_by(XapiStatement.id)))
    rows[0].occurred_at = datetime(2026, 1, 31, 23, 59, 59, tzinfo=timezone.utc)
    rows[1].occurred_at = datetime(2026, 2, 1, tzinfo=timezone.utc)
    rows[2].occurred_at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    db.session.commit()
    out = tmp_path / "feb.json"
    result = runner.invoke(args=["xapi", "export", "--since", "2026-02-01", "--until", "2026-03-01",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [s["id"] for s in json.loads(out.read_text())] == [rows[1].statement_id]
    result = runner.invoke(args=["xapi", "export", "--since", "2030-01-01"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []


@pytest.mark.parametrize("args, code, message", [
    (["--since", "last week"], 2, "is not a date"),
    (["--since", "2026-02-01", "--until", "2026-01-01"], 1, "--until must be after --since"),
    ([], 2, "Missing option '--since'"),
])
def test_export_refuses_bad_dates(app, runner, args, code, message):
    """Bad or reversed dates are user errors with a message, not tracebacks."""
    result = runner.invoke(args=["xapi", "export", *args])
    assert result.exit_code == code and message in result.output


def test_a_failed_export_leaves_no_half_file(app, runner, tmp_path):
    """The file appears only when complete (written beside it, then renamed)."""
    out = tmp_path / "missing-dir" / "x.json"
    result = runner.invoke(args=["xapi", "export", "--since", "2000-01-01", "--out", str(out)])
    assert result.exit_code != 0 and not out.exists()


# --- backfill ------------------------------------------------------------------------------------

def test_backfill_recreates_lost_statements_with_the_same_ids(app, runner):
    """Work recorded before xAPI (or lost between commits) is backfilled once, with the original ids."""
    ids = make_statements(3)
    db.session.execute(sa.delete(XapiStatement))
    db.session.commit()
    result = runner.invoke(args=["xapi", "backfill"])
    assert result.exit_code == 0, result.output
    assert "4 new statements" in result.output
    assert sorted(statuses()) == sorted(ids)
    assert "0 new statements" in runner.invoke(args=["xapi", "backfill"]).output



def test_backfill_restores_the_start_of_a_play_with_no_answer_yet(app, runner):
    """A started, unanswered play has its 'attempted' statement; backfill brings it back with the same id."""
    sync_fixture_scenarios()
    plays.start_play(make_user(), BUDGET)
    started = sorted(statuses())
    assert len(started) == 1
    db.session.execute(sa.delete(XapiStatement))
    db.session.commit()
    result = runner.invoke(args=["xapi", "backfill"])
    assert result.exit_code == 0, result.output
    assert "1 new statements" in result.output and sorted(statuses()) == started

# --- push ----------------------------------------------------------------------------------------

def test_push_sends_pending_statements_in_batches_with_the_xapi_headers(app, runner, lrs):
    """Batches of --batch-size; the version header and basic auth on every request; all marked sent."""
    ids = make_statements(4)
    result = runner.invoke(args=["xapi", "push", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "sent 5, rejected 0, pending 0" in result.output
    assert [s["id"] for s in lrs.received] == ids
    assert len(lrs.requests) == 3
    for request in lrs.requests:
        assert request["headers"]["X-Experience-Api-Version"] == "1.0.3"
        assert request["headers"]["Authorization"] == "Basic cmVoZWFyc2U6czNjcmV0"
    assert set(statuses().values()) == {"sent"}
    assert runner.invoke(args=["xapi", "push"]).exit_code == 0 and len(lrs.received) == 5


def test_push_retries_a_failing_lrs_until_it_recovers(app, runner, lrs):
    """Two 503s then success: retried with backoff inside one run, each statement received once."""
    ids = make_statements(2)
    lrs.fail_next = 2
    result = runner.invoke(args=["xapi", "push"])
    assert result.exit_code == 0, result.output
    assert [s["id"] for s in lrs.received] == ids and len(lrs.requests) == 3


def test_nothing_is_lost_while_the_lrs_is_down(app, runner, lrs):
    """LRS down: the push fails clearly, rows stay pending; once it is back, the next push sends them all once."""
    ids = make_statements(3)
    lrs.down = True
    result = runner.invoke(args=["xapi", "push"])
    assert result.exit_code == 1
    assert "4 statements stay pending" in result.output and "HTTP 503" in result.output
    assert set(statuses().values()) == {"pending"} and lrs.received == []
    row = db.session.scalar(sa.select(XapiStatement).limit(1))
    assert row.tries == 1 and "503" in row.last_error
    more = make_user()
    library.complete_lesson(more, "c", "01-part")  # work goes on while the LRS is down
    lrs.down = False
    result = runner.invoke(args=["xapi", "push"])
    assert result.exit_code == 0, result.output
    received = [s["id"] for s in lrs.received]
    assert received[:4] == ids and len(received) == len(set(received)) == 5
    assert set(statuses().values()) == {"sent"}


def test_an_unreachable_lrs_is_a_clear_error(app, runner):
    """Connection refused is retried, then reported; nothing is marked sent."""
    make_statements(1)
    app.config.update(XAPI_LRS_URL=f"http://127.0.0.1:{free_port()}/xapi", XAPI_PUSH_BACKOFF=0.01,
                      XAPI_PUSH_RETRIES=1)
    result = runner.invoke(args=["xapi", "push"])
    assert result.exit_code == 1 and "network" in result.output
    assert set(statuses().values()) == {"pending"}


def test_a_statement_the_lrs_refuses_is_set_aside_and_the_rest_go(app, runner, lrs):
    """A 400 for one statement splits the batch: the others are sent, that one is rejected with the reason."""
    ids = make_statements(4)
    lrs.refuse_ids = {ids[2]}
    result = runner.invoke(args=["xapi", "push"])
    assert result.exit_code == 0, result.output
    assert "sent 4, rejected 1" in result.output
    assert sorted(s["id"] for s in lrs.received) == sorted(set(ids) - {ids[2]})
    state = statuses()
    assert state[ids[2]] == "rejected" and list(state.values()).count("sent") == 4
    status = runner.invoke(args=["xapi", "status"])
    assert "pending=0 sent=4 rejected=1" in status.output and "is invalid" in status.output


def test_wrong_credentials_reject_nothing(app, runner, lrs):
    """A 401 refuses the request, not the statements: no retries, nothing rejected, all stays pending."""
    make_statements(2)
    lrs.credentials = "rehearse:another-secret"
    result = runner.invoke(args=["xapi", "push"])
    assert result.exit_code == 1 and "HTTP 401" in result.output and "credentials" in result.output
    assert set(statuses().values()) == {"pending"} and len(lrs.requests) == 1
    lrs.credentials = "rehearse:s3cret"
    assert runner.invoke(args=["xapi", "push"]).exit_code == 0 and set(statuses().values()) == {"sent"}


def test_push_without_an_lrs_is_a_user_error(app, runner):
    """No XAPI_LRS_URL: a message saying so."""
    app.config["XAPI_LRS_URL"] = ""
    result = runner.invoke(args=["xapi", "push"])
    assert result.exit_code == 1 and "XAPI_LRS_URL is not set" in result.output


def test_record_is_idempotent_across_repeated_calls(app):
    """Recording the same statements again adds nothing."""
    make_statements(1)
    statements = [row.statement for row in db.session.scalars(sa.select(XapiStatement))]
    assert xapi_outbox.record(statements) == 0
    assert xapi_outbox.count_statements(datetime.now(timezone.utc) - timedelta(days=1)) == 2
