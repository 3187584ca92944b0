"""Load-test a seeded database through gunicorn with wrk, on loopback only.

Needs wrk (Debian: ``apt-get install -y wrk``) and a database filled by
bench/seed_large.py. Starts ``gunicorn -w 2`` (``--workers``) on 127.0.0.1 with the production
settings file deploy/gunicorn.conf.py (preloaded app, ``gc.freeze()``) and
REHEARSE_CONFIG=development (CSRF on, no debug, no template reloading; the
production config's secure cookies would not travel over plain HTTP), signs in the seeded learner and mentor
with the real login form, takes real CSRF tokens from their pages, and runs
wrk (1 thread, 8 connections, a fixed duration each) against:

- ``GET /healthz`` (the trivial route every other figure is compared with);
- ``GET /home`` as the learner; ``GET /mentor/`` as the mentor (both cached pages, app/view_cache.py:
  repeated views of an unchanged page are served from the cache);
- quiz: ``POST /quiz/attempt/<id>`` with ``action=save`` and an answer on an open
  attempt (a final submit closes the attempt, so it cannot be repeated; saving
  runs the same form parsing, checks and write);
- role-play: ``POST /roleplay/play/<id>/step`` answering step 0, each request on
  a different fresh play (the script starts one play through the app, then
  copies that row so every request makes a real step).

Before those (unless ``--no-cache-off``), a server with ``VIEW_CACHE_ENABLED=0`` measures
``/healthz``, ``/home`` and ``/mentor/``, each page rendered on every request, as it is
the first time after any change the learner or their mentees make. The role-play
copies are made last, so neither home page is measured with them in the learner's list.

Each route runs ``--rounds`` times (default 3), each time right after a run
of /healthz, and its share of /healthz's throughput is taken against that run,
so the machine speeding up or slowing down between runs (shared virtual
machines do) moves both sides. Prints the medians over the rounds: requests/s,
p50 and p95 for each, its share of /healthz's throughput, and whether p95 <
50 ms and throughput >= 1/4 of /healthz. gunicorn is stopped at the end.
The copied plays stay in the database (they belong to the load learner).

    .venv/bin/python bench/load.py --database-url sqlite:////tmp/rehearse-load.db [--duration 10]
"""

import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import click
import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-password"
LEARNER = "load-learner@example.com"
MENTOR = "load-mentor@example.com"
# Flask-Login's "strong" session protection ties a session to the User-Agent, so wrk sends the same one.
USER_AGENT = "rehearse-load"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LUA = """
local paths = {{{paths}}}
local counter = 0
wrk.method = "{method}"
wrk.headers["User-Agent"] = "rehearse-load"
wrk.headers["Cookie"] = "{cookie}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "{body}"
request = function()
  counter = counter + 1
  return wrk.format(nil, paths[(counter - 1) % #paths + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), e.connect + e.read + e.write + e.status + e.timeout))
end
"""


class Server:
    """A gunicorn process on loopback, stopped on exit."""

    def __init__(self, database_url: str, port: int, workers: int, log: Path, **settings: str):
        self.base = f"http://127.0.0.1:{port}"
        env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="load-test-only",
                   REHEARSE_CONFIG="development", LOGIN_RATE_LIMIT="1000 per minute", **settings)
        self.log = open(log, "w")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py"), "-w", str(workers),
             "--no-control-socket", "-b", f"127.0.0.1:{port}", "app:create_app()"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60) -> None:
        """Poll /healthz until it answers, or fail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise click.ClickException(f"gunicorn exited; see {self.log.name}")
            try:
                if requests.get(self.base + "/healthz", timeout=5).ok:
                    return
            except requests.RequestException:  # not listening yet, or workers still booting
                pass
            time.sleep(0.3)
        raise click.ClickException("gunicorn did not answer /healthz in time")

    def stop(self) -> None:
        """Stop gunicorn (and its workers) and wait for it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def sign_in(base: str, email: str) -> tuple[requests.Session, str]:
    """Sign in through the login form; return the session and a CSRF token from a signed-in page."""
    http = requests.Session()
    http.headers["User-Agent"] = USER_AGENT
    page = http.get(base + "/auth/login", timeout=10)
    response = http.post(base + "/auth/login", timeout=10, allow_redirects=False,
                         data={"email": email, "password": PASSWORD, "csrf_token": CSRF.search(page.text).group(1)})
    if response.status_code != 302 or "/auth/login" in response.headers.get("Location", ""):
        raise click.ClickException(f"could not sign in as {email} (HTTP {response.status_code}); seeded database?")
    home = http.get(base + "/home", timeout=10)
    return http, CSRF.search(home.text).group(1)


def cookie_header(http: requests.Session) -> str:
    """Return the session's cookies as one Cookie header (the token is bound to this session)."""
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


def form_body(fields: dict) -> str:
    """URL-encode form fields for a wrk body."""
    from urllib.parse import urlencode

    return urlencode(fields)


def expect_redirect(response: requests.Response, what: str) -> None:
    """Fail unless a POST was accepted (a redirect, not back to sign-in, no CSRF error)."""
    location = response.headers.get("Location", "")
    if response.status_code != 302 or "/auth/login" in location:
        raise click.ClickException(f"{what}: HTTP {response.status_code} {location}")


def prepare_quiz(base: str, http: requests.Session, token: str, engine) -> tuple[str, str]:
    """Open an attempt for the learner; return its path and a save body with one answer."""
    quiz_ids = [row[0] for row in engine.connect().execute(
        sa.text("SELECT id FROM quiz WHERE published ORDER BY id"))]
    for quiz_id in quiz_ids:
        response = http.post(f"{base}/quiz/{quiz_id}/start", data={"csrf_token": token}, timeout=10,
                             allow_redirects=False)
        match = re.search(r"/quiz/attempt/(\d+)$", response.headers.get("Location", ""))
        if response.status_code == 302 and match:
            path = f"/quiz/attempt/{match.group(1)}"
            page = http.get(base + path, timeout=10).text
            fields = {"csrf_token": token, "action": "save",
                      "token": re.search(r'name="token" value="([^"]+)"', page).group(1)}
            answer = re.search(r'name="(q\d+)"[^>]*value="(\d+)"', page) or re.search(r'name="(q\d+)"', page)
            if answer:
                fields[answer.group(1)] = answer.group(2) if answer.lastindex == 2 else "42"
            body = form_body(fields)
            expect_redirect(http.post(base + path, data=fields, timeout=10, allow_redirects=False), "quiz save")
            return path, body
    raise click.ClickException("no quiz could be started by the load learner")


def prepare_plays(base: str, http: requests.Session, token: str, engine, copies: int) -> tuple[list[str], str]:
    """Start one play through the app, copy it ``copies`` times; return the step paths and the body."""
    slug = engine.connect().execute(sa.text(
        "SELECT slug FROM scenario WHERE published AND lang = 'en' ORDER BY slug")).first()[0]
    response = http.post(f"{base}/roleplay/s/{slug}/play", data={"csrf_token": token, "restart": "1"},
                         timeout=10, allow_redirects=False)
    expect_redirect(response, "start play")
    play_id = int(re.search(r"/play/(\d+)", response.headers["Location"]).group(1))
    page = http.get(f"{base}/roleplay/play/{play_id}", timeout=10).text
    fields = {"csrf_token": token, "step": "0"}
    if 'name="choice"' in page:
        fields["choice"] = "0"
    else:
        fields["text"] = "What is the biggest problem with how you handle this today?"
    play = sa.Table("play", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        row = dict(conn.execute(sa.select(play).where(play.c.id == play_id)).mappings().one())
        start = conn.execute(sa.select(sa.func.max(play.c.id))).scalar() + 1
        rows = [dict(row, id=start + n) for n in range(copies)]
        for n in range(0, copies, 5000):
            conn.execute(play.insert(), rows[n:n + 5000])
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('play', 'id'), (SELECT max(id) FROM play))"))
    paths = [f"/roleplay/play/{start + n}/step" for n in range(copies)]
    # Use the original play for the check so every copy is still at step 0 when wrk starts.
    expect_redirect(http.post(f"{base}/roleplay/play/{play_id}/step", data=fields, timeout=10,
                              allow_redirects=False), "role-play step")
    return paths, form_body(fields)


def probe(base: str, path: str, cookie: str, expect: int, body: str = "") -> None:
    """Send one request exactly as wrk will (same headers, no session object); fail on a surprise."""
    headers = {"User-Agent": USER_AGENT, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    if body:
        response = requests.post(base + path, data=body, headers=headers, timeout=10, allow_redirects=False)
    else:
        response = requests.get(base + path, headers=headers, timeout=10, allow_redirects=False)
    location = response.headers.get("Location", "")
    if response.status_code != expect or "/auth/login" in location:
        raise click.ClickException(f"{path}: expected HTTP {expect}, got {response.status_code} {location}")


def run_wrk(base: str, name: str, paths: list[str], duration: int, connections: int, workdir: Path,
            method: str = "GET", cookie: str = "", body: str = "") -> dict:
    """Run wrk with a generated Lua script; return requests/s, p50 and p95 (ms) and errors."""
    script = workdir / f"{name.replace(' ', '_').replace('/', '')}.lua"
    script.write_text(LUA.format(paths=", ".join(f'"{p}"' for p in paths), method=method, cookie=cookie, body=body))
    output = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
                             "-s", str(script), base], capture_output=True, text=True, timeout=duration + 60)
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", output.stdout)
    if not match:
        raise click.ClickException(f"wrk failed for {name}: {output.stdout}{output.stderr}")
    count, micros, p50, p95, errors = (int(g) for g in match.groups())
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", output.stdout)
    return {"name": name, "requests": count, "rps": count / (micros / 1e6), "p50": p50 / 1000,
            "p95": p95 / 1000, "errors": errors + (int(non_ok.group(1)) if non_ok else 0)}


def in_rounds(rounds: int, trivial, routes: list) -> tuple[list[dict], list[float]]:
    """Run the trivial route and then each route, ``rounds`` times; return one row per route and the trivial rates.

    ``trivial`` and each of ``routes`` are functions of the round number returning a
    run_wrk result. Each route's share is taken against the trivial route of its own
    round, so a machine that speeds up or slows down between runs moves both; a row
    holds the medians over the rounds (errors are added up).
    """
    samples: list[list[dict]] = [[] for _ in routes]
    trivial_rates = []
    for number in range(rounds):
        rate = trivial(number)["rps"]
        trivial_rates.append(rate)
        for route, runs in zip(routes, samples):
            run = route(number)
            run["share"] = run["rps"] / rate if rate else 0.0
            runs.append(run)
    rows = [{"name": runs[0]["name"], "requests": sum(r["requests"] for r in runs),
             "errors": sum(r["errors"] for r in runs),
             **{key: statistics.median(r[key] for r in runs) for key in ("rps", "p50", "p95", "share")}}
            for runs in samples]
    return rows, trivial_rates


def print_rows(rows: list[dict], duration: int) -> None:
    """Print one line per route: rate, latency, errors, share of the trivial route, and the targets."""
    for row in rows:
        if not row["requests"]:
            click.echo(f"{row['name']:24} no request finished in {duration} s; use a longer --duration")
            continue
        fast, busy = row["p95"] < 50, row["share"] >= 0.25
        click.echo(f"{row['name']:24} {row['rps']:8,.0f} {row['p50']:8.1f} {row['p95']:8.1f} {row['errors']:7} "
                   f"{row['share']:9.2f}  {'yes' if fast else 'NO':8}  {'yes' if busy else 'NO'}")


def rates(values: list[float]) -> str:
    """Return the trivial route's rates of the rounds, for the heading."""
    return " / ".join(f"{value:,.0f}" for value in values) + " req/s"


@click.command()
@click.option("--database-url", required=True, help="A database filled by bench/seed_large.py.")
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--duration", default=10, show_default=True, type=click.IntRange(1, 60), help="Seconds per route.")
@click.option("--connections", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 16),
              help="gunicorn workers (one per core is the deployment's setting).")
@click.option("--cache-off/--no-cache-off", default=True, show_default=True,
              help="Also measure /home and /mentor/ with the page cache off (a second server).")
@click.option("--rounds", default=3, show_default=True, type=click.IntRange(1, 10),
              help="Times each route runs, each time right after /healthz; the table shows medians.")
def main(database_url, port, duration, connections, workers, cache_off, rounds):
    """Measure the main pages and POSTs against /healthz; print a table."""
    if not shutil.which("wrk"):
        raise click.ClickException("wrk is missing: apt-get install -y wrk")
    # The app uses the psycopg 3 driver for postgresql:// URLs (config.py); do the same here.
    engine = sa.create_engine(re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", database_url))
    workdir = Path(tempfile.mkdtemp(prefix="rehearse-load-"))

    def wrk(base, name, paths, **request):
        return lambda number: run_wrk(base, name, paths, duration, connections, workdir, **request)

    uncached = None
    if cache_off:
        # First, before the role-play copies below pile thousands of unfinished plays onto the learner:
        # the same pages rendered on every request, as the first view after any change is.
        server = Server(database_url, port, workers, workdir / "gunicorn-uncached.log", VIEW_CACHE_ENABLED="0")
        try:
            server.wait_ready()
            learner_cookie = cookie_header(sign_in(server.base, LEARNER)[0])
            mentor_cookie = cookie_header(sign_in(server.base, MENTOR)[0])
            uncached = in_rounds(rounds, wrk(server.base, "GET /healthz", ["/healthz"]), [
                wrk(server.base, "GET /home, cache off", ["/home"], cookie=learner_cookie),
                wrk(server.base, "GET /mentor/, cache off", ["/mentor/"], cookie=mentor_cookie),
            ])
        finally:
            server.stop()
    server = Server(database_url, port, workers, workdir / "gunicorn.log")
    try:
        server.wait_ready()
        base = server.base
        learner, learner_token = sign_in(base, LEARNER)
        mentor, _ = sign_in(base, MENTOR)
        quiz_path, quiz_body = prepare_quiz(base, learner, learner_token, engine)
        # Cookies are read last: taking a token or signing in may have rewritten the session.
        learner_cookie, mentor_cookie = cookie_header(learner), cookie_header(mentor)
        probe(base, "/home", learner_cookie, 200)
        probe(base, "/mentor/", mentor_cookie, 200)
        probe(base, quiz_path, learner_cookie, 302, quiz_body)
        trivial = wrk(base, "GET /healthz", ["/healthz"])
        rows, trivial_rates = in_rounds(rounds, trivial, [
            wrk(base, "GET /home (learner)", ["/home"], cookie=learner_cookie),
            wrk(base, "GET /mentor/ (mentor)", ["/mentor/"], cookie=mentor_cookie),
            wrk(base, "POST quiz save", [quiz_path], method="POST", cookie=learner_cookie, body=quiz_body),
        ])
        share = 2000 * duration  # fresh plays per round, more than a round can answer
        play_paths, step_body = prepare_plays(base, learner, learner_token, engine, copies=share * rounds + 1)
        learner_cookie = cookie_header(learner)
        probe(base, play_paths.pop(), learner_cookie, 302, step_body)
        step_rows, step_trivial_rates = in_rounds(rounds, trivial, [
            lambda number: run_wrk(base, "POST role-play step", play_paths[number * share:(number + 1) * share],
                                   duration, connections, workdir, "POST", learner_cookie, step_body),
        ])
        stepped = engine.connect().execute(sa.text(
            "SELECT count(*) FROM play WHERE id >= :first AND step_count > 0"),
            {"first": int(play_paths[0].split("/")[3])}).scalar()
    finally:
        server.stop()
    click.echo(f"\nwrk -t1 -c{connections} -d{duration}s, gunicorn -w {workers}, {engine.dialect.name}, medians of "
               f"{rounds} round(s); /healthz {rates(trivial_rates)}, in the step rounds {rates(step_trivial_rates)}")
    click.echo(f"{'route':24} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} {'/healthz':>9}  "
               f"p95<50ms  >=1/4 healthz")
    print_rows(rows + step_rows, duration)
    if uncached:
        click.echo(f"\nthe cached pages rendered on every request (VIEW_CACHE_ENABLED=0), "
                   f"beside /healthz of that server: {rates(uncached[1])}")
        print_rows(uncached[0], duration)
    steps = step_rows[0]["requests"]
    click.echo(f"role-play: {stepped:,} fresh plays advanced by {steps:,} requests"
               + ("" if stepped >= steps else " (some requests hit an already-answered step)"))
    engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)  # kept after a failure: it holds gunicorn.log


if __name__ == "__main__":
    main()
