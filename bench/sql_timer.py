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
