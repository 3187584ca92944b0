"""Staff read lessons of courses they are not enrolled on as a preview: no enrolment, no progress; learners enrol."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.library import Enrolment, Lesson, LessonProgress
from app.services import library
from tests.factories import make_user
from tests.factories_library import make_course
from tests.factories_mentor import add_activity, make_mentor_with_mentees


def rows_of(user) -> tuple[int, int]:
    """Return how many enrolments and lesson progress rows ``user`` has."""
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.user_id == user.id))
                 for model in (Enrolment, LessonProgress))


def first_lesson(course) -> Lesson:
    """Return a course's first lesson."""
    return db.session.scalar(sa.select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position))


def test_a_mentor_opens_a_lesson_from_a_mentees_timeline_without_enrolling(app, client, auth):
    """The timeline's lesson link shows the lesson to the mentor as a preview and records nothing for them."""
    mentor, (mentee,) = make_mentor_with_mentees(1)
    course = make_course(title="SPIN basics", lessons=2)
    lesson = first_lesson(course)
    add_activity(mentee, "lesson", course.slug, lesson.id)
    auth.login(mentor)
    timeline = client.get(f"/mentor/mentees/{mentee.id}").get_data(as_text=True)
    href = re.search(r'<a href="([^"]+)" data-testid="timeline-lesson">', timeline).group(1)

    response = client.get(href)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Lesson <strong>1</strong> text." in html
    assert 'data-testid="lesson-preview"' in html and "Preview — not enrolled" in html
    assert 'data-testid="mark-done"' not in html and "/done" not in html
    assert 'data-testid="preview-next"' in html
    db.session.expire_all()
    assert rows_of(mentor) == (0, 0)
    assert library.continue_target(mentor) is None


@pytest.mark.parametrize("role", ["trainer", "admin"])
def test_trainers_and_admins_preview_lessons_of_courses_they_are_not_on(client, login_as, role):
    """Trainers and admins read any lesson without an enrolment or a progress row appearing."""
    course = make_course(lessons=2)
    user = login_as(role)
    for key in ("01-part", "02-part"):
        html = client.get(f"/learn/courses/{course.slug}/lessons/{key}").get_data(as_text=True)
        assert 'data-testid="lesson-preview"' in html
    assert 'data-testid="preview-next"' not in html  # the last lesson
    db.session.expire_all()
    assert rows_of(user) == (0, 0)


def test_a_mentor_preview_is_not_hidden_by_their_tier_lock(client, auth):
    """The tier lock guards a learner's path; a mentor's preview of a higher-tier lesson records nothing either."""
    mentor = make_user("mentor", tier="new_hire")
    make_course(tier="new_hire", lessons=1)  # not read yet: the tiers above stay locked
    course = make_course(tier="manager", lessons=1)
    assert not library.tier_is_unlocked(mentor, "manager")
    auth.login(mentor)
    response = client.get(f"/learn/courses/{course.slug}/lessons/01-part")
    assert response.status_code == 200 and 'data-testid="lesson-preview"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert rows_of(mentor) == (0, 0)


def test_staff_enrolled_on_the_course_read_as_before(client, login_as):
    """A mentor who enrolled reads with progress recorded and the "mark as read" button, as a learner does."""
    course = make_course(lessons=2)
    mentor = login_as("mentor")
    assert client.post(f"/learn/courses/{course.slug}/enrol").status_code == 302
    html = client.get(f"/learn/courses/{course.slug}/lessons/01-part").get_data(as_text=True)
    assert 'data-testid="lesson-preview"' not in html and 'data-testid="mark-done"' in html
    db.session.expire_all()
    assert rows_of(mentor) == (1, 1)
    enrolment = library.find_enrolment(mentor.id, course.id)
    assert enrolment.last_lesson_id == first_lesson(course).id


def test_a_learner_opening_a_lesson_is_still_enrolled(client, login_as):
    """Learners keep the old behaviour: opening a lesson enrols them and records the lesson as opened."""
    course = make_course(lessons=2)
    learner = login_as("learner")
    html = client.get(f"/learn/courses/{course.slug}/lessons/01-part").get_data(as_text=True)
    assert 'data-testid="lesson-preview"' not in html and 'data-testid="mark-done"' in html
    db.session.expire_all()
    assert rows_of(learner) == (1, 1)
    assert library.find_enrolment(learner.id, course.id).source == "self"


def test_a_preview_of_an_unknown_lesson_is_404(client, login_as):
    """A missing lesson is a 404 in a preview too."""
    course = make_course(lessons=1)
    login_as("trainer")
    assert client.get(f"/learn/courses/{course.slug}/lessons/99-nope").status_code == 404
