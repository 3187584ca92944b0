"""Drive gunicorn on PostgreSQL while the database's connections are killed (and, optionally, PostgreSQL restarts).

Starts ``gunicorn -w 2`` on 127.0.0.1 against ``--database-url`` (a database of
its own: the script creates the tables it lacks, syncs content/ and scenarios/
and adds eight learners), signs the learners in through the login form, and has
them browse and start role-plays for ``--duration`` seconds. At ``--kill-at`` s
every connection to that database is ended with ``pg_terminate_backend`` from a
separate admin connection; with ``--pg-data DIR`` the cluster in DIR is also
restarted (``pg_ctl restart -m fast``) at ``--restart-at`` s, and started again
on the way out if it is not running. Only use ``--pg-data`` on a cluster nobody
else uses: a restart ends every other client's connections too.

Prints the requests made, the failed ones by status code (0 = no HTTP answer),
and for each fault the failures it caused and the time to recovery: from the
fault to the end of the last failed request it caused (a failure belongs to the
latest fault before it ended; every later request succeeded).

    createdb -h 127.0.0.1 -U postgres rehearse_faults_bench
    .venv/bin/python bench/faults.py --database-url postgresql://postgres@127.0.0.1/rehearse_faults_bench
"""

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import click
import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load import Server  # noqa: E402  (bench/load.py: gunicorn on loopback)

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "faults-password"
LEARNERS = 8


def psycopg_url(url: str) -> str:
    """Return the URL with the psycopg 3 driver, as config.py does for the app."""
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


def prepare(database_url: str) -> str:
    """Create missing tables, sync the bundled content, add the learners; return a scenario slug to play."""
    os.environ.setdefault("SECRET_KEY", "faults-bench-only")
    from app import create_app
    from app.extensions import db
    from app.models.people import User
    from app.models.roleplay import Scenario
    from app.services import content_sync

    app = create_app({"SQLALCHEMY_DATABASE_URI": psycopg_url(database_url)})
    with app.app_context():
        db.create_all()  # a throwaway bench database; real ones get their schema from `flask db upgrade`
        content_sync.sync_all()
        for i in range(LEARNERS):
            email = f"faults-{i}@example.com"
            if db.session.scalar(sa.select(User).where(User.email == email)) is None:
                user = User(email=email, name=f"Faults {i}", role="learner")
                user.set_password(PASSWORD)
                db.session.add(user)
        db.session.commit()
        slug = db.session.scalar(sa.select(Scenario.slug).where(Scenario.published.is_(True)).order_by(Scenario.slug))
        db.engine.dispose()
    if slug is None:
        raise click.ClickException("no published scenario after the content sync")
    return slug


def terminate_all(database_url: str) -> int:
    """End every connection to this database but our own; return how many were ended."""
    admin = sa.create_engine(psycopg_url(database_url), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        ended = conn.execute(sa.text(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    admin.dispose()
    return ended


def pg_ctl(data_dir: str, *args: str) -> subprocess.CompletedProcess:
    """Run pg_ctl on ``data_dir`` as the cluster's owner (PostgreSQL refuses to run as root).

    The server it starts logs to a file in the data folder: given our pipes, it
    would keep them open and this call would never return.
    """
    command = [shutil.which("pg_ctl") or "pg_ctl", "-D", data_dir, *args]
    if args[-1] in ("start", "restart"):
        command[3:3] = ["-l", str(Path(data_dir) / "bench-faults.log")]
    if os.geteuid() == 0:
        command = ["runuser", "-u", Path(data_dir).owner(), "--", *command]
    return subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=120)


class Learner(threading.Thread):
    """One browser: signs in, then loops over a few pages and a play start, recording every answer."""

    def __init__(self, base: str, email: str, slug: str, stop: threading.Event, record):
        super().__init__(daemon=True)
        self.base, self.email, self.slug, self.stop, self.record = base, email, slug, stop, record

    def run(self) -> None:
        """Sign in and browse until told to stop."""
        http = requests.Session()
        page = http.get(self.base + "/auth/login", timeout=10)
        http.post(self.base + "/auth/login", allow_redirects=False, timeout=10,
                  data={"email": self.email, "password": PASSWORD, "csrf_token": CSRF.search(page.text).group(1)})
        token = None
        while not self.stop.is_set():
            for method, path in (("GET", "/home"), ("GET", "/roleplay/"), ("GET", f"/roleplay/s/{self.slug}"),
                                 ("POST", f"/roleplay/s/{self.slug}/play")):
                started = time.monotonic()
                try:
                    if method == "GET":
                        response = http.get(self.base + path, timeout=10, allow_redirects=False)
                        found = CSRF.search(response.text)
                        token = found.group(1) if found else token
                    else:
                        response = http.post(self.base + path, timeout=10, allow_redirects=False,
                                             data={"csrf_token": token or "", "restart": "1"})
                    status = response.status_code
                except requests.RequestException:
                    status = 0
                self.record(started, time.monotonic(), status)


@click.command()
@click.option("--database-url", required=True, help="PostgreSQL database of its own (never one others use).")
@click.option("--duration", default=20.0, show_default=True, help="Seconds of traffic.")
@click.option("--kill-at", default=7.0, show_default=True, help="Second at which every connection is ended.")
@click.option("--pg-data", default=None, help="Data folder of a cluster of your own to restart (pg_ctl).")
@click.option("--restart-at", default=14.0, show_default=True, help="Second of the restart (with --pg-data).")
@click.option("--port", default=8766, show_default=True)
def main(database_url, duration, kill_at, pg_data, restart_at, port):
    """Kill the database's connections under load and report failures and recovery."""
    if not database_url.startswith(("postgres://", "postgresql")):
        raise click.ClickException("this bench needs PostgreSQL")
    slug = prepare(database_url)
    server = Server(database_url, port, Path("/tmp/rehearse-faults-gunicorn.log"))
    log: list[tuple[float, float, int]] = []
    lock = threading.Lock()
    faults: list[tuple[str, float]] = []

    def record(started, ended, status):
        with lock:
            log.append((started, ended, status))

    try:
        server.wait_ready()
        stop = threading.Event()
        learners = [Learner(server.base, f"faults-{i}@example.com", slug, stop, record) for i in range(LEARNERS)]
        begin = time.monotonic()
        for learner in learners:
            learner.start()
        time.sleep(kill_at)
        faults.append(("connections killed", time.monotonic()))
        click.echo(f"{kill_at:5.1f} s  ended {terminate_all(database_url)} connections")
        if pg_data:
            time.sleep(max(0.0, restart_at - (time.monotonic() - begin)))
            faults.append(("PostgreSQL restarted", time.monotonic()))
            done = pg_ctl(pg_data, "-m", "fast", "-w", "restart")
            click.echo(f"{restart_at:5.1f} s  pg_ctl restart: exit {done.returncode}, "
                       f"{time.monotonic() - faults[-1][1]:.1f} s")
        time.sleep(max(0.0, duration - (time.monotonic() - begin)))
        stop.set()
        for learner in learners:
            learner.join(timeout=15)
    finally:
        server.stop()
        if pg_data and pg_ctl(pg_data, "status").returncode != 0:  # never leave it stopped
            pg_ctl(pg_data, "-w", "start")

    failed = [entry for entry in log if entry[2] >= 500 or entry[2] == 0]
    click.echo(f"requests {len(log)}, failed {len(failed)}, by status "
               f"{dict(sorted(Counter(status for _, _, status in failed).items()))}, "
               f"all statuses {dict(sorted(Counter(status for _, _, status in log).items()))}")
    def cause(ended: float) -> int:
        """Return the index of the latest fault before a failure ended (-1: before any fault)."""
        return max((i for i, (_, at) in enumerate(faults) if at <= ended), default=-1)

    for index, (name, at) in enumerate(faults):
        caused = [entry for entry in failed if cause(entry[1]) == index]
        recovery = max((ended for _, ended, _ in caused), default=at) - at
        click.echo(f"{name}: {len(caused)} failed request(s), "
                   f"{dict(sorted(Counter(status for _, _, status in caused).items()))}, "
                   f"recovered {recovery:.2f} s after the fault")


if __name__ == "__main__":
    main()
