"""Time every SQL statement an app runs: shared by bench/profile_page.py and bench/profile_post.py."""

import time

import sqlalchemy as sa


def record_statements(app) -> list[tuple[float, str, object]]:
    """Return a list that fills with (milliseconds, SQL, parameters) for each statement ``app``'s engine runs."""
    from app.extensions import db

    statements: list[tuple[float, str, object]] = []
    with app.app_context():
        @sa.event.listens_for(db.engine, "before_cursor_execute")
        def _start(conn, cursor, statement, parameters, context, executemany):
            conn.info.setdefault("started", []).append(time.perf_counter())

        @sa.event.listens_for(db.engine, "after_cursor_execute")
        def _stop(conn, cursor, statement, parameters, context, executemany):
            started = conn.info["started"].pop()
            statements.append(((time.perf_counter() - started) * 1000, statement, parameters))

    return statements


def record_write_windows(app) -> list[float]:
    """Return a list that fills with the milliseconds from each transaction's first write to the end of its commit.

    On SQLite that is how long the database's one write lock is held, which
    decides how well writes scale from one worker to several.
    """
    from app.extensions import db

    windows: list[float] = []
    opened: list[float] = []
    with app.app_context():
        @sa.event.listens_for(db.engine, "before_cursor_execute")
        def _first_write(conn, cursor, statement, parameters, context, executemany):
            if not opened and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
                opened.append(time.perf_counter())

        @sa.event.listens_for(db.session, "after_commit")
        def _committed(session):
            if opened:
                windows.append((time.perf_counter() - opened.pop()) * 1000)

        @sa.event.listens_for(db.session, "after_soft_rollback")
        def _rolled_back(session, previous_transaction):
            opened.clear()

    return windows
