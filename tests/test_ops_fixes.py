"""Small fixes: an assigned course enrols the mentee; content sync reports deleted course folders; sign-out ends the session."""

import shutil
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.library import Course, Enrolment
from app.models.mentoring import Assignment, InboxMessage
from app.services import assignments, library, library_authoring
from app.services.library_sync import sync_library
from tests.factories import make_user
from tests.factories_library import GOOD_LIBRARY, SCENARIOS, make_course
from tests.factories_mentor import NOW, make_mentor_with_mentees

# --- a course assignment enrols the mentee ------------------------------------------------


def test_assigning_a_course_enrols_the_mentees_with_the_assignment(app):
    """Each mentee is enrolled on the assigned course, from the assignment, at the assignment's time."""
    mentor, mentees = make_mentor_with_mentees(2)
    course = make_course(slug="assigned-course", tier="core")  # a later tier: self-enrolment would be refused
    assignments.assign(mentor, [m.id for m in mentees], "course", course.slug, NOW.date() + timedelta(days=7), "", NOW)
    enrolments = db.session.scalars(sa.select(Enrolment).order_by(Enrolment.user_id)).all()
    assert [(e.user_id, e.course_id, e.source) for e in enrolments] == [
        (m.id, course.id, "assignment") for m in sorted(mentees, key=lambda m: m.id)]
    assert all(e.enrolled_at == NOW for e in enrolments)


def test_an_existing_enrolment_is_kept(app):
    """A mentee already on the course keeps their enrolment (and its source)."""
    mentor, (mentee,) = make_mentor_with_mentees(1)
    course = make_course(slug="known-course")
    library.enrol(mentee, course.slug)
    assignments.assign(mentor, [mentee.id], "course", course.slug, NOW.date() + timedelta(days=7), "", NOW)
    (enrolment,) = db.session.scalars(sa.select(Enrolment)).all()
    assert enrolment.source == "self"


def test_a_failed_enrolment_leaves_no_assignment_behind(app, monkeypatch):
    """Assignment and enrolment are one transaction: when enrolling fails, nothing is half-saved."""
    mentor, (mentee,) = make_mentor_with_mentees(1)
    course = make_course(slug="fragile-course")

    def database_gone(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT INTO enrolment", {}, Exception("server closed the connection"))

    monkeypatch.setattr(library, "_enrol", database_gone)
    with pytest.raises(sa.exc.OperationalError):
        assignments.assign(mentor, [mentee.id], "course", course.slug, NOW.date() + timedelta(days=7), "", NOW)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InboxMessage)) == 0


# --- content sync reports courses whose folder was deleted -------------------------------


@pytest.fixture
def content(app, tmp_path):
    """Return a writable copy of the good fixture library, configured as the app's content."""
    target = tmp_path / "content"
    shutil.copytree(GOOD_LIBRARY, target)
    app.config.update(CONTENT_DIR=str(target), SCENARIOS_DIR=str(SCENARIOS))
    return target


def test_sync_reports_a_deleted_course_folder_and_keeps_the_course(content, runner):
    """The course stays published with its learners' progress; the command names it on stderr."""
    sync_library(str(content))
    learner = make_user(tier="manager")
    library.enrol(learner, "coaching")
    shutil.rmtree(content / "manager" / "coaching")

    result = runner.invoke(args=["content", "sync", "--only", "library"])
    assert result.exit_code == 0, result.output
    assert "library: created 0, updated 0, unchanged 3, certifications 1, certifications changed 0, " \
           "missing from files 1" in result.output
    assert "coaching is in the database but no longer in the files" in result.output
    course = db.session.scalar(sa.select(Course).where(Course.slug == "coaching"))
    assert course.published
    assert db.session.scalar(sa.select(Enrolment).where(Enrolment.course_id == course.id)) is not None


def test_sync_marks_a_missing_course_a_trainer_already_unpublished(content):
    """Once unpublished in the browser, the course is still listed, marked so."""
    sync_library(str(content))
    library_authoring.set_published(db.session.scalar(sa.select(Course).where(Course.slug == "coaching")), False)
    db.session.commit()
    shutil.rmtree(content / "manager" / "coaching")
    assert sync_library(str(content))["missing from files"] == ["coaching (unpublished)"]


def test_sync_ignores_courses_that_never_came_from_files(content):
    """A course without a source hash (not made by a sync) is not reported as missing."""
    make_course(slug="made-elsewhere")
    assert sync_library(str(content))["missing from files"] == []


# --- signing out makes copied cookies useless --------------------------------------------


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
def test_a_cookie_copied_before_sign_out_no_longer_signs_in(app, client, auth, cookie):
    """Someone who copied the session (or remember-me) cookie is signed out along with the user."""
    user = make_user()
    assert client.post("/auth/login", data={"email": user.email, "password": "correct-horse-battery",
                                            "remember": "y"}).status_code == 302
    copied = client.get_cookie(cookie).value
    thief = app.test_client()
    thief.set_cookie(cookie, copied)
    assert thief.get("/home").status_code == 200  # the copy works while the user is signed in

    assert auth.logout().status_code == 302
    thief = app.test_client()
    thief.set_cookie(cookie, copied)
    response = thief.get("/home")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_signing_in_again_after_sign_out_works(app, client, auth):
    """The rotated token is the new one: a fresh sign-in opens pages as before."""
    user = make_user()
    auth.login(user)
    auth.logout()
    assert auth.login(user).status_code == 302
    assert client.get("/home").status_code == 200
