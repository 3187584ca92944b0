"""Bind the extensions of app/extensions.py to an app instance."""

import hmac
from importlib import import_module

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.extensions import csrf, db, limiter, login_manager, migrate

def configure_sqlite(engine, busy_timeout_ms: int = 20000) -> None:
    """Use WAL and a busy timeout on SQLite connections.

    WAL lets readers and one writer work at once and makes each commit cheaper
    (synchronous=NORMAL is durable in WAL mode across application crashes). A
    writer waits up to ``busy_timeout_ms`` for the one before it; past that the
    request fails with "database is locked", shown as the 503 page (app/errors.py).
    """
    if engine.dialect.name != "sqlite" or ":memory:" in str(engine.url) or engine.url.database in (None, ""):
        return

    @sa.event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()


def close_session(error=None) -> None:
    """End the request's session; a connection lost after the response was built must not make it a 500.

    Closing rolls back, which fails when the database ended the connection in
    the meantime (a restart, pg_terminate_backend). The response is already
    made and correct, so log it and drop the session; the pool discards the
    dead connection and pool_pre_ping checks the others.
    """
    try:
        db.session.remove()
    except sa.exc.SQLAlchemyError as lost:
        current_app.logger.warning("database connection lost while closing the session: %s", lost)
        db.session.registry.clear()


def init_app(app) -> None:
    """Bind database, migrations, login, CSRF and the rate limiter."""
    import_module("app.models")  # register every model with the metadata

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine, app.config.get("SQLITE_BUSY_TIMEOUT_MS", 20000))
    # Registered after Flask-SQLAlchemy's own teardown, so it runs first (teardowns run in reverse).
    app.teardown_appcontext(close_session)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open that page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    from app.models.people import User

    # Built once: every signed-in request runs it, and Session.get builds its query anew each time.
    user_by_id = sa.select(User).where(User.id == sa.bindparam("user_id"))

    @login_manager.user_loader
    def load_user(session_id: str):
        """Return the active user whose session id ("<id>:<token>") is current, or None."""
        user_id, _, token = session_id.partition(":")
        user = db.session.scalar(user_by_id, {"user_id": int(user_id)}) if user_id.isdigit() else None
        if user is None or not user.active or not hmac.compare_digest(token, user.session_token):
            return None
        return user

