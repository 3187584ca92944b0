"""Bind the extensions of app/extensions.py to an app instance."""

from importlib import import_module

from flask_babel import lazy_gettext as _l

from app.extensions import csrf, db, limiter, login_manager, migrate

def init_app(app) -> None:
    """Bind database, migrations, login, CSRF and the rate limiter."""
    import_module("app.models")  # register every model with the metadata

    db.init_app(app)
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
    def load_user(user_id: str):
        """Return the active user with this id, or None."""
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None

