"""Rehearse: a sales training and coaching platform."""

from flask import Flask

from config import CONFIGS


def create_app(test_config=None):
    """Create and configure the application; no database writes happen here."""
    app = Flask(__name__, instance_relative_config=True)
    from app import settings

    settings.load(app, CONFIGS, test_config)

    from app import authz, commands, errors, extensions_setup, i18n, security, view_cache

    extensions_setup.init_app(app)
    view_cache.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    authz.init_app(app)
    errors.init_app(app)
    commands.init_app(app)

    from app.blueprints import register_blueprints

    register_blueprints(app)
    return app
