"""Factory functions for the mentor workspace's tests."""

from datetime import date, datetime, timedelta, timezone
from itertools import count

from app.extensions import db
from app.models.mentoring import Assignment, CoachingNote, ImprovementPlan, LearnerActivity, PlanAction
from app.models.types import utcnow
from tests.factories import make_pairing, make_user

_seq = count(1)
# A frozen clock for rule tests: Monday 23 November 2026, 09:00 UTC.
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def at(days_ago: float, now: datetime = NOW) -> datetime:
    """Return the moment ``days_ago`` days before ``now``."""
    return now - timedelta(days=days_ago)


def make_course_target(slug: str | None = None, tier: str = "new_hire", title: str | None = None, lang: str = "en"):
    """Create a published library course (the catalogue a mentor assigns from)."""
    from app.models.library import Course

    n = next(_seq)
    course = Course(slug=slug or f"m-course-{n}", title=title or f"Course {n}", tier=tier, lang=lang, position=n,
                    prerequisites=[], tags=[], behaviours=[])
    db.session.add(course)
    db.session.commit()
    return course


def make_scenario_target(slug: str | None = None, title: str | None = None, tier: str = "new_hire"):
    """Create a published role-play scenario row."""
    from app.models.roleplay import Scenario

    n = next(_seq)
    scenario = Scenario(slug=slug or f"m-scenario-{n}", title=title or f"Scenario {n}", lang="en",
                        kind="objection", tier=tier)
    db.session.add(scenario)
    db.session.commit()
    return scenario


def make_quiz_target(title: str | None = None):
    """Create a published quiz on an empty bank."""
    from app.models.quiz import QuestionBank, Quiz

    n = next(_seq)
    bank = QuestionBank(name=f"Mentor bank {n}")
    db.session.add(bank)
    db.session.flush()
    quiz = Quiz(title=title or f"Quiz {n}", bank_id=bank.id)
    db.session.add(quiz)
    db.session.commit()
    return quiz


def make_mentor_with_mentees(n: int, tier: str = "new_hire", team=None, **pairing):
    """Create a mentor and ``n`` active mentees; return (mentor, mentees)."""
    mentor = make_user("mentor", tier="core", team=team)
    mentees = []
    for _ in range(n):
        mentee = make_user("learner", tier=tier, team=team)
        make_pairing(mentor, mentee, **pairing)
        mentees.append(mentee)
    return mentor, mentees


def add_activity(user, kind: str, ref_key: str, ref_id: int = 0, when: datetime | None = None, **fields) -> LearnerActivity:
    """Record a piece of work directly (without the signal receivers)."""
    event = LearnerActivity(user_id=user.id, kind=kind, ref_key=str(ref_key), ref_id=ref_id,
                            occurred_at=when or utcnow(), **fields)
    db.session.add(event)
    db.session.commit()
    return event


def make_assignment(mentor, mentee, kind: str = "course", key: str = "spin-basics", due_on: date | None = None,
                    status: str = "not_started", created_at: datetime | None = None, **fields) -> Assignment:
    """Create an assignment directly."""
    assignment = Assignment(
        kind=kind, target_key=key, target_title=fields.pop("target_title", key.replace("-", " ").title()),
        assignee_id=mentee.id, assigned_by_id=mentor.id, due_on=due_on or (utcnow().date() + timedelta(days=7)),
        status=status, created_at=created_at or utcnow(), **fields,
    )
    db.session.add(assignment)
    db.session.commit()
    return assignment


def make_note(author, mentee, body: str = "Worked on discovery questions.", shared: bool = False) -> CoachingNote:
    """Create a coaching note."""
    note = CoachingNote(author_id=author.id, mentee_id=mentee.id, body=body, shared=shared, noted_on=utcnow().date())
    db.session.add(note)
    db.session.commit()
    return note


def make_plan(mentor, mentee, starts_on: date | None = None, actions: int = 1) -> ImprovementPlan:
    """Create an open 30-day plan with dated actions."""
    starts_on = starts_on or utcnow().date()
    plan = ImprovementPlan(mentor_id=mentor.id, mentee_id=mentee.id, starts_on=starts_on,
                           ends_on=starts_on + timedelta(days=30), goals="Close two deals", reason="bottom 10 %")
    for i in range(actions):
        plan.actions.append(PlanAction(text=f"Action {i + 1}", due_on=starts_on + timedelta(days=7 * (i + 1))))
    db.session.add(plan)
    db.session.commit()
    return plan
