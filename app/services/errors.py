"""Domain errors raised by services; views map them to 403/404/flash."""

from typing import Optional


class DomainError(Exception):
    """Base class for errors a user can act on."""

    def __init__(self, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(DomainError):
    """Input that breaks a rule; ``field`` names the form field when there is one."""


class NotFound(DomainError):
    """A record that does not exist (or that the caller may not know exists)."""


class Forbidden(DomainError):
    """An action the caller may not take."""


class Conflict(DomainError):
    """An action that clashes with the current state (e.g. a finished attempt)."""


class ImportProblems(DomainError):
    """A file that failed validation; ``problems`` holds every "FILE:LINE: message"."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = list(problems)
