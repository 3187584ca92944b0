"""The mentee page's timeline names lessons and their courses, and its charts name rubric dimensions."""

import json
import re

import pytest
import sqlalchemy as sa
from flask import url_for

from app.extensions import db
from app.i18n import dimension_label
from app.models.library import Lesson
from tests.factories_library import make_course
from tests.factories_mentor import add_activity, make_mentor_with_mentees


@pytest.fixture
def mentor_and_mentee(auth):
    """Return a signed-in mentor and their mentee."""
    mentor, (mentee,) = make_mentor_with_mentees(1)
    auth.login(mentor)
    return mentor, mentee


def complete_lessons(mentee, course, lessons) -> None:
    """Record ``mentee`` finishing each of ``lessons`` of ``course`` (as the library's signal would)."""
    for lesson in lessons:
        add_activity(mentee, "lesson", course.slug, lesson.id)


def lessons_of(course) -> list[Lesson]:
    """Return a course's lessons in order."""
    return list(db.session.scalars(sa.select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position)))


def chart_data(html: str) -> dict:
    """Return the mentee page's chart data block."""
    found = re.search(r'<script type="application/json" id="mentor-chart-data">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def test_a_lesson_entry_names_the_lesson_and_course_and_links_to_the_lesson(app, client, mentor_and_mentee):
    """A finished lesson shows its own title, its course's title and a link to read it."""
    _mentor, mentee = mentor_and_mentee
    course = make_course(title="SPIN basics", lessons=2)
    first = lessons_of(course)[0]
    complete_lessons(mentee, course, [first])
    response = client.get(f"/mentor/mentees/{mentee.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    with app.test_request_context():
        href = url_for("learn.lesson", slug=course.slug, key=first.key)
    assert f'<a href="{href}" data-testid="timeline-lesson">{first.title}</a>' in html
    assert "in SPIN basics" in html


def test_a_lesson_entry_without_a_lesson_keeps_its_recorded_title(client, mentor_and_mentee):
    """Demo and imported lesson records (no lesson behind them) still show the title they carry."""
    _mentor, mentee = mentor_and_mentee
    add_activity(mentee, "lesson", "gone-course", -5, title="An imported course")
    html = client.get(f"/mentor/mentees/{mentee.id}").get_data(as_text=True)
    assert "An imported course" in html and 'data-testid="timeline-lesson"' not in html


def test_the_timeline_reads_lessons_in_a_constant_number_of_queries(client, mentor_and_mentee, count_queries):
    """Thirty lesson entries cost the page no more queries than three."""
    _mentor, mentee = mentor_and_mentee
    course = make_course(lessons=30)
    lessons = lessons_of(course)
    url = f"/mentor/mentees/{mentee.id}"
    client.get(url)  # the first view ranks the closed periods once
    # Each count follows a commit, which expires what the session holds, as between real requests.
    complete_lessons(mentee, course, lessons[:3])
    with count_queries() as few:
        assert client.get(url).status_code == 200
    complete_lessons(mentee, course, lessons[3:])
    with count_queries() as many:
        html = client.get(url).get_data(as_text=True)
    assert html.count('data-testid="timeline-lesson"') == 30
    assert many.count == few.count, "\n".join(many.statements)


def test_rubric_dimensions_are_shown_by_their_translated_names(client, auth):
    """The dimension chart names known dimensions in the reader's language and humanises unknown ones."""
    mentor, (mentee,) = make_mentor_with_mentees(1)
    mentor.locale = "zh"
    db.session.commit()
    auth.login(mentor)
    add_activity(mentee, "play", "budget", 1, score=0.6,
                 dimensions={"rapport": 0.5, "objection_handling": 0.8, "needs_analysis": 0.4})
    dimensions = chart_data(client.get(f"/mentor/mentees/{mentee.id}").get_data(as_text=True))["dimensions"]
    assert set(dimensions) == {"建立关系", "异议处理", "Needs analysis"}
    assert dimensions["异议处理"][0][1] == 80


@pytest.mark.parametrize("key, expected", [
    ("objection_handling", "Objection handling"), ("value", "Building value"), ("needs_analysis", "Needs analysis"),
    ("ROI", "ROI"),
])
def test_dimension_label(app, key, expected):
    """Known dimensions have a label; others are humanised, keeping their capitals."""
    with app.test_request_context():
        assert dimension_label(key) == expected
