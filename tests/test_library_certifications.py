"""Course completion after a passed quiz, role-play bests, and certifications awarded on signals."""

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app import signals
from app.extensions import db
from app.models.library import CertificationAward, Enrolment, ScenarioBest
from app.services import library
from tests.factories import make_user
from tests.factories_library import make_certification, make_course


@pytest.fixture
def quiz_area(monkeypatch):
    """Stand in for the quiz area's API (a collaborator here): courses with a quiz and results per learner."""
    state = SimpleNamespace(quizzes={"a"}, results={})
    monkeypatch.setattr(library, "find_course_quiz",
                        lambda slug: SimpleNamespace(id=1, course_slug=slug) if slug in state.quizzes else None)
    monkeypatch.setattr(library, "course_quiz_results",
                        lambda user_ids: {k: v for k, v in state.results.items() if k[0] in user_ids})
    return state


def finish_quiz(app, state, user, slug, score, passed):
    """Record a quiz result and send the quiz area's signal."""
    state.results[(user.id, slug)] = SimpleNamespace(passed=passed, best_score=score)
    signals.quiz_attempt_finished.send(app, user_id=user.id, quiz_id=1, attempt_id=1, score=score, passed=passed)


def test_course_with_a_quiz_completes_only_when_the_quiz_is_passed(app, quiz_area):
    """Reading every lesson is not enough; the passed quiz completes the course and announces it."""
    make_course("a", lessons=1)
    user = make_user()
    completed = []

    def record(sender, **fields):
        completed.append(fields["course_slug"])

    with signals.course_completed.connected_to(record):
        _, done = library.complete_lesson(user, "a", "01-part")
        assert done is False
        finish_quiz(app, quiz_area, user, "a", 0.4, False)
        assert db.session.scalar(sa.select(Enrolment.completed_at)) is None
        finish_quiz(app, quiz_area, user, "a", 0.9, True)
    assert db.session.scalar(sa.select(Enrolment.completed_at)) is not None
    assert completed == ["a"]


def test_quiz_passed_before_reading_completes_on_the_last_lesson(app, quiz_area):
    """A learner who passes first completes the course when they read the last lesson."""
    make_course("a", lessons=1)
    user = make_user()
    finish_quiz(app, quiz_area, user, "a", 1.0, True)
    _, done = library.complete_lesson(user, "a", "01-part")
    assert done is True


def test_certification_is_awarded_when_quiz_and_scenario_are_met(app, quiz_area):
    """Both requirements met, in either order, award the certification once."""
    make_course("a", lessons=1)
    cert = make_certification("spin", quizzes=[("a", 0.8)], scenarios=[("budget", 0.6)])
    user = make_user()
    signals.play_finished.send(app, user_id=user.id, play_id=1, scenario_slug="budget", outcome="won", score=0.5)
    finish_quiz(app, quiz_area, user, "a", 0.9, True)
    assert db.session.scalar(sa.select(sa.func.count(CertificationAward.id))) == 0  # scenario too low
    signals.play_finished.send(app, user_id=user.id, play_id=2, scenario_slug="budget", outcome="won", score=0.7)
    award = db.session.scalar(sa.select(CertificationAward))
    assert award is not None and award.certification_id == cert.id and award.serial.startswith("RH-")
    signals.play_finished.send(app, user_id=user.id, play_id=3, scenario_slug="budget", outcome="lost", score=0.1)
    assert db.session.scalar(sa.select(sa.func.count(CertificationAward.id))) == 1
    assert db.session.scalar(sa.select(ScenarioBest.best_score)) == 0.7  # a worse play keeps the best


def test_quiz_below_the_certification_mark_does_not_award(app, quiz_area):
    """Passing the quiz at 70 % does not meet a certification that asks for 80 %."""
    make_course("a", lessons=1)
    make_certification("strict", quizzes=[("a", 0.8)])
    user = make_user()
    finish_quiz(app, quiz_area, user, "a", 0.7, True)
    assert db.session.scalar(sa.select(sa.func.count(CertificationAward.id))) == 0


def test_without_the_quiz_area_a_completed_course_stands_in_for_its_quiz(app, monkeypatch):
    """When no quiz area is installed, completing the course meets its quiz requirement."""
    monkeypatch.setattr(library, "find_course_quiz", lambda slug: None)
    monkeypatch.setattr(library, "course_quiz_results", lambda user_ids: None)
    make_course("a", lessons=1)
    make_certification("basics", quizzes=[("a", 0.8)])
    user = make_user()
    library.complete_lesson(user, "a", "01-part")
    assert db.session.scalar(sa.select(CertificationAward.user_id)) == user.id


def test_certification_unlocks_the_next_tier(app, quiz_area):
    """The growth map opens the core tier once the new-hire courses and certification are done."""
    make_course("a", lessons=1)
    make_course("core-1", tier="core")
    make_certification("nh", quizzes=[("a", 0.5)])
    user = make_user(tier="new_hire")
    assert not library.load_state(user).is_unlocked("core")
    library.complete_lesson(user, "a", "01-part")
    finish_quiz(app, quiz_area, user, "a", 0.9, True)
    state = library.load_state(user)
    assert state.tier("new_hire").complete and state.is_unlocked("core")
    assert not state.is_unlocked("manager")


def test_path_progress_for_other_areas(app):
    """path_progress summarises enrolments and lessons for many users at once."""
    make_course("a", lessons=2)
    make_course("b", lessons=1)
    first, second = make_user(), make_user()
    library.enrol_tier_path(first)
    library.complete_lesson(first, "a", "01-part")
    progress = library.path_progress([first.id, second.id])
    assert progress[first.id]["enrolled"] == 2 and progress[first.id]["lessons_total"] == 3
    assert progress[first.id]["lessons_done"] == 1
    assert progress[second.id] == {"enrolled": 0, "completed": 0, "lessons_done": 0, "lessons_total": 0}


def test_real_quiz_area_completes_the_course_and_links_the_quiz(app, client, auth):
    """With the quiz area installed: the course page links its quiz; a passed attempt completes the course."""
    quiz_attempts = pytest.importorskip("app.services.quiz_attempts")
    factories_quiz = pytest.importorskip("tests.factories_quiz")
    make_course("spin", lessons=1)
    quiz = factories_quiz.make_quiz(title="SPIN check")
    quiz.course_slug = "spin"  # what the quiz area's sync sets from content/<tier>/spin/quiz.gift
    db.session.commit()
    make_certification("spin-cert", quizzes=[("spin", 0.8)])
    learner = make_user()
    auth.login(learner)
    page = client.get("/learn/courses/spin").get_data(as_text=True)
    assert f'href="/quiz/{quiz.id}"' in page
    library.complete_lesson(learner, "spin", "01-part")
    assert db.session.scalar(sa.select(Enrolment.completed_at)) is None
    attempt = quiz_attempts.start_attempt(quiz, learner)
    quiz_attempts.submit_attempt(attempt.id, learner, attempt.submit_token, factories_quiz.perfect_responses(attempt))
    db.session.expire_all()
    assert db.session.scalar(sa.select(Enrolment.completed_at)) is not None
    assert db.session.scalar(sa.select(CertificationAward.user_id)) == learner.id


def test_awarded_certificate_shows_on_the_profile(app, client, auth, quiz_area):
    """The learner's profile lists their certificates, each linking to its printable page."""
    make_course("a", lessons=1)
    make_certification("spin", quizzes=[("a", 0.8)], scenarios=[])
    user = make_user()
    auth.login(user)
    assert "No certificate yet" in client.get("/auth/profile").get_data(as_text=True)
    finish_quiz(app, quiz_area, user, "a", 0.9, True)
    award = db.session.scalar(sa.select(CertificationAward).where(CertificationAward.user_id == user.id))
    page = client.get("/auth/profile").get_data(as_text=True)
    assert f"/learn/certificates/{award.serial}" in page
