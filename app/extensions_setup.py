"""Bind the extensions of app/extensions.py to an app instance."""

import hmac
from importlib import import_module

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import csrf, db, limiter, login_manager, migrate

def configure_sqlite(engine) -> None:
    """Use WAL and a busy timeout on SQLite connections.

    WAL lets readers and one writer work at once and makes each commit cheaper
    (synchronous=NORMAL is durable in WAL mode across application crashes).
    """
    if engine.dialect.name != "sqlite" or ":memory:" in str(engine.url) or engine.url.database in (None, ""):
        return

    @sa.event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def init_app(app) -> None:
    """Bind database, migrations, login, CSRF and the rate limiter."""
    import_module("app.models")  # register every model with the metadata

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open that page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    from app.models.people import User

    @login_manager.user_loader
    def load_user(session_id: str):
        """Return the active user whose session id ("<id>:<token>") is current, or None."""
        user_id, _, token = session_id.partition(":")
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        if user is None or not user.active or not hmac.compare_digest(token, user.session_token):
            return None
        return user

