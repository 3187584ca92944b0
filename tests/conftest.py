"""Fixtures: an app on a fresh database per test, clients, and a signed-in helper.

The schema is created once per run; after each test every table is emptied, so
each test starts from an empty database. TEST_DATABASE_URL selects PostgreSQL.
"""

import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g

from app import create_app
from app.extensions import db
from tests.factories import PASSWORD, make_user

ROLES = ("learner", "mentor", "trainer", "admin")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """Return the URL of the test database and create the schema in it once."""
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    return url


def empty_all_tables() -> None:
    """Delete every row of every table (children first)."""
    for table in db.metadata.sorted_tables:
        # Break foreign-key cycles (e.g. course → its current version) before deleting children first.
        cyclic = [fk.parent for fk in table.foreign_keys if fk.constraint.use_alter and fk.parent.nullable]
        if cyclic:
            db.session.execute(table.update().values({column.name: None for column in cyclic}))
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    if db.engine.dialect.name == "postgresql":
        # Ids start at 1 again, as on a fresh database (TRUNCATE … RESTART IDENTITY does the same, ten times slower).
        resets = [f"setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), 1, false)"
                  for t in db.metadata.sorted_tables if "id" in t.c and t.c.id.primary_key]
        db.session.execute(sa.text("SELECT " + ", ".join(resets)))
    db.session.commit()


@pytest.fixture(scope="session")
def translations_dir(tmp_path_factory):
    """Compile app/translations/*/LC_MESSAGES/*.po into a temporary folder, so tests never see stale .mo files."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    source = Path(__file__).resolve().parent.parent / "app" / "translations"
    target = tmp_path_factory.mktemp("translations")
    for po_path in source.glob("*/LC_MESSAGES/*.po"):
        out = target / po_path.relative_to(source).with_suffix(".mo")
        out.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po_file, out.open("wb") as mo_file:
            write_mo(mo_file, read_po(po_file, locale=po_path.parts[-3]))
    return str(target)


@pytest.fixture
def app(database_url, tmp_path, translations_dir):
    """Return an app bound to an empty test database."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MODEL_DIR": str(tmp_path / "models"),
            "BABEL_TRANSLATION_DIRECTORIES": translations_dir,
        }
    )
    # The fixture keeps one app context open, so every request would share its `g` (and the
    # user and locale cached there). Production has a fresh `g` per request: do the same here.
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: g.__dict__.clear())
    with app.app_context():
        yield app
        db.session.rollback()
        empty_all_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """Return a test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Return a CLI runner."""
    return app.test_cli_runner()


class AuthActions:
    """Sign in and out through the real login form."""

    def __init__(self, client):
        self.client = client

    def login(self, user_or_email, password: str = PASSWORD):
        """Submit the login form and return the response."""
        email = getattr(user_or_email, "email", user_or_email)
        return self.client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):
        """Submit the sign-out form."""
        return self.client.post("/auth/logout")


@pytest.fixture
def auth(client):
    """Return the sign-in helper."""
    return AuthActions(client)


@pytest.fixture
def login_as(client, auth):
    """Return a function that creates a user of a role and signs them in."""

    def _login(role: str = "learner", **fields):
        user = make_user(role=role, **fields)
        response = auth.login(user)
        assert response.status_code == 302, response.data[:500]
        return user

    return _login


class QueryCounter:
    """Count the SQL statements run inside a ``with`` block."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        """Return how many statements ran."""
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """Return a factory of query counters bound to the app's engine: ``with count_queries() as q:``."""
    return lambda: QueryCounter(db.engine)


# --- browser tests -----------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium with the flags this machine needs."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing: browser tests skipped (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ],
    }


def wait_until(page, expression: str, seconds: float = 5.0) -> None:
    """Poll a JavaScript predicate with ``page.evaluate``.

    ``page.wait_for_function`` evaluates strings in the page, which the app's
    Content-Security-Policy (no 'unsafe-eval') refuses.
    """
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(50)


@pytest.fixture(scope="session")
def base_url():
    """Replace pytest-base-url's fixture (it warns under pytest 9); tests use ``live_server``."""
    return None


@pytest.fixture
def live_server(app):
    """Serve the test app (CSRF on, as in production) on a free loopback port; yield its base URL."""
    import threading

    from werkzeug.serving import make_server

    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def browser_login(page, live_server):
    """Return a function that signs ``user`` in through the real form in the browser page."""

    def _login(user, password: str = PASSWORD):
        page.goto(f"{live_server}/auth/login")
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_url(f"{live_server}/home")
        return page

    return _login


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep a screenshot of the page when a browser test fails (in test-results/)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "page" in item.funcargs:
        folder = os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-results")
        os.makedirs(folder, exist_ok=True)
        try:
            item.funcargs["page"].screenshot(path=os.path.join(folder, f"{item.name}.png"), full_page=True)
        except Exception:  # the page may already be closed; the failure itself is what matters
            pass
