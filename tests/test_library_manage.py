"""Trainer pages of the library: edit with preview, versions, publish, export, analytics, access."""

import io
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.content.library import load_library
from app.extensions import db
from app.models.library import Course, CourseVersion, Enrolment
from app.services import library, library_authoring
from tests.factories import make_user
from tests.factories_library import GOOD_LIBRARY, SCENARIOS, make_course


@pytest.mark.parametrize("path", ["/learn/manage/", "/learn/manage/a", "/learn/manage/a/lessons/01-part",
                                  "/learn/manage/a/lessons/new", "/learn/manage/a/export", "/learn/manage/a/analytics"])
@pytest.mark.parametrize("role, status", [("learner", 403), ("mentor", 403), ("trainer", 200), ("admin", 200)])
def test_only_trainers_and_admins_manage(client, login_as, path, role, status):
    """Learners and mentors are refused every management page."""
    make_course("a")
    login_as(role)
    assert client.get(path).status_code == status


def test_management_posts_are_refused_to_learners(client, login_as):
    """A learner cannot publish, edit or preview."""
    make_course("a")
    login_as("learner")
    assert client.post("/learn/manage/a/publish", data={"published": "0"}).status_code == 403
    assert client.post("/learn/manage/a/lessons/01-part", data={"title": "x", "minutes": 1, "body": "x"}).status_code == 403
    assert client.post("/learn/manage/preview", data={"body": "x"}).status_code == 403
    assert db.session.scalar(sa.select(Course.published)) is True


def test_editing_a_lesson_makes_a_new_version_learners_see(client, auth):
    """Saving a lesson creates version 2; the learner's page shows the new text; old progress stays on v1."""
    course = make_course("a", bodies=["Old text", "Second"])
    trainer, learner = make_user(role="trainer"), make_user()
    old_lesson, _ = library.complete_lesson(learner, "a", "01-part")
    auth.login(trainer)
    response = client.post("/learn/manage/a/lessons/01-part",
                           data={"title": "Part 1", "minutes": 7, "body": "# New heading\n\nNew **text**"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/learn/manage/a")
    db.session.expire_all()
    versions = db.session.scalars(sa.select(CourseVersion).where(CourseVersion.course_id == course.id)).all()
    assert [v.number for v in versions] == [1, 2] and versions[1].source == "editor"
    assert versions[1].author_id == trainer.id
    auth.logout()
    auth.login(learner)
    html = client.get("/learn/courses/a/lessons/01-part").get_data(as_text=True)
    assert "<h1>New heading</h1>" in html and "<strong>text</strong>" in html and "Old text" not in html
    assert old_lesson.version.number == 1 and old_lesson.body == "Old text"
    assert library.done_keys(learner.id, course.id) == {"01-part"}


def test_saving_an_unchanged_lesson_makes_no_version(client, login_as):
    """Posting the same text again does not add a version."""
    make_course("a", bodies=["Same"])
    login_as("trainer")
    client.post("/learn/manage/a/lessons/01-part", data={"title": "Part 1", "minutes": 5, "body": "Same"})
    assert db.session.scalar(sa.select(sa.func.count(CourseVersion.id))) == 1


def test_invalid_lesson_shows_inline_errors(client, login_as):
    """An empty body re-renders the form with an error, and makes no version."""
    make_course("a")
    login_as("trainer")
    response = client.post("/learn/manage/a/lessons/01-part", data={"title": "", "minutes": 0, "body": ""})
    assert response.status_code == 200 and "invalid-feedback" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(CourseVersion.id))) == 1


def test_adding_a_lesson(client, login_as):
    """A new lesson goes at the end with a NN-name key."""
    course = make_course("a", lessons=2)
    login_as("trainer")
    response = client.post("/learn/manage/a/lessons/new", data={"title": "Closing Tips", "minutes": 4, "body": "Ask."})
    assert response.status_code == 302
    db.session.expire_all()
    assert [l.key for l in library.current_lessons(db.session.get(Course, course.id))] == [
        "01-part", "02-part", "03-closing-tips"]


def test_preview_is_sanitised_markdown(client, login_as):
    """The preview endpoint renders Markdown and strips scripts."""
    login_as("trainer")
    response = client.post("/learn/manage/preview", data={"body": "**hi** <script>alert(1)</script>"})
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert "<strong>hi</strong>" in html and "<script" not in html


def test_course_details_are_validated(client, login_as):
    """Unknown behaviour keys are refused with an inline error."""
    make_course("a")
    login_as("trainer")
    response = client.post("/learn/manage/a", data={"title": "T", "summary": "", "minutes": 5, "tags": "x, y，z",
                                                    "behaviours": "juggling"})
    assert response.status_code == 200 and "unknown behaviours: juggling" in response.get_data(as_text=True)
    response = client.post("/learn/manage/a", data={"title": "T", "summary": "S", "minutes": 5, "tags": "x, y，z",
                                                    "behaviours": "needs_discovery"})
    assert response.status_code == 302
    course = db.session.scalar(sa.select(Course))
    assert course.tags == ["x", "y", "z"] and course.behaviours == ["needs_discovery"]


def test_publish_and_unpublish(client, login_as):
    """Unpublishing hides a course from learners; publishing shows it again."""
    make_course("a")
    login_as("trainer")
    assert client.post("/learn/manage/a/publish", data={"published": "0"}).status_code == 302
    assert db.session.scalar(sa.select(Course.published)) is False
    client.post("/learn/manage/a/publish", data={"published": "1"})
    assert db.session.scalar(sa.select(Course.published)) is True


def test_export_round_trips_through_the_loader(app, client, login_as, tmp_path):
    """The zip holds course.yaml and lessons in the content/ format, which the loader reads back."""
    from app.services.library_sync import sync_library

    app.config.update(CONTENT_DIR=str(GOOD_LIBRARY), SCENARIOS_DIR=str(SCENARIOS))
    sync_library(str(GOOD_LIBRARY))
    trainer = login_as("trainer")
    course = library_authoring.get_managed_course("basics")
    library_authoring.update_lesson(course, "02-listen", trainer, title="倾听（新）", minutes=9, body="新的正文\n")
    response = client.get("/learn/manage/basics/export")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "basics.zip" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == [
        "new_hire/basics/01-why-ask.md", "new_hire/basics/02-listen.md", "new_hire/basics/course.yaml"]
    target = tmp_path / "exported"
    archive.extractall(target)
    (target / "behaviours.yaml").write_bytes((GOOD_LIBRARY / "behaviours.yaml").read_bytes())
    [loaded] = load_library(target).courses
    assert loaded.slug == "basics" and loaded.tags == ("入门", "SPIN")
    assert loaded.lessons[1].title == "倾听（新）" and loaded.lessons[1].minutes == 9
    assert loaded.lessons[1].body == "新的正文\n"


def test_analytics_funnel_median_and_stops(client, login_as):
    """Enrolled/started/completed counts, the median time, and where learners stop."""
    course = make_course("a", lessons=3)
    done = [make_user() for _ in range(2)]
    stuck = make_user()
    make_user()  # never enrolled
    idle = make_user()
    for user in done:
        for key in ("01-part", "02-part", "03-part"):
            library.complete_lesson(user, "a", key)
    library.complete_lesson(stuck, "a", "01-part")
    library.enrol(idle, "a")
    first = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == done[0].id))
    first.completed_at = first.started_at + timedelta(hours=2)
    second = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == done[1].id))
    second.completed_at = second.started_at + timedelta(hours=4)
    db.session.commit()
    figures = library_authoring.course_analytics(course)
    if library.find_course_quiz("a") is None:
        assert figures.funnel == [4, 3, 2]
        assert figures.median_hours == 3.0
    assert [f.read for f in figures.lessons] == [3, 2, 2]
    assert figures.worst_lesson.lesson.key == "02-part"
    login_as("trainer")
    page = client.get("/learn/manage/a/analytics")
    assert page.status_code == 200 and 'data-chart="learn-funnel"' in page.get_data(as_text=True)


def test_manage_list_runs_a_constant_number_of_queries(client, login_as, count_queries):
    """The course list costs the same for 2 courses as for 10."""
    login_as("trainer")
    for i in range(2):
        make_course(f"s{i}")
    client.get("/learn/manage/")
    db.session.expire_all()
    with count_queries() as small:
        client.get("/learn/manage/")
    for i in range(8):
        make_course(f"l{i}", lessons=4, published=bool(i % 2))
    db.session.expire_all()
    with count_queries() as large:
        client.get("/learn/manage/")
    assert small.count == large.count


def test_analytics_page_runs_a_constant_number_of_queries(client, login_as, count_queries):
    """The analytics page costs the same with 1 learner as with 6."""
    course = make_course("a", lessons=3)
    library.complete_lesson(make_user(), "a", "01-part")
    login_as("trainer")
    client.get("/learn/manage/a/analytics")
    db.session.expire_all()
    with count_queries() as small:
        client.get("/learn/manage/a/analytics")
    for _ in range(5):
        learner = make_user()
        library.complete_lesson(learner, "a", "01-part")
        library.complete_lesson(learner, "a", "02-part")
    db.session.expire_all()
    with count_queries() as large:
        page = client.get("/learn/manage/a/analytics")
    assert small.count == large.count
    assert page.get_data(as_text=True).count("2/3") == 5
    assert course.slug == "a"
