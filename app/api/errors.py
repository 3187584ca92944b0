"""JSON errors of the API: one shape, {"error": {"code", "message", "details"?}}, for every failure."""

import re
from typing import Optional

from flask import jsonify
from pydantic import ValidationError as PydanticValidationError

from app.services.errors import Conflict, DomainError, Forbidden, ImportProblems, NotFound, ValidationError


# "FILE:LINE: message"; the file name may itself contain colons.
PROBLEM = re.compile(r"(?P<source>.*?):(?P<line>\d+): (?P<message>.*)", re.DOTALL)


class ApiError(Exception):
    """An error the API answers with its status, a message and optional field-level details."""

    def __init__(self, status: int, message: str, details: Optional[list[dict]] = None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.headers = headers or {}


def error_response(status: int, message: str, details: Optional[list[dict]] = None, headers=None):
    """Return the JSON error response."""
    body = {"code": status, "message": message}
    if details:
        body["details"] = details
    response = jsonify(error=body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def validation_details(error: PydanticValidationError, location: str) -> list[dict]:
    """Return pydantic's errors as [{"location", "field", "message"}]."""
    details = []
    for item in error.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in item["loc"]) or None
        entry = {"location": location, "message": item["msg"]}
        if field:
            entry["field"] = field
        details.append(entry)
    return details


def import_details(problems: list[str], rows: bool) -> list[dict]:
    """Return "FILE:LINE: message" problems as details; JSON imports count rows from 1 instead of lines."""
    details = []
    for problem in problems:
        match = PROBLEM.fullmatch(problem)
        if match is None:
            details.append({"message": problem})
            continue
        source, line, message = match["source"], int(match["line"]), match["message"]
        if rows and line == 1:
            details.append({"message": message})  # the columns, not one row
        elif rows:
            details.append({"row": line - 1, "message": message})
        else:
            details.append({"file": source, "line": line, "message": message})
    return details


def domain_error_response(error: DomainError):
    """Map a service's domain error to its status: 404, 403, 409 or 422 with the field it names."""
    if isinstance(error, NotFound):
        return error_response(404, f"{error.message} not found")
    if isinstance(error, Forbidden):
        return error_response(403, error.message)
    if isinstance(error, Conflict):
        return error_response(409, error.message)
    if isinstance(error, ImportProblems):
        return error_response(422, "the data has problems; nothing was imported",
                              import_details(error.problems, rows=False))
    detail = {"location": "body", "message": error.message}
    if error.field:
        detail["field"] = error.field
    status = 422 if isinstance(error, ValidationError) else 400
    return error_response(status, error.message, [detail])


def api_error_response(error: ApiError):
    """Answer an ApiError."""
    return error_response(error.status, error.message, error.details, error.headers)


def register(blueprint) -> None:
    """Answer domain errors and ApiErrors raised by the blueprint's views as JSON."""
    blueprint.register_error_handler(ApiError, api_error_response)
    blueprint.register_error_handler(DomainError, domain_error_response)
