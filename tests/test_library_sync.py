"""`flask content sync` / `check` and the library sync: idempotent, versioned, all or nothing."""

import shutil

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.library import Certification, Course, CourseVersion, Enrolment, Lesson, LessonProgress
from app.services import library, library_authoring
from app.services.errors import ImportProblems
from app.services.library_sync import sync_library
from tests.factories import make_user
from tests.factories_library import GOOD_LIBRARY, SCENARIOS


@pytest.fixture
def content(app, tmp_path):
    """Return a writable copy of the good fixture library, configured as the app's content."""
    target = tmp_path / "content"
    shutil.copytree(GOOD_LIBRARY, target)
    app.config.update(CONTENT_DIR=str(target), SCENARIOS_DIR=str(SCENARIOS))
    return target


def snapshot():
    """Return every library row as plain tuples, to compare database states."""
    return {
        "courses": db.session.execute(sa.select(Course.slug, Course.current_version_id, Course.source_hash,
                                                Course.updated_at).order_by(Course.slug)).all(),
        "versions": db.session.execute(sa.select(CourseVersion.id, CourseVersion.number)).all(),
        "lessons": db.session.execute(sa.select(Lesson.id, Lesson.body)).all(),
        "certifications": db.session.execute(sa.select(Certification.key, Certification.content_hash)).all(),
    }


def test_sync_creates_courses_lessons_and_certifications(content):
    """A first sync loads every course with one version, and the certifications."""
    summary = sync_library(str(content))
    assert summary["created"] == 4 and summary["unchanged"] == 0 and summary["certifications"] == 1
    basics = db.session.scalar(sa.select(Course).where(Course.slug == "basics"))
    assert basics.published and basics.current_version.number == 1
    assert [l.key for l in basics.current_version.lessons] == ["01-why-ask", "02-listen"]
    assert basics.prerequisites == [] and basics.behaviours == ["needs_discovery"]
    cert = db.session.scalar(sa.select(Certification))
    assert cert.quizzes == [{"course": "basics", "pass": 0.8}]


def test_sync_twice_changes_nothing(content):
    """The second run reports everything unchanged and leaves every row as it was."""
    sync_library(str(content))
    before = snapshot()
    summary = sync_library(str(content))
    assert summary["created"] == 0 and summary["updated"] == 0 and summary["unchanged"] == 4
    assert summary["certifications changed"] == 0
    assert snapshot() == before


def test_changed_lesson_makes_a_new_version_and_old_progress_keeps_its_version(content):
    """Progress made on version 1 still points at version 1's lesson after the file changes."""
    sync_library(str(content))
    learner = make_user()
    old_lesson, _ = library.complete_lesson(learner, "basics", "01-why-ask")
    lesson_file = content / "new_hire" / "basics" / "01-why-ask.md"
    lesson_file.write_text(lesson_file.read_text(encoding="utf-8") + "\n新增一段。\n", encoding="utf-8")

    summary = sync_library(str(content))

    assert summary["updated"] == 1 and summary["unchanged"] == 3
    course = db.session.scalar(sa.select(Course).where(Course.slug == "basics"))
    assert [v.number for v in course.versions] == [1, 2]
    assert course.current_version.number == 2
    progress = db.session.scalar(sa.select(LessonProgress).where(LessonProgress.user_id == learner.id))
    assert progress.lesson_id == old_lesson.id and progress.lesson.version.number == 1
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == learner.id))
    assert enrolment.version_id == course.versions[0].id
    new_lesson = next(l for l in course.current_version.lessons if l.key == "01-why-ask")
    assert "新增一段" in new_lesson.body and "新增一段" not in old_lesson.body
    # The lesson read on version 1 still counts on version 2 (same key).
    assert library.done_keys(learner.id, course.id) == {"01-why-ask"}


def test_unchanged_files_do_not_overwrite_a_trainer_edit(content):
    """Re-syncing unchanged files keeps what a trainer edited in the browser."""
    sync_library(str(content))
    trainer = make_user(role="trainer")
    course = library_authoring.get_managed_course("basics")
    library_authoring.update_lesson(course, "02-listen", trainer, title="倾听", minutes=12, body="编辑后的正文")
    assert sync_library(str(content))["unchanged"] == 4
    assert library.current_lessons(course)[1].body == "编辑后的正文"


def test_bad_content_writes_nothing(content):
    """One broken file aborts the whole sync with FILE:LINE problems; the database stays empty."""
    (content / "core" / "negotiation" / "course.yaml").write_text("slug: negotiation\ntier: core\n", encoding="utf-8")
    with pytest.raises(ImportProblems) as error:
        sync_library(str(content))
    assert any("negotiation/course.yaml:1: missing required key 'title'" in p for p in error.value.problems)
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == 0


def test_cli_check_prints_problems_and_exits_non_zero(content, runner):
    """`flask content check --only library` lists FILE:LINE problems and fails."""
    course_yaml = content / "new_hire" / "basics" / "course.yaml"
    course_yaml.write_text(course_yaml.read_text(encoding="utf-8").replace("tier: new_hire", "tier: guru"),
                           encoding="utf-8")
    result = runner.invoke(args=["content", "check", "--only", "library"])
    assert result.exit_code != 0
    assert f"basics/course.yaml:3: unknown tier 'guru'" in result.output
    assert "1 problem(s) found" in result.output


def test_cli_check_passes_on_good_content(content, runner):
    """A valid library exits 0."""
    result = runner.invoke(args=["content", "check", "--only", "library"])
    assert result.exit_code == 0, result.output
    assert "All content is valid." in result.output


def test_cli_sync_shows_progress_and_is_idempotent(content, runner):
    """`flask content sync` prints a summary per step; the second run changes nothing."""
    first = runner.invoke(args=["content", "sync", "--only", "library"])
    assert first.exit_code == 0, first.output
    assert "library: created 4, updated 0, unchanged 0" in first.output
    second = runner.invoke(args=["content", "sync", "--only", "library"])
    assert "library: created 0, updated 0, unchanged 4" in second.output


def test_cli_refuses_unknown_steps(content, runner):
    """An unknown --only step is a user error, not a traceback."""
    result = runner.invoke(args=["content", "sync", "--only", "nonsense"])
    assert result.exit_code != 0 and "unknown step nonsense" in result.output


def test_cli_sync_with_bad_content_fails_cleanly(content, runner):
    """A broken file makes the sync exit non-zero with FILE:LINE and load nothing."""
    (content / "new_hire" / "basics" / "02-listen.md").write_text("no front matter\n", encoding="utf-8")
    result = runner.invoke(args=["content", "sync", "--only", "library"])
    assert result.exit_code != 0
    assert "02-listen.md:1: a lesson starts with front matter" in result.output
    assert "nothing was loaded" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == 0
