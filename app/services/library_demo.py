"""Demo data of the course library: sync the bundled content, then put demo learners on their tier path."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models.library import Enrolment, LessonProgress
from app.models.people import Role, User
from app.models.types import utcnow
from app.services import content_sync, library

# How far each demo learner has read in each course of their path: lessons read per course, in path order.
# Learners not listed get the default; everybody keeps some variety for the mentor and analytics pages.
PROGRESS = {
    "learner@rehearse.test": (99, 2, 0),
    "learner2@rehearse.test": (1,),
    "learner3@rehearse.test": (99, 99, 1),
    "learner4@rehearse.test": (2, 1),
    "learner5@rehearse.test": (),
    "learner6@rehearse.test": (99, 2, 1),
    "learner7@rehearse.test": (1,),
    "learner8@rehearse.test": (99, 99),
    "learner9@rehearse.test": (3,),
    "learner10@rehearse.test": (2, 1),
    "learner11@rehearse.test": (99,),
    "learner12@rehearse.test": (1, 1),
}
DEFAULT_PROGRESS = (1,)


def seed_library_demo(users: dict[str, User]) -> None:
    """Sync content/ and scenarios/ (every sync step), then enrol demo learners and mentors with some progress.

    Idempotent: courses sync unchanged, and a learner who already has progress is left alone.
    """
    content_sync.sync_all()
    started = set(db.session.scalars(sa.select(LessonProgress.user_id).distinct()))
    for index, (email, user) in enumerate(sorted(users.items())):
        if user.role not in (Role.LEARNER.value, Role.MENTOR.value) or user.id in started:
            continue
        enrolments = library.enrol_tier_path(user)
        plan = PROGRESS.get(email, DEFAULT_PROGRESS)
        for enrolment, lessons_read in zip(enrolments, plan):
            course = enrolment.course
            for lesson in library.current_lessons(course)[:lessons_read]:
                library.complete_lesson(user, course.slug, lesson.key)
        _backdate(user.id, days=3 + index % 9)
    db.session.commit()


def _backdate(user_id: int, days: int) -> None:
    """Spread a demo learner's activity over the past days so timelines and medians look real (no commit)."""
    shift = timedelta(days=days)
    now = utcnow()
    for enrolment in db.session.scalars(sa.select(Enrolment).where(Enrolment.user_id == user_id)):
        enrolment.enrolled_at = now - shift - timedelta(days=2)
        if enrolment.started_at:
            enrolment.started_at = now - shift
            enrolment.last_activity_at = now - shift + timedelta(hours=20)
        if enrolment.completed_at:
            enrolment.completed_at = now - shift + timedelta(days=1, hours=days)
    for progress in db.session.scalars(sa.select(LessonProgress).where(LessonProgress.user_id == user_id)):
        progress.first_opened_at = now - shift
        if progress.completed_at:
            progress.completed_at = now - shift + timedelta(hours=6)
