"""Build a large organisation in a database for load tests (deterministic, seeded random).

Runs the migrations and the content sync, then bulk-inserts (SQLAlchemy Core
executemany in chunks) teams, learners, mentors with pairings, quiz attempts
(one or two items each), role-play plays, deals with their activities and the
mentor workspace's activity records. At --scale 1: 2,000 learners, 200 mentors,
100,000 attempts, 50,000 plays, 20,000 deals with 200,000 activities.

    .venv/bin/python bench/seed_large.py --scale 0.1
    .venv/bin/python bench/seed_large.py --database-url postgresql://postgres@127.0.0.1/rehearse_load
    .venv/bin/python bench/seed_large.py --schema models   # tables from the models, not the migrations

Known accounts (password ``load-password``): load-learner@example.com (a learner
with attempts and plays) and load-mentor@example.com (a mentor with 12 mentees).
The target database must be new (or at least have no users); never point it at
a database you care about.
"""

import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "load-password"
TIERS = ("new_hire", "core", "manager")
CHUNK = 5_000
ACTIVITIES = ("call", "email", "meeting", "demo", "proposal", "discovery", "follow_up", "negotiation")


def chunked_insert(conn, table, rows, label: str) -> int:
    """Insert ``rows`` (a list of dicts) in chunks with a progress bar; return the count."""
    with click.progressbar(length=len(rows), label=f"{label:18}", file=sys.stderr) as bar:
        for start in range(0, len(rows), CHUNK):
            part = rows[start:start + CHUNK]
            conn.execute(table.insert(), part)
            bar.update(len(part))
    return len(rows)


def next_id(conn, table) -> int:
    """Return one past the table's largest id (ids are assigned here so children can refer to them)."""
    import sqlalchemy as sa

    return (conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0) + 1


def build(scale: float, rng: random.Random) -> dict[str, int]:
    """Insert the organisation into the app's database; return row counts per table."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models.deals import Deal, DealActivity
    from app.models.mentoring import LearnerActivity
    from app.models.people import MentorPairing, Team, User
    from app.models.quiz import Attempt, AttemptItem, Question, Quiz, QuizSlot
    from app.models.roleplay import Play, Scenario, ScenarioVersion

    n_learners = max(20, int(2_000 * scale))
    n_mentors = max(3, int(200 * scale))
    n_attempts = int(100_000 * scale)
    n_plays = int(50_000 * scale)
    n_deals = max(10, int(20_000 * scale))
    n_deal_activities = int(200_000 * scale)
    now = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)  # fixed so two runs give the same data
    counts: dict[str, int] = {}

    probe = User(email="x@x", name="x", password_hash="")
    probe.set_password(PASSWORD)
    hashed = probe.password_hash

    quizzes = db.session.execute(sa.select(Quiz.id, Quiz.bank_id, Quiz.title, Quiz.pass_mark)).all()
    current = db.session.execute(sa.select(Question.id, Question.key, Question.bank_id)
                                 .where(Question.is_current)).all()
    by_key = {q.key: q.id for q in current}
    by_bank: dict[int, list[int]] = {}
    for q in current:
        by_bank.setdefault(q.bank_id, []).append(q.id)
    quiz_questions = {}
    for quiz in quizzes:
        keys = db.session.scalars(sa.select(QuizSlot.question_key).where(QuizSlot.quiz_id == quiz.id)
                                  .order_by(QuizSlot.position)).all()
        ids = [by_key[k] for k in keys if k in by_key] or by_bank.get(quiz.bank_id, [])
        if ids:
            quiz_questions[quiz.id] = ids
    quizzes = [q for q in quizzes if q.id in quiz_questions]
    versions = db.session.execute(
        sa.select(Scenario.id, Scenario.slug, Scenario.title, ScenarioVersion.id.label("version_id"))
        .join(ScenarioVersion, sa.and_(ScenarioVersion.scenario_id == Scenario.id,
                                       ScenarioVersion.number == Scenario.current_version))).all()
    if not quizzes or not versions:
        raise click.ClickException("the content sync left no quizzes or scenarios; check content/ and scenarios/")
    db.session.commit()

    with db.engine.begin() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(User.__table__)).scalar():
            raise click.ClickException("the database already has users; seed a new database")
        team_rows = [{"id": i + 1, "name": f"Load region {i + 1:02d}", "created_at": now} for i in range(20)]
        counts["team"] = chunked_insert(conn, Team.__table__, team_rows, "teams")

        def user(uid, email, name, role, tier, days):
            return {"id": uid, "email": email, "name": name, "role": role, "tier": tier,
                    "team_id": 1 + uid % 20, "password_hash": hashed, "active": True,
                    "created_at": now - timedelta(days=days)}

        users = [user(1, "load-admin@example.com", "Load Admin", "admin", "manager", 400),
                 user(2, "load-trainer@example.com", "Load Trainer", "trainer", "manager", 400),
                 user(3, "load-mentor@example.com", "Load Mentor", "mentor", "core", 400)]
        mentor_ids = [3] + list(range(4, 4 + n_mentors - 1))
        users += [user(uid, f"mentor{uid}@example.com", f"Mentor {uid}", "mentor", "core", 300)
                  for uid in mentor_ids[1:]]
        first_learner = 4 + n_mentors - 1
        learner_ids = list(range(first_learner, first_learner + n_learners))
        users += [user(uid, "load-learner@example.com" if uid == first_learner else f"learner{uid}@example.com",
                       f"Learner {uid:05d}", "learner", TIERS[uid % 3], rng.randint(30, 365)) for uid in learner_ids]
        counts["user"] = chunked_insert(conn, User.__table__, users, "users")

        # The load mentor gets the first 12 learners (so /mentor/ shows a realistic team);
        # the rest are spread over the other mentors.
        pairings = []
        for n, uid in enumerate(learner_ids):
            mentor = mentor_ids[0] if n < 12 or len(mentor_ids) == 1 else mentor_ids[1 + n % (len(mentor_ids) - 1)]
            pairings.append({"mentor_id": mentor, "mentee_id": uid, "goal": "",
                             "start_date": (now - timedelta(days=rng.randint(10, 200))).date(), "created_at": now})
        counts["mentor_pairing"] = chunked_insert(conn, MentorPairing.__table__, pairings, "pairings")

        attempts, items, activity = [], [], []
        numbers: dict[tuple[int, int], int] = {}
        attempt_id, item_id = next_id(conn, Attempt.__table__), next_id(conn, AttemptItem.__table__)
        for _ in range(n_attempts):
            # The load learner takes a share of the attempts so their pages carry real history.
            uid = first_learner if rng.random() < 0.002 else rng.choice(learner_ids)
            quiz = rng.choice(quizzes)
            number = numbers[(quiz.id, uid)] = numbers.get((quiz.id, uid), 0) + 1
            started = now - timedelta(days=rng.uniform(0, 180))
            finished = started + timedelta(minutes=rng.uniform(2, 30))
            score = round(rng.betavariate(5, 2), 3)
            passed = score >= quiz.pass_mark
            attempts.append({"id": attempt_id, "quiz_id": quiz.id, "user_id": uid, "number": number,
                             "is_practice": False, "state": "finished", "open_key": None,
                             "submit_token": f"{attempt_id:032x}", "started_at": started,
                             "submitted_at": finished, "finished_at": finished, "score": score, "passed": passed})
            for position, question_id in enumerate(quiz_questions[quiz.id][:rng.randint(1, 2)]):
                items.append({"id": item_id, "attempt_id": attempt_id, "position": position,
                              "question_id": question_id, "answer_order": [], "response": {"choice": None},
                              "saved_at": finished, "fraction": score, "needs_grading": False,
                              "grader_comment": ""})
                item_id += 1
            activity.append({"user_id": uid, "kind": "quiz", "ref_key": str(quiz.id), "ref_id": attempt_id,
                             "title": quiz.title[:300], "occurred_at": finished, "score": score, "passed": passed})
            attempt_id += 1
        counts["attempt"] = chunked_insert(conn, Attempt.__table__, attempts, "quiz attempts")
        counts["attempt_item"] = chunked_insert(conn, AttemptItem.__table__, items, "attempt items")
        del attempts, items

        plays = []
        play_id = next_id(conn, Play.__table__)
        dimensions = ("rapport", "discovery", "value", "closing")
        for _ in range(n_plays):
            uid = first_learner if rng.random() < 0.002 else rng.choice(learner_ids)
            scenario = rng.choice(versions)
            started = now - timedelta(days=rng.uniform(0, 180))
            finished = started + timedelta(minutes=rng.uniform(3, 20))
            outcome = rng.choice(("won", "lost", "stalled"))
            scores = {d: round(rng.uniform(0.2, 1.0), 2) for d in dimensions}
            plays.append({"id": play_id, "user_id": uid, "scenario_id": scenario.id,
                          "version_id": scenario.version_id, "status": "finished", "current_node": "end",
                          "step_count": rng.randint(3, 8), "outcome": outcome, "scores": scores,
                          "started_at": started, "updated_at": finished, "finished_at": finished})
            activity.append({"user_id": uid, "kind": "play", "ref_key": scenario.slug, "ref_id": play_id,
                             "title": scenario.title[:300], "occurred_at": finished,
                             "score": round(sum(scores.values()) / len(scores), 3), "outcome": outcome,
                             "dimensions": scores})
            play_id += 1
        counts["play"] = chunked_insert(conn, Play.__table__, plays, "role-play plays")
        del plays
        counts["learner_activity"] = chunked_insert(conn, LearnerActivity.__table__, activity, "learner activity")
        del activity

        deals = []
        deal_pk = next_id(conn, Deal.__table__)
        first_deal = deal_pk
        for n in range(n_deals):
            uid = rng.choice(learner_ids)
            created = now - timedelta(days=rng.uniform(30, 400))
            outcome = rng.choices(("won", "lost", "open"), (3, 5, 2))[0]
            deals.append({"id": deal_pk, "deal_id": f"LOAD-{n:07d}", "outcome": outcome, "stage": "closed"
                          if outcome != "open" else "proposal", "owner_email": f"learner{uid}@example.com",
                          "owner_id": uid, "amount": round(rng.lognormvariate(9, 1), 2), "created_at": created,
                          "closed_at": None if outcome == "open" else created + timedelta(days=rng.uniform(5, 90)),
                          "lead_grade": rng.choice("ABCD"), "channel": rng.choice(("inbound", "outbound", "partner")),
                          "behaviours": {}, "imported_at": now, "updated_at": now})
            deal_pk += 1
        counts["deal"] = chunked_insert(conn, Deal.__table__, deals, "deals")
        deal_activities = [{"deal_pk": rng.randrange(first_deal, deal_pk), "activity": rng.choice(ACTIVITIES),
                            "occurred_at": now - timedelta(days=rng.uniform(0, 400))}
                           for _ in range(n_deal_activities)]
        del deals
        counts["deal_activity"] = chunked_insert(conn, DealActivity.__table__, deal_activities, "deal activities")

        if conn.dialect.name == "postgresql":
            # Ids were assigned here, so move the sequences past them for the app's own inserts.
            for table in (Team, User, Attempt, AttemptItem, Play, Deal):
                name = table.__tablename__
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                                     f"(SELECT max(id) FROM \"{name}\"))"))
            conn.execute(sa.text("ANALYZE"))
    return counts


@click.command()
@click.option("--database-url", default=None, help="Target database (default: a new SQLite file under /tmp).")
@click.option("--scale", default=1.0, show_default=True, type=float, help="Multiply every row count by this.")
@click.option("--seed", default=20261123, show_default=True, type=int, help="Random seed.")
@click.option("--schema", type=click.Choice(["migrations", "models"]), default="migrations", show_default=True,
              help="Build the tables with the migrations (as in production) or straight from the models "
                   "(when the models have changes whose migration is not generated yet).")
def main(database_url, scale, seed, schema):
    """Migrate, sync content and bulk-insert a large organisation; print counts and time taken."""
    if not database_url:
        handle, path = tempfile.mkstemp(prefix="rehearse-load-", suffix=".db", dir="/tmp")
        os.close(handle)
        os.unlink(path)
        database_url = f"sqlite:///{path}"
    if database_url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] == "test":
        raise click.ClickException("refusing the database named 'test'")
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("REHEARSE_CONFIG", "development")
    os.environ.setdefault("SECRET_KEY", "load-test-only")

    from flask_migrate import upgrade

    from app import create_app
    from app.services import content_sync

    app = create_app()
    started = time.perf_counter()
    with app.app_context():
        click.echo(f"database: {database_url}")
        if schema == "models":
            from app.extensions import db

            db.create_all()
        else:
            upgrade(directory=str(ROOT / "migrations"))
        click.echo(f"schema ({schema}) built in {time.perf_counter() - started:.1f} s")
        mark = time.perf_counter()
        content_sync.sync_all()
        click.echo(f"content synced in {time.perf_counter() - mark:.1f} s")
        mark = time.perf_counter()
        counts = build(scale, random.Random(seed))
        inserted = time.perf_counter() - mark
    click.echo(f"inserted {sum(counts.values()):,} rows in {inserted:.1f} s "
               f"(total {time.perf_counter() - started:.1f} s, scale {scale}):")
    for table, count in counts.items():
        click.echo(f"  {table:18} {count:>9,}")
    click.echo(f"DATABASE_URL={database_url}")


if __name__ == "__main__":
    main()
