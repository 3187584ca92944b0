"""The JSON API at /api/v1 (bearer tokens, OpenAPI document) and the page where users manage their tokens.

``bp`` is registered at the site root and holds two blueprints: ``v1`` (the API,
exempt from CSRF because writes need a bearer token, never a cookie) and
``tokens`` (the HTML page at /account/tokens).
"""

from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("api", __name__)
v1 = Blueprint("v1", __name__, url_prefix="/api/v1")
tokens = Blueprint("tokens", __name__, url_prefix="/account/tokens")

from app.api import auth, deals, docs, errors, learning, people, practice, token_pages  # noqa: E402,F401

csrf.exempt(v1)
errors.register(v1)
auth.register(v1)
bp.register_blueprint(v1)
bp.register_blueprint(tokens)
