"""What the home pages show about quizzes."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models.people import Role, User
from app.models.quiz import Attempt


@dataclass
class QuizHome:
    """Recent and open attempts of a learner; the grading queue size of a mentor or trainer."""

    recent: list = field(default_factory=list)
    open: list = field(default_factory=list)
    to_grade: int = 0


def build_quiz_home(user: User) -> QuizHome:
    """Collect the home page's quiz figures in a fixed number of queries."""
    home = QuizHome()
    attempts = list(db.session.scalars(
        sa.select(Attempt).where(Attempt.user_id == user.id, Attempt.is_practice.is_(False))
        .options(joinedload(Attempt.quiz)).order_by(Attempt.started_at.desc()).limit(8)
    ))
    home.open = [a for a in attempts if a.state == "in_progress"]
    home.recent = [a for a in attempts if a.state != "in_progress"][:4]
    if user.has_role(Role.MENTOR, Role.TRAINER, Role.ADMIN):
        from app.services.quiz_attempts import grading_queue

        home.to_grade = len(grading_queue(user))
    return home
