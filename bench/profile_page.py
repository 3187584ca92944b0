"""Profile one page of a seeded database: its SQL statements with their times, and a cProfile summary.

Signs in with the test client (CSRF off) as one of bench/seed_large.py's
accounts, requests the page a few times to warm up, then prints each SQL
statement of one request with its time (slowest first) and the functions that
took the most cumulative time over ``--requests`` requests. With ``--explain``
it also prints the query plan of the slowest statements (SQLite and PostgreSQL).

    .venv/bin/python bench/profile_page.py --database-url sqlite:////tmp/rehearse-load.db /home
    .venv/bin/python bench/profile_page.py --database-url … --email load-mentor@example.com /mentor/ --explain
"""

import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from sql_timer import record_statements  # noqa: E402 - bench/, the folder of this script

PASSWORD = "load-password"


@click.command()
@click.argument("path")
@click.option("--database-url", required=True, help="A database filled by bench/seed_large.py.")
@click.option("--email", default="load-learner@example.com", show_default=True)
@click.option("--requests", "count", default=20, show_default=True, type=int)
@click.option("--top", default=25, show_default=True, type=int, help="Functions to list.")
@click.option("--explain", is_flag=True, help="Print the plans of the five slowest statements.")
@click.option("--sort", default="cumulative", show_default=True, type=click.Choice(["cumulative", "tottime"]),
              help="Order functions by time including or excluding what they call.")
def main(path, database_url, email, count, top, explain, sort):
    """Print SQL timings and a cProfile summary of GET PATH."""
    os.environ.update(DATABASE_URL=database_url, SECRET_KEY="profile-only", REHEARSE_CONFIG="development")
    from app import create_app
    from app.extensions import db

    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    statements = record_statements(app)

    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    if response.status_code != 302:
        raise click.ClickException(f"could not sign in as {email}")
    for _ in range(3):
        assert client.get(path).status_code == 200, path
    statements.clear()
    started = time.perf_counter()
    client.get(path)
    total = (time.perf_counter() - started) * 1000
    click.echo(f"one GET {path}: {total:.1f} ms, {len(statements)} statements, "
               f"{sum(s[0] for s in statements):.1f} ms in SQL")
    slowest = sorted(statements, key=lambda s: -s[0])
    for ms, statement, _ in slowest[:15]:
        click.echo(f"{ms:8.2f} ms  {' '.join(statement.split())[:220]}")
    if explain:
        with app.app_context():
            prefix = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
            for ms, statement, parameters in slowest[:5]:
                click.echo(f"\n{ms:.2f} ms  {' '.join(statement.split())[:300]}")
                raw = db.engine.raw_connection()
                try:
                    cursor = raw.cursor()
                    cursor.execute(prefix + statement, parameters)
                    for row in cursor.fetchall():
                        click.echo("    " + " ".join(str(c) for c in row))
                finally:
                    raw.close()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(count):
        client.get(path)
    profiler.disable()
    click.echo(f"\n{count} × GET {path}: {(time.perf_counter() - started) * 1000 / count:.1f} ms each under cProfile")
    pstats.Stats(profiler).sort_stats(sort).print_stats(top)


if __name__ == "__main__":
    main()
