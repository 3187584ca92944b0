"""Database faults: gone, locked, read-only or full gives a clear 503 page (JSON under /api/), never a 500,
loses nothing already saved, and the next requests work again without restarting the app.
"""

import re
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from app.errors import database_problem
from app.extensions import db
from app.models.mentoring import CoachingNote
from app.models.roleplay import PlayStep
from app.models.types import utcnow
from app.services import plays
from tests.factories import PASSWORD, make_pairing, make_user
from tests.factories_api import bearer, make_token
from tests.factories_roleplay import BUDGET, sync_fixture_scenarios

UNAVAILABLE = "The database is unavailable, try again in a moment."
CANT_SAVE = "be saved right now"  # "Changes can't …", whichever way the apostrophe is escaped


def dialect() -> str:
    """Return the test database's dialect name."""
    return db.engine.dialect.name


def only_on(name: str) -> None:
    """Skip the test unless it runs on ``name``."""
    if dialect() != name:
        pytest.skip(f"simulates a {name} fault")


@contextmanager
def every_new_connection(*statements: str):
    """Run ``statements`` on every connection the app opens inside the block (the pool is emptied around it)."""

    def run(dbapi_connection, record):
        cursor = dbapi_connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        cursor.close()

    db.session.remove()
    db.engine.dispose()
    sa.event.listen(db.engine, "connect", run)
    try:
        yield
    finally:
        sa.event.remove(db.engine, "connect", run)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def coaching(app, client, auth):
    """A signed-in mentor, a mentee with one saved note, and a role-play with one saved step."""
    mentor, mentee = make_user("mentor"), make_user()
    make_pairing(mentor, mentee)
    note = CoachingNote(author_id=mentor.id, mentee_id=mentee.id, body="Saved before the fault.",
                        noted_on=utcnow().date())
    db.session.add(note)
    db.session.commit()
    sync_fixture_scenarios()
    play = plays.start_play(mentor, BUDGET)
    plays.submit_step(play, 0, choice=1)
    assert auth.login(mentor).status_code == 302
    token = make_token(mentor)
    assert client.get("/api/v1/assignments", headers=bearer(token)).status_code == 200  # last_used_at now set
    return {"mentor_id": mentor.id, "mentee_id": mentee.id, "play_id": play.id, "token": token}


def write_note(client, mentee_id: int, body: str):
    """Post a coaching note through the form."""
    return client.post(f"/mentor/mentees/{mentee_id}/notes", data={"note-body": body})


def notes() -> list[str]:
    """Return the stored note bodies, oldest first."""
    db.session.remove()
    return db.session.scalars(sa.select(CoachingNote.body).order_by(CoachingNote.id)).all()


def assert_503(response, text: str) -> None:
    """The fault page: status 503, Retry-After, and the explanation."""
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    assert int(response.headers["Retry-After"]) > 0
    assert text in response.get_data(as_text=True)


def assign_by_api(client, coaching):
    """Assign the role-play to the mentee through the JSON API."""
    body = {"mentee_ids": [coaching["mentee_id"]], "kind": "scenario", "target_key": BUDGET,
            "due_on": (utcnow().date() + timedelta(days=3)).isoformat()}
    return client.post("/api/v1/assignments", json=body, headers=bearer(coaching["token"]))


# --- read-only --------------------------------------------------------------------------


@contextmanager
def read_only_database():
    """Make the database refuse writes: SQLite query_only (the error a read-only file gives; the tests
    run as root, which ignores file modes), PostgreSQL default_transaction_read_only on the database."""
    if dialect() == "sqlite":
        with every_new_connection("PRAGMA query_only = ON"):
            yield
        return
    name = db.engine.url.database
    admin = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        try:
            with every_new_connection():
                yield
        finally:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'))
            db.engine.dispose()
    admin.dispose()


def test_a_read_only_database_refuses_writes_clearly_and_keeps_reads(app, client, coaching):
    """Pages open; a note, a role-play step and an API write get "can't be saved right now"; nothing is lost."""
    mentee_id, play_id = coaching["mentee_id"], coaching["play_id"]
    with read_only_database():
        assert client.get("/roleplay/").status_code == 200
        assert client.get(f"/roleplay/play/{play_id}").status_code == 200
        assert_503(write_note(client, mentee_id, "Written while read-only."), CANT_SAVE)
        assert_503(client.post(f"/roleplay/play/{play_id}/step", data={"step": 1, "choice": 0}), CANT_SAVE)
        api = assign_by_api(client, coaching)
        assert api.status_code == 503 and "can't be saved right now" in api.get_json()["error"]["message"]
        assert client.get(f"/roleplay/play/{play_id}").status_code == 200  # the session recovered
    assert notes() == ["Saved before the fault."]
    assert db.session.scalars(sa.select(PlayStep.index).where(PlayStep.play_id == play_id)).all() == [0]
    assert write_note(client, mentee_id, "Written afterwards.").status_code == 302
    assert client.post(f"/roleplay/play/{play_id}/step", data={"step": 1, "choice": 0}).status_code == 302
    assert notes() == ["Saved before the fault.", "Written afterwards."]


# --- full disk (SQLite) -----------------------------------------------------------------------


def test_a_full_sqlite_database_refuses_writes_then_recovers(app, client, coaching):
    """max_page_count stands in for a full disk: a clear page, earlier notes intact, writes work once space is back."""
    only_on("sqlite")
    pages = db.session.execute(sa.text("PRAGMA page_count")).scalar()
    with every_new_connection(f"PRAGMA max_page_count = {pages}"):
        # Use up the free pages left by earlier tests, so the limit is really reached.
        filler = "x" * 3000
        with pytest.raises(sa.exc.OperationalError, match="full"):
            for _ in range(100_000):
                db.session.add(CoachingNote(author_id=coaching["mentor_id"], mentee_id=coaching["mentee_id"],
                                            body=filler, noted_on=utcnow().date()))
                db.session.commit()
        db.session.rollback()
        assert client.get(f"/roleplay/play/{coaching['play_id']}").status_code == 200
        response = write_note(client, coaching["mentee_id"], "y" * 9000)
        assert_503(response, CANT_SAVE)
        assert "run out of storage space" in response.get_data(as_text=True)
    assert notes()[0] == "Saved before the fault."
    db.session.execute(sa.delete(CoachingNote).where(CoachingNote.body == filler))
    db.session.commit()
    assert write_note(client, coaching["mentee_id"], "y" * 9000).status_code == 302
    assert notes() == ["Saved before the fault.", "y" * 9000]


# --- locked (SQLite) and gone (PostgreSQL) ------------------------------------------------------


def test_a_sqlite_database_locked_past_the_busy_timeout_gives_503_then_recovers(app, client, coaching):
    """Another connection holds the write lock longer than the busy timeout: 503, then the next write works."""
    only_on("sqlite")
    with every_new_connection("PRAGMA busy_timeout = 200"):
        blocker = sqlite3.connect(db.engine.url.database, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # in WAL mode: readers go on, writers wait
        try:
            assert client.get(f"/roleplay/play/{coaching['play_id']}").status_code == 200
            assert_503(write_note(client, coaching["mentee_id"], "Written while locked."), UNAVAILABLE)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert write_note(client, coaching["mentee_id"], "Written after the lock.").status_code == 302
    assert notes() == ["Saved before the fault.", "Written after the lock."]


def terminate_backends(url, pid: int | None = None) -> int:
    """End the app database's connections (or one of them) from a separate admin connection; return how many."""
    admin = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        ended = conn.execute(sa.text(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND (CAST(:pid AS integer) IS NULL OR pid = :pid)"
        ), {"pid": pid}).scalar()
    admin.dispose()
    return ended


@pytest.mark.postgres_only
def test_a_connection_ended_in_the_middle_of_a_request_gives_503_then_the_next_request_works(app, client,
                                                                                             coaching):
    """pg_terminate_backend hits the request's own connection: 503 page (JSON under /api/), then all is well."""
    only_on("postgresql")
    url = db.engine.url

    def end_own_connection(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO COACHING_NOTE") or "FROM assignment" in statement:
            terminate_backends(url, conn.connection.dbapi_connection.info.backend_pid)

    sa.event.listen(db.engine, "before_cursor_execute", end_own_connection)
    try:
        assert_503(write_note(client, coaching["mentee_id"], "Written as the server went."), UNAVAILABLE)
        api = client.get("/api/v1/assignments", headers=bearer(coaching["token"]))
        assert api.status_code == 503 and api.get_json()["error"]["code"] == 503
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", end_own_connection)
    assert write_note(client, coaching["mentee_id"], "Written after.").status_code == 302
    assert client.get("/api/v1/assignments", headers=bearer(coaching["token"])).status_code == 200
    assert notes() == ["Saved before the fault.", "Written after."]


@pytest.mark.postgres_only
def test_ending_every_connection_under_load_gives_only_clean_503s_and_recovers(app, live_server):
    """Eight browsers work while every connection is ended twice: no 500; afterwards every request succeeds."""
    only_on("postgresql")
    sync_fixture_scenarios()
    emails = [make_user(email=f"busy{i}@example.com").email for i in range(8)]
    url = db.engine.url
    db.session.remove()
    stop = threading.Event()
    seen: list[tuple[int, str]] = []
    lock = threading.Lock()

    def browse(email: str) -> None:
        http = requests.Session()
        page = http.get(f"{live_server}/auth/login", timeout=30).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        http.post(f"{live_server}/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                  timeout=30)
        while not stop.is_set():
            for path in ("/home", "/roleplay/", f"/roleplay/s/{BUDGET}"):
                response = http.get(live_server + path, timeout=30)
                with lock:
                    seen.append((response.status_code, response.text))

    threads = [threading.Thread(target=browse, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    ended = terminate_backends(url)
    time.sleep(1.0)
    ended += terminate_backends(url)
    time.sleep(1.0)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    assert ended > 0
    codes = {code for code, _ in seen}
    assert codes <= {200, 503}, codes
    assert all(UNAVAILABLE in text for code, text in seen if code == 503)
    # The very next requests, on the same app (same pool), all succeed.
    http = requests.Session()
    assert all(http.get(f"{live_server}/auth/login", timeout=30).status_code == 200 for _ in range(10))


# --- which errors are faults ---------------------------------------------------------------------


def test_a_bug_in_sql_is_not_mistaken_for_a_fault():
    """SQLITE_ERROR (no such table) stays a 500; busy, read-only and full are 503s."""
    conn = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.OperationalError) as bug:
        conn.execute("SELECT * FROM no_such_table")
    assert database_problem(sa.exc.OperationalError("SELECT", {}, bug.value)) is None
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA query_only = ON")
    with pytest.raises(sqlite3.OperationalError) as read_only:
        conn.execute("INSERT INTO t VALUES (1)")
    assert database_problem(sa.exc.OperationalError("INSERT", {}, read_only.value)) == "read_only"
    assert database_problem(sa.exc.TimeoutError()) == "unavailable"
    assert database_problem(sa.exc.IntegrityError("INSERT", {}, Exception("duplicate"))) is None
