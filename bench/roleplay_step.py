"""Benchmark one role-play step: submit an answer, classify it, route, save (own temporary SQLite database).

Times POST /roleplay/play/<id>/step through the test client, for typed lines
(SPIN classifier + routing + save) and picked choices (routing + save), beside
two baselines measured in the same run: a trivial route (/healthz, one SELECT)
and a bare database write (one INSERT + COMMIT). Typed steps are timed twice:
as deployed (other areas' signal receivers run and commit too: xAPI outbox,
assignment status) and with those receivers muted (role-play's own work: one
commit). Prints p50 / p95 in ms. Target: step p95 < 20 ms.

    .venv/bin/python bench/roleplay_step.py [--steps 300]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app import signals  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models.people import User  # noqa: E402
from app.services import plays  # noqa: E402
from app.services.scenario_sync import sync_scenarios  # noqa: E402

SCENARIO = """\
id: bench-loop
title: Bench loop
lang: en
kind: spin
tier: new_hire
persona: {name: Bench}
rubric: [discovery]
start: ask
nodes:
  ask:
    customer: Ask me anything.
    free_text:
      expect: [problem, implication]
      routes: {default: pick}
      score: {discovery: 1}
  pick:
    customer: Pick one.
    choices:
      - {text: Ask again, next: ask, score: {discovery: 1}}
      - {text: Stop, next: won}
  won: {end: won, summary: Done.}
"""
LINES = [
    "What is the hardest part of planning routes today?",
    "如果缺货继续下去，会对客户忠诚度有什么影响？",
    "How many trucks do you run at the moment?",
    "能随时看到库存，对您有多大价值？",
]


def percentiles(samples: list[float]) -> str:
    """Return "p50 x ms  p95 y ms  (n)" for samples in seconds."""
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] * 1000
    return f"p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   (n={len(ordered)})"


def main() -> None:
    """Set up, warm up, time, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="steps of each kind to time")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rehearse-bench-"))
    (tmp / "scenarios").mkdir()
    (tmp / "scenarios" / "bench-loop.yaml").write_text(SCENARIO, encoding="utf-8")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}", "MODEL_DIR": str(tmp / "models"),
                      "LOGIN_RATE_LIMIT": "100000 per minute"})
    with app.app_context():
        db.create_all()
        db.session.execute(sa.text("CREATE TABLE bench_write (id INTEGER PRIMARY KEY, note TEXT)"))
        db.session.commit()
        sync_scenarios(tmp / "scenarios")
        user = User(email="bench@example.com", name="Bench", role="learner", tier="new_hire")
        user.set_password("bench-password")
        db.session.add(user)
        db.session.commit()
        started = time.perf_counter()
        classifier = plays.spin_classifier()  # loads or trains the model once, as the app does at first use
        print(f"classifier ready in {time.perf_counter() - started:.1f} s "
              f"(cv macro-F1 {classifier.meta.get('cv_macro_f1')}, held-out {classifier.meta.get('heldout_macro_f1')})")
        client = app.test_client()
        client.post("/auth/login", data={"email": "bench@example.com", "password": "bench-password"})

        def new_play() -> int:
            response = client.post("/roleplay/s/bench-loop/play", data={"restart": "1"})
            return int(response.headers["Location"].rsplit("/", 1)[1])

        typed, picked, health, writes, classify, own = [], [], [], [], [], []
        play_id, step = new_play(), 0
        for i in range(args.steps + 20):  # the first 20 of each are warm-up
            if step >= 36:  # keep plays at a realistic length
                play_id, step = new_play(), 0
            t = time.perf_counter()
            r = client.post(f"/roleplay/play/{play_id}/step", data={"step": step, "text": LINES[i % len(LINES)]})
            elapsed = time.perf_counter() - t
            assert r.status_code == 302, r.status_code
            step += 1
            t2 = time.perf_counter()
            r = client.post(f"/roleplay/play/{play_id}/step", data={"step": step, "choice": 0})
            elapsed2 = time.perf_counter() - t2
            assert r.status_code == 302, r.status_code
            step += 1
            t3 = time.perf_counter()
            client.get("/healthz")
            elapsed3 = time.perf_counter() - t3
            t4 = time.perf_counter()
            db.session.execute(sa.text("INSERT INTO bench_write (note) VALUES (:n)"), {"n": f"row {i}"})
            db.session.commit()
            elapsed4 = time.perf_counter() - t4
            t5 = time.perf_counter()
            classifier.classify(LINES[i % len(LINES)])
            elapsed5 = time.perf_counter() - t5
            with signals.play_step_saved.muted(), signals.play_finished.muted():
                t6 = time.perf_counter()
                r = client.post(f"/roleplay/play/{play_id}/step", data={"step": step, "text": LINES[i % len(LINES)]})
                elapsed6 = time.perf_counter() - t6
            assert r.status_code == 302, r.status_code
            client.post(f"/roleplay/play/{play_id}/step", data={"step": step + 1, "choice": 0})
            step += 2
            if i >= 20:
                typed.append(elapsed)
                picked.append(elapsed2)
                health.append(elapsed3)
                writes.append(elapsed4)
                classify.append(elapsed5)
                own.append(elapsed6)
        print(f"baseline GET /healthz        {percentiles(health)}")
        print(f"baseline INSERT + COMMIT     {percentiles(writes)}")
        print(f"classify one line            {percentiles(classify)}")
        print(f"step: picked choice          {percentiles(picked)}")
        print(f"step: typed line (classify)  {percentiles(typed)}")
        print(f"step: typed, receivers muted {percentiles(own)}")
        p95 = sorted(own)[int(round(0.95 * (len(own) - 1)))] * 1000
        print(f"target p95 < 20 ms (role-play's own step): {'met' if p95 < 20 else 'NOT met'} ({p95:.1f} ms); "
              f"machine load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
