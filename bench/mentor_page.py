"""Benchmark the mentor page on a large organisation (own temporary SQLite database).

Seeds LEARNERS learners (default 3,000) under MENTORS mentors, gives the bench
mentor 50 mentees, every learner ~40 activity records, assignments, courses and
deals, then times GET /mentor/ with the test client and prints p50 / p95 beside
a trivial route (/healthz) measured in the same run. Target: p50 < 100 ms for
a full render, so the page cache (app/view_cache.py) is off for that figure;
a second line shows the same page served from the cache.

    .venv/bin/python bench/mentor_page.py [--learners 3000] [--requests 60]
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models.mentoring import Assignment, LearnerActivity  # noqa: E402
from app.models.people import MentorPairing, Team, User  # noqa: E402

PASSWORD = "bench-password"
TIERS = ("new_hire", "core", "manager")


def seed(learners: int, mentors: int, mentees_of_bench: int, rng: random.Random) -> str:
    """Fill the database; return the bench mentor's email."""
    now = datetime.now(timezone.utc)
    probe = User(email="x@x", name="x", password_hash="")
    probe.set_password(PASSWORD)
    hashed = probe.password_hash
    teams = [Team(name=f"Region {i}") for i in range(6)]
    db.session.add_all(teams)
    db.session.flush()
    users = [{"email": "bench-mentor@example.com", "name": "Bench Mentor", "role": "mentor", "tier": "core",
              "team_id": teams[0].id, "password_hash": hashed, "active": True, "created_at": now}]
    users += [{"email": f"mentor{i}@example.com", "name": f"Mentor {i}", "role": "mentor", "tier": "core",
               "team_id": teams[i % 6].id, "password_hash": hashed, "active": True, "created_at": now}
              for i in range(mentors - 1)]
    users += [{"email": f"learner{i}@example.com", "name": f"Learner {i:05d}", "role": "learner",
               "tier": TIERS[i % 3], "team_id": teams[i % 6].id, "password_hash": hashed, "active": True,
               "created_at": now - timedelta(days=120)} for i in range(learners)]
    db.session.execute(sa.insert(User), users)
    ids = dict(db.session.execute(sa.select(User.email, User.id)).all())
    mentor_ids = [ids["bench-mentor@example.com"]] + [ids[f"mentor{i}@example.com"] for i in range(mentors - 1)]
    learner_ids = [ids[f"learner{i}@example.com"] for i in range(learners)]
    pairings = []
    for n, learner_id in enumerate(learner_ids):
        mentor_id = mentor_ids[0] if n < mentees_of_bench else mentor_ids[1 + n % (mentors - 1)]
        pairings.append({"mentor_id": mentor_id, "mentee_id": learner_id, "start_date": date.today() - timedelta(days=60),
                         "goal": "", "created_at": now})
    db.session.execute(sa.insert(MentorPairing), pairings)
    if "app.models.library" in sys.modules:
        from app.models.library import Course

        db.session.execute(sa.insert(Course), [
            {"slug": f"course-{t}-{i}", "title": f"{t} course {i}", "tier": t, "lang": "en", "position": i,
             "prerequisites": [], "tags": [], "behaviours": [], "published": True}
            for t in TIERS for i in range(8)
        ])
    activity, assignments = [], []
    for learner_id in learner_ids:
        level = rng.uniform(0.3, 0.9)
        for i in range(24):
            activity.append({"user_id": learner_id, "kind": "quiz", "ref_key": str(i % 6), "ref_id": learner_id * 100 + i,
                             "title": "", "occurred_at": now - timedelta(days=rng.uniform(0, 150)),
                             "score": rng.uniform(level - 0.2, level + 0.2), "passed": rng.random() < level})
        for i in range(10):
            activity.append({"user_id": learner_id, "kind": "play", "ref_key": f"s{i % 4}",
                             "ref_id": learner_id * 100 + 50 + i, "title": "", "outcome": "won",
                             "occurred_at": now - timedelta(days=rng.uniform(0, 150)), "score": rng.uniform(0.2, 0.9),
                             "dimensions": {d: rng.uniform(0.2, 0.9) for d in ("rapport", "discovery", "closing")}})
        for i in range(6):
            activity.append({"user_id": learner_id, "kind": "lesson" if i < 4 else "course",
                             "ref_key": f"course-new_hire-{i % 4}", "ref_id": learner_id * 100 + 80 + i, "title": "",
                             "occurred_at": now - timedelta(days=rng.uniform(0, 150))})
        for i in range(3):
            assignments.append({"kind": "quiz", "target_key": str(i), "target_title": f"Quiz {i}",
                                "assignee_id": learner_id, "assigned_by_id": mentor_ids[0], "message": "",
                                "due_on": date.today() + timedelta(days=rng.randint(-10, 10)),
                                "status": rng.choice(["not_started", "in_progress", "done"]), "created_at": now})
    for start in range(0, len(activity), 20_000):
        db.session.execute(sa.insert(LearnerActivity), activity[start:start + 20_000])
    db.session.execute(sa.insert(Assignment), assignments)
    if "app.models.deals" in sys.modules:
        from app.models.deals import Deal

        db.session.execute(sa.insert(Deal), [
            {"deal_id": f"D{n}", "outcome": rng.choice(["won", "lost", "lost", "open"]), "owner_id": owner,
             "closed_at": now - timedelta(days=rng.uniform(0, 300)), "behaviours": {}, "stage": ""}
            for n, owner in enumerate(rng.choices(learner_ids + mentor_ids, k=learners * 4))
        ])
    db.session.commit()
    print(f"seeded {learners} learners, {mentors} mentors, {len(activity)} activity records, "
          f"{len(assignments)} assignments")
    return "bench-mentor@example.com"


def timed(client, path: str, n: int) -> list[float]:
    """Return the response times of ``n`` GETs in milliseconds (after one warm-up)."""
    assert client.get(path).status_code == 200, path
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return times


def summary(times: list[float]) -> str:
    """Return p50 and p95 of the times."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms"


def main() -> None:
    """Seed, sign in, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=3000)
    parser.add_argument("--mentors", type=int, default=60)
    parser.add_argument("--mentees", type=int, default=50, help="mentees of the measured mentor")
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="rehearse-bench-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db", "RATELIMIT_ENABLED": False,
                      "VIEW_CACHE_ENABLED": False})
    with app.app_context():
        db.create_all()
        email = seed(args.learners, args.mentors, args.mentees, random.Random(1))
        client = app.test_client()
        assert client.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code == 302
        trivial = timed(client, "/healthz", args.requests)
        page = timed(client, "/mentor/", args.requests)
        app.config["VIEW_CACHE_ENABLED"] = True
        cached = timed(client, "/mentor/", args.requests)
        print(f"GET /healthz  (trivial)              {summary(trivial)}")
        print(f"GET /mentor/  ({args.mentees} mentees)            {summary(page)}")
        print(f"GET /mentor/  (from the page cache)   {summary(cached)}")
        verdict = "OK" if statistics.median(page) < 100 else "SLOWER THAN the 100 ms target"
        print(f"target p50 < 100 ms: {verdict}")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
