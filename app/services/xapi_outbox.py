"""Keep every learning record in the xAPI outbox: signal receivers, backfill and export.

Receivers run right after the sender's commit and make their own commit (a
role-play step's statements go in with the step's own commit instead); they
never touch the network, so a slow or dead LRS cannot slow or fail a learner's
request. ``flask xapi push`` sends the outbox later (see ``lrs``). A receiver's
failure is logged (raised in tests) and never breaks the sender.
"""

import functools
from datetime import datetime
from functools import wraps
from typing import Iterable, Iterator, Optional

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql  # noqa: F401 - sa.dialects.postgresql.insert
import sqlalchemy.dialects.sqlite  # noqa: F401 - sa.dialects.sqlite.insert
from flask import current_app

from app import signals
from app.extensions import db
from app.models.people import User
from app.models.xapi import XapiStatement
from app.services import xapi


def record(statements: Iterable[dict], user_id: Optional[int] = None) -> int:
    """Store the statements not in the outbox yet and commit; return how many were new.

    Ids are derived from the events, so a repeated signal (or a backfill, or two
    instances racing) stores each statement once: the INSERT skips ids already
    stored (``ON CONFLICT DO NOTHING``), in one statement whatever their number.
    ``user_id`` is kept beside the statements for look-ups.
    """
    rows = _rows(statements, user_id)
    if not rows:
        return 0
    for attempt in range(2):
        new = _insert_new(rows)
        try:
            db.session.commit()
            return new
        except sa.exc.IntegrityError:
            # Without ON CONFLICT, another process stored one of them between our check and our insert.
            db.session.rollback()
            if attempt:
                raise
    return 0


def _rows(statements: Iterable[dict], user_id: Optional[int]) -> list[dict]:
    """Return the outbox rows of the statements, each id once."""
    statements = {s["id"]: s for s in statements}
    return [{"statement_id": statement["id"], "user_id": user_id, "verb": statement["verb"]["id"],
             "activity_id": statement["object"]["id"], "statement": statement,
             "occurred_at": datetime.fromisoformat(statement["timestamp"])}
            for statement in statements.values()]


@functools.cache
def _skip_stored(dialect: str, returning: bool):
    """Return the INSERT that skips ids already stored (``ON CONFLICT DO NOTHING``), built once per dialect."""
    insert = sa.dialects.sqlite.insert if dialect == "sqlite" else sa.dialects.postgresql.insert
    statement = insert(XapiStatement.__table__).on_conflict_do_nothing(index_elements=["statement_id"])
    return statement.returning(XapiStatement.__table__.c.statement_id) if returning else statement


def _insert_new(rows: list[dict], count: bool = True) -> Optional[int]:
    """Insert the rows whose ids are not stored yet, in the session's transaction; return how many.

    ``count=False`` skips counting them (and the RETURNING it needs) where no one asks.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        result = db.session.execute(_skip_stored(dialect, count), rows, execution_options={"view_stamps": ()})
        return len(result.all()) if count else None
    existing = set(db.session.scalars(
        sa.select(XapiStatement.statement_id).where(XapiStatement.statement_id.in_([r["statement_id"] for r in rows]))
    ))
    new = [r for r in rows if r["statement_id"] not in existing]
    if new:
        db.session.execute(sa.insert(XapiStatement), new, execution_options={"view_stamps": ()})
    return len(new)


def _guarded(receiver):
    """Log (or in tests raise) a receiver's error instead of failing the sender's request."""

    @wraps(receiver)
    def run(sender, **fields):
        try:
            receiver(**fields)
        except Exception:
            db.session.rollback()
            if current_app.testing:
                raise
            current_app.logger.exception("xapi: %s failed for %r", receiver.__name__, fields)

    return run


@_guarded
def on_lesson_completed(user_id=None, lesson_id=None, **_):
    """Record the 'completed' statement of a lesson."""
    if user_id is not None and lesson_id:
        record(xapi.lesson_statements(int(user_id), int(lesson_id)), user_id)


@_guarded
def on_course_completed(user_id=None, course_slug=None, **_):
    """Record the 'completed' statement of a course."""
    if user_id is not None and course_slug:
        record(xapi.course_statements(int(user_id), course_slug), user_id)


@_guarded
def on_quiz_attempt_finished(user_id=None, attempt_id=None, **_):
    """Record the statements of a graded (or regraded) quiz attempt."""
    if attempt_id is not None:
        record(xapi.quiz_statements(int(attempt_id)), user_id)


@_guarded
def on_play_started(user_id=None, play_id=None, **_):
    """Record the 'attempted' statement of a new play."""
    if play_id is not None:
        record(xapi.play_statements(int(play_id)), user_id)


def on_play_step_saving(sender, play=None, user_id=None, step=None, **_):
    """Build the step's 'answered' statement; return what adds it to the step's transaction.

    A saved step therefore never lacks its statement, and the step costs no second
    commit. Building reads nothing and happens before the step takes the write lock;
    should it fail, ``signals.gather`` logs it, the step is saved without it and
    the ending records the whole play again.
    """
    user = db.session.get(User, user_id)
    statement = xapi.new_step_statement(play, user.email, user.name, step)

    def add(step_id: int) -> None:
        xapi.set_step_id(statement, step_id)
        _insert_new(_rows([statement], user_id), count=False)

    return add


@_guarded
def on_play_finished(user_id=None, play_id=None, **_):
    """Record the ending with the whole play again, so a step whose receiver failed is stored now."""
    if play_id is not None:
        record(xapi.play_statements(int(play_id)), user_id)


def connect() -> None:
    """Subscribe the receivers to the other areas' signals (idempotent)."""
    signals.lesson_completed.connect(on_lesson_completed, weak=False)
    signals.course_completed.connect(on_course_completed, weak=False)
    signals.quiz_attempt_finished.connect(on_quiz_attempt_finished, weak=False)
    signals.play_started.connect(on_play_started, weak=False)
    signals.play_step_saving.connect(on_play_step_saving, weak=False)
    signals.play_finished.connect(on_play_finished, weak=False)


# --- backfill and export ------------------------------------------------------------------------

def backfill_sources(since: Optional[datetime] = None) -> list[tuple]:
    """Return (kind, ids…) of every recorded piece of work (after ``since``) that yields statements."""
    t = db.metadata.tables
    progress, enrolment, course = t["lesson_progress"], t["enrolment"], t["course"]
    attempt, play = t["attempt"], t["play"]

    def after(column):
        return column.is_not(None) if since is None else column >= since

    sources: list[tuple] = []
    sources += [("lesson", r.user_id, r.lesson_id) for r in db.session.execute(
        sa.select(progress.c.user_id, progress.c.lesson_id).where(after(progress.c.completed_at))
        .order_by(progress.c.id))]
    sources += [("course", r.user_id, r.slug) for r in db.session.execute(
        sa.select(enrolment.c.user_id, course.c.slug).join(course, course.c.id == enrolment.c.course_id)
        .where(after(enrolment.c.completed_at)).order_by(enrolment.c.id))]
    sources += [("quiz", r.user_id, r.id) for r in db.session.execute(
        sa.select(attempt.c.id, attempt.c.user_id)
        .where(attempt.c.state == "finished", attempt.c.is_practice.is_(False), after(attempt.c.finished_at))
        .order_by(attempt.c.id))]
    sources += [("play", r.user_id, r.id) for r in db.session.execute(
        sa.select(play.c.id, play.c.user_id).where(after(play.c.updated_at))
        .order_by(play.c.id))]
    return sources


def backfill_one(source: tuple) -> int:
    """Record the statements of one source from ``backfill_sources``; return how many were new."""
    kind, user_id, ref = source
    builders = {"lesson": lambda: xapi.lesson_statements(user_id, ref),
                "course": lambda: xapi.course_statements(user_id, ref),
                "quiz": lambda: xapi.quiz_statements(ref), "play": lambda: xapi.play_statements(ref)}
    return record(builders[kind](), user_id)


def count_statements(since: datetime, until: Optional[datetime] = None) -> int:
    """Return how many statements happened in [since, until)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(XapiStatement).where(*_window(since, until)))


def iter_statements(since: datetime, until: Optional[datetime] = None, chunk: int = 500) -> Iterator[dict]:
    """Yield the statements that happened in [since, until), oldest first, a chunk of rows at a time."""
    last_key = None
    while True:
        query = sa.select(XapiStatement.occurred_at, XapiStatement.id, XapiStatement.statement).where(
            *_window(since, until))
        if last_key is not None:
            query = query.where(sa.tuple_(XapiStatement.occurred_at, XapiStatement.id) > last_key)
        rows = db.session.execute(query.order_by(XapiStatement.occurred_at, XapiStatement.id).limit(chunk)).all()
        if not rows:
            return
        for row in rows:
            yield row.statement
        last_key = (rows[-1].occurred_at, rows[-1].id)


def _window(since: datetime, until: Optional[datetime]) -> list:
    """Return the WHERE clauses of a [since, until) window on the statement timestamps."""
    clauses = [XapiStatement.occurred_at >= since]
    if until is not None:
        clauses.append(XapiStatement.occurred_at < until)
    return clauses


def outbox_counts() -> dict:
    """Return {status: number of statements} of the outbox."""
    rows = db.session.execute(sa.select(XapiStatement.status, sa.func.count()).group_by(XapiStatement.status))
    return {"pending": 0, "sent": 0, "rejected": 0, **{status: n for status, n in rows}}



def recent_errors(limit: int = 10) -> list[XapiStatement]:
    """Return the rejected statements and the pending ones that failed, most recent first."""
    return list(db.session.scalars(
        sa.select(XapiStatement).where(XapiStatement.last_error != "", XapiStatement.status != "sent")
        .order_by(XapiStatement.id.desc()).limit(limit)
    ))
