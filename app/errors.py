"""Error pages in both languages, and JSON errors under /api/.

A database that cannot serve (gone, locked, read-only, full) gives a 503 page
that says what the learner can do, never a 500 traceback; the session is
rolled back so the next request starts clean.
"""

from typing import Optional

import sqlalchemy as sa
from flask import current_app, g, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from app.authz import wants_json
from app.extensions import db, login_manager

# Titles and explanations for the codes that have no page of their own (werkzeug's are English only).
MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    405: (_l("Not allowed here"), _l("This address does not accept that kind of request.")),
    413: (_l("File too large"), _l("The upload is larger than the server accepts.")),
    429: (_l("Too many attempts"), _l("Too many requests in a short time. Wait a minute, then try again.")),
}


# Why the database cannot serve, with the title, the explanation and the Retry-After seconds of the 503.
DATABASE_PROBLEMS = {
    "unavailable": (_l("Database unavailable"),
                    _l("The database is unavailable, try again in a moment. Nothing you saved before was lost."), 5),
    "read_only": (_l("Changes can't be saved right now"),
                  _l("The database is read-only for the moment, so changes can't be saved right now. "
                     "You can still look around; try again later. Nothing you saved before was lost."), 60),
    "full": (_l("Changes can't be saved right now"),
             _l("The server has run out of storage space, so changes can't be saved right now. "
                "Nothing you saved before was lost; try again later."), 60),
}

# PostgreSQL SQLSTATEs (by exact code, then by class) that mean "cannot serve now", not a bug.
PG_STATES = {"25006": "read_only", "53100": "full", "40001": "unavailable", "40P01": "unavailable",
             "55P03": "unavailable", "57014": "unavailable"}
PG_CLASSES = {"08": "unavailable", "53": "unavailable", "57": "unavailable", "58": "unavailable"}
# SQLite primary result codes: SQLITE_ERROR ("no such table", bad SQL) is left out on purpose: that is a bug.
SQLITE_CODES = {"SQLITE_READONLY": "read_only", "SQLITE_FULL": "full", "SQLITE_BUSY": "unavailable",
                "SQLITE_LOCKED": "unavailable", "SQLITE_IOERR": "unavailable", "SQLITE_CANTOPEN": "unavailable",
                "SQLITE_PROTOCOL": "unavailable", "SQLITE_NOTADB": "unavailable"}


def database_problem(error: Exception) -> Optional[str]:
    """Return "unavailable", "read_only" or "full" when ``error`` means the database cannot serve now, else None."""
    if isinstance(error, sa.exc.TimeoutError):
        return "unavailable"  # every pooled connection is busy
    if not isinstance(error, sa.exc.DBAPIError):
        return None
    if error.connection_invalidated:
        return "unavailable"
    original = error.orig
    sqlite_name = getattr(original, "sqlite_errorname", None)
    if sqlite_name:
        return SQLITE_CODES.get("_".join(sqlite_name.split("_")[:2]))  # SQLITE_BUSY_SNAPSHOT → SQLITE_BUSY
    state = getattr(original, "sqlstate", None)
    if state:
        return PG_STATES.get(state) or PG_CLASSES.get(state[:2])
    # A driver error without a server code (a connection closed under us) on a dropped link.
    if isinstance(error, (sa.exc.OperationalError, sa.exc.InterfaceError)):
        return "unavailable"
    return None


def handle_database_error(error: sa.exc.SQLAlchemyError):
    """Roll back and answer 503 when the database cannot serve; any other database error is a 500."""
    reason = database_problem(error)
    if reason is None:
        return handle_unexpected(error)
    current_app.logger.error("database %s on %s %s: %s", reason, request.method, request.path,
                             getattr(error, "orig", None) or error)
    try:
        get_locale()  # settle the page's language now, while the signed-in user's fields are still loaded
    except sa.exc.SQLAlchemyError:
        pass
    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError:  # the connection is gone: drop it, the pool makes a new one
        db.session.close()
    # The rollback expired the user; the page must not reload it from a database that cannot answer.
    g._login_user = login_manager.anonymous_user()
    title, message, retry = DATABASE_PROBLEMS[reason]
    unavailable = ServiceUnavailable(description=str(message))
    if wants_json():
        response = jsonify(error={"code": 503, "message": str(message)})
        response.status_code = 503
    else:
        page = render_template("errors/503.html", error=unavailable, title=title, message=message, reason=reason)
        response = current_app.make_response((page, 503))
    response.headers["Retry-After"] = str(retry)
    return response


def render_error(error: HTTPException):
    """Render an HTTP error as a page, or as JSON ({"error": {"code", "message"}}) for API requests."""
    if wants_json():
        response = jsonify(error={"code": error.code, "message": error.description or error.name})
        response.status_code = error.code
    else:
        if error.code in (403, 404, 429, 500):
            template = f"errors/{error.code}.html"
        else:
            template = "errors/generic.html"
        title, message = MESSAGES.get(error.code, (error.name, error.description))
        page = render_template(template, error=error, title=title, message=message)
        response = current_app.make_response((page, error.code))
    # Keep headers the exception carries, such as Retry-After on 429 and Allow on 405.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_csrf_error(error: CSRFError):
    """Explain a missing or stale form token (400) instead of werkzeug's terse text."""
    if wants_json():
        return render_error(error)
    return render_template("errors/csrf.html", error=error), 400


def handle_unexpected(error: Exception):
    """Roll back the session and show the 500 page; the traceback goes to the log."""
    db.session.rollback()
    if current_app.testing and not current_app.config.get("SHOW_500_PAGE"):
        raise error  # let the test see the real traceback
    current_app.logger.exception("unhandled error", exc_info=error)
    return render_error(InternalServerError())


def init_app(app) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(sa.exc.SQLAlchemyError, handle_database_error)
    app.register_error_handler(Exception, handle_unexpected)
