"""The demo quiz activity."""

from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models.quiz import Attempt
from app.services.demo import seed_people
from app.services.quiz_attempts import grading_queue
from app.services.quiz_demo import seed_quiz_demo
from app.services.quiz_sync import sync_course_quizzes


def test_demo_attempts_are_seeded_once(app):
    """Learners get graded attempts, the mentor an essay to grade, and a second run adds nothing."""
    sync_course_quizzes(Path(__file__).resolve().parent.parent / "content")
    users = seed_people()
    db.session.commit()
    seed_quiz_demo(users)
    count = db.session.scalar(sa.select(sa.func.count(Attempt.id)))
    assert count >= 12
    assert db.session.scalar(sa.select(sa.func.count(Attempt.id)).where(Attempt.state == "needs_grading")) == 1
    assert db.session.scalar(sa.select(sa.func.count(Attempt.id)).where(Attempt.state == "finished")) >= 30
    assert grading_queue(users["mentor@rehearse.test"])
    seed_quiz_demo(users)
    assert db.session.scalar(sa.select(sa.func.count(Attempt.id))) == count
