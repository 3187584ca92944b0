"""Send the xAPI outbox to a Learning Record Store, in batches, with retries; never lose a statement.

A row is marked sent only after the LRS answered 2xx for the batch holding it.
Network errors, timeouts, 408, 429 and 5xx are retried with exponential
backoff; when the retries run out the run stops and everything not yet
acknowledged stays pending for the next run. 400, 409, 413 and 422 mean the
LRS refuses some statement: the batch is split until the refused statement is
alone, and only that one is set aside as ``rejected`` (with the LRS's reason).
Any other answer (401, 403, 404, a redirect…) refuses the request as a whole:
the run stops and every statement stays pending until the setting is fixed.
"""

import base64
import json
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Callable, Optional

import sqlalchemy as sa

from app.extensions import db
from app.models.types import utcnow
from app.models.xapi import XAPI_PENDING, XAPI_REJECTED, XAPI_SENT, XapiStatement

XAPI_VERSION = "1.0.3"
TRANSIENT = {408, 425, 429}
# Answers that blame a statement (bad, conflicting, too large): split the batch to find it.
STATEMENT_ERRORS = {400, 409, 413, 422}
MAX_ERROR = 2000
MAX_WAIT = 60.0


class LrsUnavailable(Exception):
    """The LRS did not acknowledge a batch after every retry; nothing was lost."""


@dataclass(frozen=True)
class LrsSettings:
    """Where and how to send: endpoint (the statements resource is ``<url>/statements``), auth, pacing."""

    url: str
    username: str = ""
    password: str = ""
    timeout: float = 10.0
    batch_size: int = 50
    retries: int = 5
    backoff: float = 1.0

    @classmethod
    def from_config(cls, config, **overrides) -> "LrsSettings":
        """Read the XAPI_LRS_* settings of an app config; ``overrides`` that are None are ignored."""
        values = {
            "url": config.get("XAPI_LRS_URL") or "", "username": config.get("XAPI_LRS_USERNAME") or "",
            "password": config.get("XAPI_LRS_PASSWORD") or "", "timeout": float(config.get("XAPI_LRS_TIMEOUT", 10)),
            "batch_size": int(config.get("XAPI_PUSH_BATCH_SIZE", 50)),
            "retries": int(config.get("XAPI_PUSH_RETRIES", 5)), "backoff": float(config.get("XAPI_PUSH_BACKOFF", 1.0)),
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


@dataclass
class PushReport:
    """What one push run did."""

    sent: int = 0
    rejected: int = 0
    batches: int = 0
    requests: int = 0


@dataclass(frozen=True)
class Answer:
    """The LRS's answer to one POST: status (0 when the network failed) and a short reason."""

    status: int
    reason: str = ""
    retry_after: Optional[float] = None

    @property
    def ok(self) -> bool:
        """Return True for a 2xx answer."""
        return 200 <= self.status < 300

    @property
    def transient(self) -> bool:
        """Return True when trying again later may succeed."""
        return self.status == 0 or self.status >= 500 or self.status in TRANSIENT

    @property
    def refuses_statement(self) -> bool:
        """Return True when the LRS refuses something in the batch (not the request as a whole)."""
        return self.status in STATEMENT_ERRORS


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: urllib would turn the POST into a GET whose 200 acknowledges nothing."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        """Return None so the 3xx surfaces as an HTTPError."""
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post_statements(settings: LrsSettings, statements: list[dict]) -> Answer:
    """POST statements to the LRS and return its answer (network failures become status 0)."""
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Experience-API-Version": XAPI_VERSION}
    if settings.username or settings.password:
        token = base64.b64encode(f"{settings.username}:{settings.password}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    body = json.dumps(statements, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(settings.url.rstrip("/") + "/statements", data=body, headers=headers,
                                     method="POST")
    try:
        with _opener.open(request, timeout=settings.timeout) as response:
            response.read()
            return Answer(response.status)
    except urllib.error.HTTPError as exc:
        reason = exc.read().decode("utf-8", "replace")[:MAX_ERROR]
        exc.close()
        return Answer(exc.code, f"HTTP {exc.code}: {reason}", _retry_after(exc.headers.get("Retry-After")))
    except (urllib.error.URLError, OSError) as exc:  # refused, reset, DNS, timeout
        return Answer(0, f"network: {getattr(exc, 'reason', exc)}")


def _retry_after(value: Optional[str]) -> Optional[float]:
    """Return a Retry-After header given in seconds, or None."""
    try:
        return min(MAX_WAIT, max(0.0, float(value))) if value else None
    except ValueError:
        return None


def send_with_retries(settings: LrsSettings, statements: list[dict], report: PushReport,
                      sleep: Callable[[float], None] = time.sleep) -> Answer:
    """Send one batch, retrying transient failures with exponential backoff and jitter; return the last answer."""
    answer = Answer(0, "not sent")
    for attempt in range(settings.retries + 1):
        answer = post_statements(settings, statements)
        report.requests += 1
        if answer.ok or not answer.transient or attempt == settings.retries:
            return answer
        wait = settings.backoff * (2 ** attempt) * (1 + random.random() / 2)
        sleep(min(MAX_WAIT, max(wait, answer.retry_after or 0.0)))
    return answer


def _deliver(settings: LrsSettings, rows: list[XapiStatement], report: PushReport, sleep) -> None:
    """Deliver rows (split on a refusal); mark what the LRS took or refused; raise when it is unreachable."""
    answer = send_with_retries(settings, [row.statement for row in rows], report, sleep)
    now = utcnow()
    if answer.ok:
        for row in rows:
            row.status, row.sent_at, row.tries, row.last_error = XAPI_SENT, now, row.tries + 1, ""
        report.sent += len(rows)
    elif not answer.refuses_statement:
        # Down, or refusing us as a whole (credentials, wrong URL, a redirect): keep everything pending.
        for row in rows:
            row.tries, row.last_error = row.tries + 1, answer.reason
        raise LrsUnavailable(answer.reason)
    elif len(rows) > 1:
        middle = len(rows) // 2
        _deliver(settings, rows[:middle], report, sleep)
        _deliver(settings, rows[middle:], report, sleep)
    else:
        rows[0].status, rows[0].tries, rows[0].last_error = XAPI_REJECTED, rows[0].tries + 1, answer.reason
        report.rejected += 1


def pending_count() -> int:
    """Return how many statements wait to be sent."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(XapiStatement)
                             .where(XapiStatement.status == XAPI_PENDING))


def push_pending(settings: LrsSettings, sleep: Callable[[float], None] = time.sleep,
                 progress: Optional[Callable[[int], None]] = None) -> PushReport:
    """Send every pending statement, oldest first, one committed batch at a time; return the report.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two push
    runs (cron on two app servers) share the work instead of sending twice.
    Raises ``LrsUnavailable`` when a batch cannot be delivered; what was
    acknowledged before stays marked, the rest stays pending.
    """
    if not settings.url:
        raise ValueError("no LRS is configured (XAPI_LRS_URL)")
    report = PushReport()
    while True:
        rows = list(db.session.scalars(
            sa.select(XapiStatement).where(XapiStatement.status == XAPI_PENDING).order_by(XapiStatement.id)
            .limit(settings.batch_size).with_for_update(skip_locked=True)
        ))
        if not rows:
            return report
        report.batches += 1
        try:
            _deliver(settings, rows, report, sleep)
        except LrsUnavailable:
            db.session.commit()  # keep the try counts and the last error; the rows stay pending
            raise
        db.session.commit()
        if progress:
            progress(len(rows))
