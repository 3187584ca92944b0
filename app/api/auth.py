"""Bearer-token authentication for /api/v1, and the rule that writes need a token.

The token is checked in an app-level hook that runs before the access rule
(``authz.enforce_route_rule``), so the rule sees the token's user as
``current_user``. A browser session may read the API (GET); a change needs the
token, so a cookie alone (and so a cross-site request) can never change data.
"""

from flask import g, request

from app.api.errors import error_response
from app.extensions import login_manager
from app.models.types import utcnow
from app.services import api_tokens

API_PATHS = "/api/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CHALLENGE = 'Bearer realm="rehearse"'


def _refuse(error: str, message: str):
    """Return a 401 with the RFC 6750 challenge naming what was wrong."""
    return error_response(401, message, headers={"WWW-Authenticate": f'{CHALLENGE}, error="{error}"'})


def authenticate_bearer():
    """Make the bearer token's user the current user of an API request; refuse a bad token with 401."""
    if not request.path.startswith(API_PATHS):
        return None
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return _refuse("invalid_request", "use the header Authorization: Bearer <token>")
    token = api_tokens.authenticate(credentials.strip(), utcnow())
    if token is None:
        return _refuse("invalid_token", "the token is unknown, revoked or expired")
    g.api_token = token
    # Flask-Login keeps the request's user here; a token request must not touch the session cookie,
    # which login_user() would write.
    login_manager._update_request_context_with_user(token.user)
    return None


def require_token_for_writes():
    """Refuse a state-changing API call that did not come with a bearer token."""
    if request.method not in SAFE_METHODS and g.get("api_token") is None:
        return _refuse("invalid_request", "changes through the API need a bearer token")
    return None


def add_challenge(response):
    """Give every 401 of the API the Bearer challenge."""
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", CHALLENGE)
    return response


def register(blueprint) -> None:
    """Install the token hook (first of the app's hooks) and the blueprint's own checks."""

    def install(state):
        # Ahead of authz.enforce_route_rule, which the app registered before any blueprint.
        state.app.before_request_funcs.setdefault(None, []).insert(0, authenticate_bearer)

    blueprint.record_once(install)
    blueprint.before_request(require_token_for_writes)
    blueprint.after_request(add_challenge)
