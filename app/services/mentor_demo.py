"""Demo data for the mentor workspace: recent learner activity, assignments, notes, a 30-day plan, flags.

Demo activity has negative attempt and play ids: there is no attempt or play
behind it, so the pages show no review link for it.
"""

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models.mentoring import (
    Assignment,
    CoachingNote,
    ImprovementPlan,
    LearnerActivity,
    PlanAction,
    PlanCheckIn,
)
from app.models.people import User
from app.models.types import utcnow
from app.services import mentor_sources
from app.services.assignments import activity_for, apply_progress, derive_progress
from app.services.mentoring import scan_flags

DIMENSIONS = ("rapport", "discovery", "objection_handling", "closing")
# (email, level 0..1, days since last activity): how each demo learner is doing.
PROFILES = {
    "learner@rehearse.test": (0.78, 1),
    "learner2@rehearse.test": (0.62, 2),
    "learner3@rehearse.test": (0.35, 9),
    "learner4@rehearse.test": (0.70, 1),
    "learner5@rehearse.test": (0.55, 3),
    "learner6@rehearse.test": (0.82, 1),
    "learner7@rehearse.test": (0.66, 4),
    "learner8@rehearse.test": (0.74, 2),
    "learner9@rehearse.test": (0.48, 12),
    "learner10@rehearse.test": (0.80, 1),
    "learner11@rehearse.test": (0.58, 5),
    "learner12@rehearse.test": (0.30, 3),
}


def _targets(kind: str, fallback: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return (key, title) pairs from the catalogue, or demo stand-ins when that area is empty."""
    found = [(t.key, t.title) for t in mentor_sources.catalogue(kind)]
    return found or fallback


def _seed_activity(user: User, level: float, idle_days: int, now: datetime, rng: random.Random,
                   quizzes, scenarios, courses) -> None:
    """Give a learner six weeks of quiz attempts, plays and lessons around their level."""
    last = now - timedelta(days=idle_days, hours=3)
    for i in range(8):
        when = last - timedelta(days=(7 - i) * 5)
        score = max(0.05, min(1.0, rng.gauss(level + (i - 4) * 0.02, 0.08)))
        key, title = quizzes[i % len(quizzes)]
        db.session.add(LearnerActivity(user_id=user.id, kind="quiz", ref_key=key, ref_id=-(user.id * 100 + i),
                                       title=title, occurred_at=when, score=round(score, 2), passed=score >= 0.6))
    for i in range(5):
        when = last - timedelta(days=(4 - i) * 7, hours=2)
        dims = {d: round(max(0.0, min(1.0, rng.gauss(level + (i - 2) * 0.03, 0.12))), 2) for d in DIMENSIONS}
        key, title = scenarios[i % len(scenarios)]
        db.session.add(LearnerActivity(
            user_id=user.id, kind="play", ref_key=key, ref_id=-(user.id * 100 + 50 + i), title=title,
            occurred_at=when, score=round(sum(dims.values()) / len(dims), 2), dimensions=dims,
            outcome="won" if level > 0.6 else "lost",
        ))
    key, title = courses[0]
    for i in range(3):
        db.session.add(LearnerActivity(user_id=user.id, kind="lesson", ref_key=key, ref_id=-(user.id * 10 + i),
                                       title=title, occurred_at=last - timedelta(days=30 - i * 3)))
    if level > 0.6:
        db.session.add(LearnerActivity(user_id=user.id, kind="course", ref_key=key, ref_id=0, title=title,
                                       occurred_at=last - timedelta(days=20)))


def _assign(mentor: User, mentee: User, kind: str, target: tuple[str, str], due_in: int, message: str,
            now: datetime, created_days_ago: int = 10) -> Assignment:
    """Add an assignment with the status the learner's recorded work gives it."""
    created = now - timedelta(days=created_days_ago)
    assignment = Assignment(kind=kind, target_key=target[0], target_title=target[1][:300], assignee_id=mentee.id,
                            assigned_by_id=mentor.id, due_on=(now + timedelta(days=due_in)).date(), message=message,
                            created_at=created)
    work = activity_for([mentee.id]).get((mentee.id, target[0]), [])
    apply_progress(assignment, derive_progress(kind, created, work))
    db.session.add(assignment)
    return assignment


def seed_mentor_demo(users: dict[str, User]) -> None:
    """Create the mentor workspace's demo data once (skipped when the demo mentor already assigned work)."""
    mentor = users.get("mentor@rehearse.test")
    if mentor is None or db.session.scalar(sa.select(Assignment.id).where(Assignment.assigned_by_id == mentor.id).limit(1)):
        return
    rng = random.Random(7)
    now = utcnow()
    quizzes = _targets("quiz", [("demo-quiz-spin", "SPIN basics quiz"), ("demo-quiz-objections", "Objection handling quiz")])
    scenarios = _targets("scenario", [("demo-budget-objection", "Budget objection"), ("demo-spin-discovery", "SPIN discovery call")])
    courses = _targets("course", [("demo-spin-basics", "SPIN basics")])
    for email, (level, idle) in PROFILES.items():
        if email in users:
            _seed_activity(users[email], level, idle, now, rng, quizzes, scenarios, courses)
    db.session.flush()

    wang, leo, li = users["learner@rehearse.test"], users["learner2@rehearse.test"], users["learner3@rehearse.test"]
    _assign(mentor, wang, "scenario", scenarios[0], 5, "Practise acknowledging before you answer the price question.", now, 40)
    _assign(mentor, wang, "quiz", quizzes[-1], -2, "Aim for 80 % this time.", now, 3)
    _assign(mentor, leo, "course", courses[0], 7, "Finish the SPIN basics before our 1:1.", now)
    _assign(mentor, li, "quiz", quizzes[0], -4, "Let's go through your answers together afterwards.", now, 12)
    _assign(mentor, li, "scenario", scenarios[-1], 10, "", now, 1)
    db.session.add_all([
        CoachingNote(mentee_id=wang.id, author_id=mentor.id, noted_on=(now - timedelta(days=6)).date(), shared=True,
                     body="Great discovery call with the retail buyer. Next: ask one more **implication** question "
                          "before presenting the solution."),
        CoachingNote(mentee_id=wang.id, author_id=mentor.id, noted_on=(now - timedelta(days=2)).date(), shared=False,
                     body="Still discounts too early under price pressure. Pair with Grace on a live call."),
        CoachingNote(mentee_id=li.id, author_id=mentor.id, noted_on=(now - timedelta(days=3)).date(), shared=False,
                     body="1:1 diagnosis: product knowledge is fine; confidence in objection handling is low. "
                          "Bottom of the new-hire group two months running → 30-day plan."),
    ])
    start = (now - timedelta(days=8)).date()
    plan = ImprovementPlan(
        mentee_id=li.id, mentor_id=mentor.id, starts_on=start, ends_on=start + timedelta(days=30),
        reason="Bottom 10 % of new hires in two consecutive months",
        goals="- Pass the objection-handling quiz at 80 %\n- Reach 70 % on the budget-objection role-play\n"
              "- Shadow two customer calls",
    )
    plan.actions = [
        PlanAction(text="Re-read the objection library (budget, timing)", due_on=start + timedelta(days=5),
                   done_on=start + timedelta(days=4)),
        PlanAction(text="Play the budget-objection scenario three times", due_on=start + timedelta(days=12)),
        PlanAction(text="Shadow two calls with Zhao Lei", due_on=start + timedelta(days=20)),
        PlanAction(text="Retake the quiz", due_on=start + timedelta(days=28)),
    ]
    plan.check_ins = [PlanCheckIn(author_id=mentor.id, held_on=start + timedelta(days=7),
                                  body="Read the library; nervous about the role-play. Practise together on Friday.")]
    db.session.add(plan)
    db.session.commit()
    scan_flags(now)
