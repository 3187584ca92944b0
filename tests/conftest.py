"""Fixtures: an app on a fresh database per test, clients, and a signed-in helper.

The schema is created once per run; after each test every table is emptied, so
each test starts from an empty database. TEST_DATABASE_URL selects PostgreSQL.
"""

import os

import pytest
import sqlalchemy as sa

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
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(database_url, tmp_path):
    """Return an app bound to an empty test database."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MODEL_DIR": str(tmp_path / "models"),
        }
    )
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
