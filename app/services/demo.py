"""The demo organisation: people, teams and pairings, then each area's demo activity.

Areas add their demo data by appending a line to ``DEMO_STEPS``: a module path
and the name of a function in it. ``flask seed-demo`` imports each module only
when it runs and calls ``function(users)`` with the demo users by email, after
the people exist. A step must be idempotent (``seed-demo`` runs on every
``make run``), may commit, and should create what is missing rather than
duplicate what is there.
"""

from datetime import date
from importlib import import_module
from typing import Callable

import sqlalchemy as sa

from app.extensions import db
from app.models.people import MentorPairing, User
from app.services.accounts import get_or_create_team

DEMO_PASSWORD = "rehearse-demo"
TEAMS = ("East region · retail", "North region · enterprise")

# (module, function) run in order after the people exist; each area adds its own line.
DEMO_STEPS: list[tuple[str, str]] = [
    ("app.services.library_demo", "seed_library_demo"),  # first: syncs content/ and scenarios/
    ("app.services.roleplay_demo", "seed_roleplay_demo"),
    ("app.services.insights_demo", "seed_insights_demo"),
    ("app.services.quiz_demo", "seed_quiz_demo"),
    ("app.services.mentor_demo", "seed_mentor_demo"),
]

# (email, name, role, tier, team index, locale)
PEOPLE = [
    ("admin@rehearse.test", "Ada Admin", "admin", "manager", 0, "en"),
    ("trainer@rehearse.test", "周老师 Zhou Lan", "trainer", "manager", 0, "zh"),
    ("trainer2@rehearse.test", "Tom Trainer", "trainer", "manager", 1, "en"),
    ("mentor@rehearse.test", "陈明 Chen Ming", "mentor", "core", 0, "zh"),
    ("mentor2@rehearse.test", "Maria Mentor", "mentor", "core", 1, "en"),
    ("mentor3@rehearse.test", "刘洋 Liu Yang", "mentor", "manager", 1, "zh"),
    ("learner@rehearse.test", "王芳 Wang Fang", "learner", "new_hire", 0, "zh"),
    ("learner2@rehearse.test", "Leo Learner", "learner", "new_hire", 0, "en"),
    ("learner3@rehearse.test", "李娜 Li Na", "learner", "new_hire", 0, "zh"),
    ("learner4@rehearse.test", "Sam Patel", "learner", "new_hire", 1, "en"),
    ("learner5@rehearse.test", "张伟 Zhang Wei", "learner", "new_hire", 1, "zh"),
    ("learner6@rehearse.test", "Grace Kim", "learner", "core", 0, "en"),
    ("learner7@rehearse.test", "赵磊 Zhao Lei", "learner", "core", 0, "zh"),
    ("learner8@rehearse.test", "Omar Haddad", "learner", "core", 1, "en"),
    ("learner9@rehearse.test", "孙丽 Sun Li", "learner", "core", 1, "zh"),
    ("learner10@rehearse.test", "Priya Rao", "learner", "manager", 0, "en"),
    ("learner11@rehearse.test", "黄强 Huang Qiang", "learner", "manager", 1, "zh"),
    ("learner12@rehearse.test", "Ella Novak", "learner", "new_hire", 1, "en"),
]

# (mentor, mentee, buddy)
PAIRINGS = [
    ("mentor@rehearse.test", "learner@rehearse.test", "learner6@rehearse.test"),
    ("mentor@rehearse.test", "learner2@rehearse.test", None),
    ("mentor@rehearse.test", "learner3@rehearse.test", "learner7@rehearse.test"),
    ("mentor@rehearse.test", "learner7@rehearse.test", None),
    ("mentor2@rehearse.test", "learner4@rehearse.test", "learner8@rehearse.test"),
    ("mentor2@rehearse.test", "learner5@rehearse.test", None),
    ("mentor2@rehearse.test", "learner8@rehearse.test", None),
    ("mentor2@rehearse.test", "learner12@rehearse.test", None),
    ("mentor3@rehearse.test", "learner6@rehearse.test", None),
    ("mentor3@rehearse.test", "learner9@rehearse.test", None),
    ("mentor3@rehearse.test", "learner10@rehearse.test", None),
    ("mentor3@rehearse.test", "learner11@rehearse.test", None),
]


def seed_people() -> dict[str, User]:
    """Create the demo teams, users and pairings that are missing; return users by email."""
    teams = [get_or_create_team(name) for name in TEAMS]
    existing = {u.email: u for u in db.session.scalars(sa.select(User).where(User.email.in_([p[0] for p in PEOPLE])))}
    password_hash = None  # every demo account has the same published password: hash it once
    for email, name, role, tier, team_index, locale in PEOPLE:
        if email not in existing:
            user = User(email=email, name=name, role=role, tier=tier, team=teams[team_index], locale=locale)
            if password_hash is None:
                user.set_password(DEMO_PASSWORD)
                password_hash = user.password_hash
            user.password_hash = password_hash
            db.session.add(user)
            existing[email] = user
    db.session.flush()
    paired = set(db.session.scalars(sa.select(MentorPairing.mentee_id).where(MentorPairing.ended_on.is_(None))))
    for mentor, mentee, buddy in PAIRINGS:
        if existing[mentee].id not in paired:
            db.session.add(
                MentorPairing(
                    mentor=existing[mentor], mentee=existing[mentee], buddy=existing.get(buddy) if buddy else None,
                    start_date=date(2026, 10, 5), goal="Reach 60 % of the mentor's close rate within 90 days",
                )
            )
            paired.add(existing[mentee].id)
    return existing


def run_demo_steps(users: dict[str, User], on_step: Callable[[str], object] = lambda label: None) -> None:
    """Call every registered area's demo function with the demo users, committing after each."""
    for module_name, function_name in DEMO_STEPS:
        on_step(f"{module_name}.{function_name}")
        step = getattr(import_module(module_name), function_name)
        step(users)
        db.session.commit()


def seed_demo_organisation(on_step: Callable[[str], object] = lambda label: None) -> list[tuple[str, str, str]]:
    """Create whatever of the demo organisation is missing; return (email, password, role) logins."""
    users = seed_people()
    db.session.commit()
    run_demo_steps(users, on_step)
    shown = ("admin@rehearse.test", "trainer@rehearse.test", "mentor@rehearse.test", "learner@rehearse.test")
    return [(p[0], DEMO_PASSWORD, p[2]) for p in PEOPLE if p[0] in shown]
