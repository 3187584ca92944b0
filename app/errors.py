"""Error pages in both languages, and JSON errors under /api/."""

from flask import current_app, jsonify, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.authz import wants_json
from app.extensions import db

# Titles and explanations for the codes that have no page of their own (werkzeug's are English only).
MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    405: (_l("Not allowed here"), _l("This address does not accept that kind of request.")),
    413: (_l("File too large"), _l("The upload is larger than the server accepts.")),
    429: (_l("Too many attempts"), _l("Too many requests in a short time. Wait a minute, then try again.")),
}


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
    app.register_error_handler(Exception, handle_unexpected)
