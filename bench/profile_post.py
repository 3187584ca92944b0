"""Profile one POST route of a seeded database: its SQL statements with their times, and a cProfile summary.

The counterpart of bench/profile_page.py for the writes bench/load.py measures.
Signs in with the test client (CSRF off unless ``--csrf``) as one of
bench/seed_large.py's accounts, sends the POST a few times to warm up, then
prints each SQL statement of one request with its time (in the order run), the
wall and CPU time per request over ``--requests`` requests, and the functions
that took the most time over as many more under cProfile (``--save`` also
writes the raw profile for pstats). Like wrk in bench/load.py, every request
carries the same session cookie. It writes to the database, so run it on a
copy of the seeded file.

TARGET is one of:

- ``quiz-save``: opens (or resumes) the learner's attempt at the first quiz it
  may start and posts ``action=save`` with one answer, as bench/load.py does;
- ``roleplay-step``: starts a play of the first published English scenario,
  copies its row once per request (like bench/load.py) and answers step 0 of a
  fresh copy each time;
- any path starting with ``/``: posted as is with the ``--data`` fields.

    .venv/bin/python bench/profile_post.py --database-url sqlite:////tmp/post.db quiz-save
    .venv/bin/python bench/profile_post.py --database-url sqlite:////tmp/post.db roleplay-step --sort tottime
    .venv/bin/python bench/profile_post.py --database-url … /quiz/attempt/7 --data action=save --data q12=3
"""

import cProfile
import gc
import itertools
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from sql_timer import record_statements, record_write_windows  # noqa: E402 - bench/, the folder of this script

PASSWORD = "load-password"


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def quiz_save(client, db, sa, token: dict) -> tuple:
    """Open an attempt of the first quiz the signed-in learner may start; return (paths, fields)."""
    quiz_ids = db.session.scalars(sa.text("SELECT id FROM quiz WHERE published ORDER BY id")).all()
    for quiz_id in quiz_ids:
        response = client.post(f"/quiz/{quiz_id}/start", data=token)
        match = re.search(r"/quiz/attempt/(\d+)$", response.headers.get("Location", ""))
        if response.status_code == 302 and match:
            path = f"/quiz/attempt/{match.group(1)}"
            page = client.get(path).get_data(as_text=True)
            fields = {**token, "action": "save", "token": re.search(r'name="token" value="([^"]+)"', page).group(1)}
            answer = re.search(r'name="(q\d+)"[^>]*value="(\d+)"', page) or re.search(r'name="(q\d+)"', page)
            if answer:
                fields[answer.group(1)] = answer.group(2) if answer.lastindex == 2 else "42"
            return itertools.repeat(path), fields
    raise click.ClickException("no quiz could be started by this account")


def roleplay_step(client, db, sa, token: dict, copies: int) -> tuple:
    """Start a play, copy it ``copies`` times; return (an iterator of step paths, fields)."""
    slug = db.session.scalar(sa.text("SELECT slug FROM scenario WHERE published AND lang = 'en' ORDER BY slug"))
    response = client.post(f"/roleplay/s/{slug}/play", data={**token, "restart": "1"})
    play_id = int(re.search(r"/play/(\d+)", response.headers["Location"]).group(1))
    page = client.get(f"/roleplay/play/{play_id}").get_data(as_text=True)
    fields = {**token, "step": "0"}
    if 'name="choice"' in page:
        fields["choice"] = "0"
    else:
        fields["text"] = "What is the biggest problem with how you handle this today?"
    play = sa.Table("play", sa.MetaData(), autoload_with=db.engine)
    with db.engine.begin() as conn:
        row = dict(conn.execute(sa.select(play).where(play.c.id == play_id)).mappings().one())
        start = conn.execute(sa.select(sa.func.max(play.c.id))).scalar() + 1
        conn.execute(play.insert(), [dict(row, id=start + n) for n in range(copies)])
    return (f"/roleplay/play/{start + n}/step" for n in range(copies)), fields


@click.command()
@click.argument("target")
@click.option("--database-url", required=True, help="A copy of a database filled by bench/seed_large.py.")
@click.option("--email", default="load-learner@example.com", show_default=True)
@click.option("--data", "pairs", multiple=True, metavar="KEY=VALUE", help="A form field of a path TARGET.")
@click.option("--requests", "count", default=50, show_default=True, type=int)
@click.option("--top", default=25, show_default=True, type=int, help="Functions to list.")
@click.option("--csrf", is_flag=True, help="Keep CSRF protection on and post real tokens, as bench/load.py does.")
@click.option("--save", "save_to", type=click.Path(dir_okay=False), help="Also write the raw profile here (pstats).")
@click.option("--sort", default="cumulative", show_default=True, type=click.Choice(["cumulative", "tottime"]),
              help="Order functions by time including or excluding what they call.")
def main(target, database_url, email, pairs, count, top, sort, csrf, save_to):
    """Print SQL timings and a cProfile summary of POST TARGET."""
    import sqlalchemy as sa

    os.environ.update(DATABASE_URL=database_url, SECRET_KEY="profile-only", REHEARSE_CONFIG="development")
    from app import create_app
    from app.extensions import db

    app = create_app({"WTF_CSRF_ENABLED": csrf, "RATELIMIT_ENABLED": False})
    statements = record_statements(app)
    windows = record_write_windows(app)

    client = app.test_client()
    token: dict = {}
    if csrf:
        token = {"csrf_token": CSRF.search(client.get("/auth/login").get_data(as_text=True)).group(1)}
    response = client.post("/auth/login", data={**token, "email": email, "password": PASSWORD})
    if response.status_code != 302:
        raise click.ClickException(f"could not sign in as {email}")
    if csrf:  # a token bound to the signed-in session
        token = {"csrf_token": CSRF.search(client.get("/home").get_data(as_text=True)).group(1)}
    warm_up = 5
    with app.app_context():
        if target == "quiz-save":
            paths, fields = quiz_save(client, db, sa, token)
        elif target == "roleplay-step":
            paths, fields = roleplay_step(client, db, sa, token, 2 * count + warm_up + 1)
        elif target.startswith("/"):
            paths, fields = itertools.repeat(target), {**token, **dict(pair.split("=", 1) for pair in pairs)}
        else:
            raise click.BadParameter("quiz-save, roleplay-step or a path", param_hint="TARGET")

    # Like wrk, send the same session cookie every time, so flashed messages do not pile up in it.
    session_cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])

    def post() -> None:
        """Send the POST to the next path; fail unless it redirects (a save or step is answered with one)."""
        path = next(paths)
        client.set_cookie(session_cookie.key, session_cookie.value)
        response = client.post(path, data=fields)
        if response.status_code != 302:
            raise click.ClickException(f"POST {path}: HTTP {response.status_code}")

    for _ in range(warm_up):
        post()
    # As deploy/gunicorn.conf.py does: keep what start-up loaded out of the cyclic collector's way.
    gc.collect()
    gc.freeze()
    statements.clear()
    started = time.perf_counter()
    post()
    total = (time.perf_counter() - started) * 1000
    click.echo(f"one POST {target} {fields}: {total:.1f} ms, {len(statements)} statements, "
               f"{sum(s[0] for s in statements):.1f} ms in SQL")
    for ms, statement, _ in statements:
        click.echo(f"{ms:8.2f} ms  {' '.join(statement.split())[:220]}")
    windows.clear()
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        post()
    # CPU time of this process moves less than wall time when other work shares the machine.
    click.echo(f"\n{count} × POST {target}: {(time.perf_counter() - started) * 1000 / count:.2f} ms each, "
               f"{(time.process_time() - cpu) * 1000 / count:.2f} ms CPU; from the first write to the end of "
               f"the commit (SQLite's write lock) {write_lock(windows)}")
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(count):
        post()
    profiler.disable()
    click.echo(f"{count} × POST {target}: {(time.perf_counter() - started) * 1000 / count:.1f} ms each under cProfile")
    if save_to:
        profiler.dump_stats(save_to)
    pstats.Stats(profiler).sort_stats(sort).print_stats(top)


def write_lock(windows: list[float]) -> str:
    """Return the write windows' median, mean and longest (the mean and the longest include SQLite's checkpoints)."""
    if not windows:
        return "0 ms"
    return (f"{statistics.median(windows):.2f} ms median, {statistics.fmean(windows):.2f} ms mean, "
            f"{max(windows):.2f} ms longest")


if __name__ == "__main__":
    main()
