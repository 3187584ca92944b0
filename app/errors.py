"""Error pages in both languages, and JSON errors under /api/."""

from flask import current_app, jsonify, render_template
from werkzeug.exceptions import HTTPException, InternalServerError

from app.authz import wants_json
from app.extensions import db


def render_error(error: HTTPException):
    """Render an HTTP error as a page, or as JSON for API requests."""
    if wants_json():
        response = jsonify(error={"code": error.code, "message": error.description or error.name})
        response.status_code = error.code
        return response
    template = f"errors/{error.code}.html" if error.code in (403, 404, 500) else "errors/generic.html"
    return render_template(template, error=error), error.code


def handle_unexpected(error: Exception):
    """Roll back the session and show the 500 page; the traceback goes to the log."""
    db.session.rollback()
    if current_app.testing and not current_app.config.get("SHOW_500_PAGE"):
        raise error  # let the test see the real traceback
    current_app.logger.exception("unhandled error", exc_info=error)
    return render_error(InternalServerError())


def init_app(app) -> None:
    """Register the handlers."""
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(Exception, handle_unexpected)
