"""Cached home and mentor pages: served from the cache until a committed change could alter them, never after."""

import re

import sqlalchemy as sa

from app import create_app, view_cache
from app.extensions import db
from app.models.library import Course
from app.models.mentoring import InboxMessage
from app.models.people import User
from app.models.quiz import AttemptItem
from app.models.types import utcnow
from app.models.xapi import XapiStatement
from app.services import library, plays, quiz_attempts
from tests.factories import PASSWORD, make_user
from tests.factories_library import make_course
from tests.factories_mentor import make_assignment, make_mentor_with_mentees
from tests.factories_quiz import make_quiz, perfect_responses
from tests.factories_roleplay import BUDGET, sync_fixture_scenarios, use_small_corpus
from tests.test_ops_instances import Browser


def stamps(*users) -> list[int]:
    """Return the users' view stamps as committed."""
    db.session.commit()
    found = view_cache.read_stamps(u.id for u in users)[1]
    return [found[u.id] for u in users]


def text(response) -> str:
    """Return a 200 response's body."""
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def without_tokens(page: str) -> str:
    """Return a page with its CSRF tokens blanked: a token carries the second it was signed in."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", page)


def test_a_repeated_home_page_comes_from_the_cache(client, login_as, count_queries):
    """The second view of an unchanged home page reads the user and the site stamp, and nothing else."""
    user = login_as("learner")
    make_course("cached-course", title="Cold calling basics")
    first = text(client.get("/home"))
    db.session.expire_all()
    with count_queries() as again:
        second = text(client.get("/home"))
    assert again.count == 2, again.statements
    assert without_tokens(first) == without_tokens(second) and "Cold calling basics" in second and user.name in second


def test_own_work_shows_on_the_next_home_page(client, login_as):
    """Enrolling, finishing a quiz (bulk UPDATEs) and new assignments each show at once."""
    user = login_as("learner")
    make_course("first-steps", title="First steps in discovery")
    quiz = make_quiz(title="Objection check")
    assert "Objection check" not in text(client.get("/home"))

    library.enrol(user, "first-steps")
    db.session.commit()
    assert 'href="/learn/courses/first-steps"' in text(client.get("/home"))

    attempt = quiz_attempts.start_attempt(quiz, user)
    attempt_id, token = attempt.id, attempt.submit_token
    quiz_attempts.submit_attempt(attempt_id, user, token, perfect_responses(attempt))
    assert f"/quiz/attempt/{attempt_id}/review" in text(client.get("/home"))

    mentor, _ = make_mentor_with_mentees(0)
    make_assignment(mentor, user, target_title="Budget objections drill")
    assert "Budget objections drill" in text(client.get("/home"))


def test_shared_content_and_public_names_reach_every_cached_page(client, login_as):
    """A course renamed by a trainer, or a mentor's new name, shows on pages cached before the change."""
    mentor, (mentee,) = make_mentor_with_mentees(1)
    client.post("/auth/login", data={"email": mentee.email, "password": PASSWORD})
    make_course("renamed", title="Old title")
    library.enrol(mentee, "renamed")
    db.session.commit()
    assert "Old title" in text(client.get("/home"))

    db.session.scalar(sa.select(Course).where(Course.slug == "renamed")).title = "New title"
    db.session.commit()
    page = text(client.get("/home"))
    assert "New title" in page and "Old title" not in page

    mentor.name = "Renamed Mentor"
    db.session.commit()
    assert "Renamed Mentor" in text(client.get("/home"))


def test_other_users_work_leaves_a_cached_page_alone(client, login_as):
    """Another learner's records raise only their own stamp; a private field (sign-in time) only the user's."""
    user, other = make_user(), make_user()
    make_course("shared-course")
    before = stamps(user, other) + [view_cache.site_stamp()]
    library.enrol(other, "shared-course")
    db.session.commit()
    after = stamps(user, other) + [view_cache.site_stamp()]
    assert after == [before[0], before[1] + 1, before[2]]

    other.last_seen_at = utcnow()
    db.session.commit()
    assert stamps(user, other) + [view_cache.site_stamp()] == [before[0], before[1] + 2, before[2]]


def test_a_quiz_save_and_a_role_play_step_leave_other_pages_cached(app):
    """The busiest writes: a saved answer shows on no cached page; a step (with its xAPI record) on the learner's."""
    use_small_corpus(app)
    sync_fixture_scenarios()
    learner, other = make_user(), make_user()
    attempt = quiz_attempts.start_attempt(make_quiz(), learner)
    play = plays.start_play(learner, BUDGET)
    site, before = view_cache.site_stamp(), stamps(learner, other)
    assert quiz_attempts.save_responses(attempt, learner, perfect_responses(attempt))
    db.session.commit()
    assert stamps(learner, other) == before and view_cache.site_stamp() == site
    plays.submit_step(play, 0, choice=0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(XapiStatement)) == 2
    assert stamps(learner, other) == [before[0] + 1, before[1]] and view_cache.site_stamp() == site


def test_bulk_statements_raise_the_stamps_they_name_or_the_site_stamp(app):
    """``view_stamps=[ids]`` raises those users; none named raises the site; detail tables raise nothing."""
    user, other = make_user(), make_user()
    site, before = view_cache.site_stamp(), stamps(user, other)
    db.session.execute(sa.update(InboxMessage).where(InboxMessage.recipient_id == user.id)
                       .values(read_at=utcnow()).execution_options(view_stamps=[user.id]))
    db.session.commit()
    assert stamps(user, other) == [before[0] + 1, before[1]] and view_cache.site_stamp() == site

    db.session.execute(sa.update(AttemptItem).where(AttemptItem.id == -1).values(needs_grading=False))
    db.session.commit()
    assert view_cache.site_stamp() == site

    db.session.execute(sa.update(Course).where(Course.id == -1).values(title="x"))
    db.session.commit()
    assert view_cache.site_stamp() == site + 1


def test_a_rolled_back_change_raises_nothing(app):
    """Stamps noted by a flush are forgotten when the transaction rolls back."""
    user = make_user()
    site, before = view_cache.site_stamp(), stamps(user)
    db.session.get(User, user.id).name = "Never saved"
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert stamps(user) == before and view_cache.site_stamp() == site


def test_a_new_user_on_a_reused_id_never_sees_the_old_page(client, auth):
    """The key includes the account's creation time, so a row re-created with the same id renders afresh."""
    first = make_user(name="First Holder")
    auth.login(first)
    assert "First Holder" in text(client.get("/home"))
    auth.logout()
    user_id = first.id
    db.session.delete(first)
    db.session.commit()
    second = make_user(id=user_id, name="Second Holder")
    auth.login(second)
    page = text(client.get("/home"))
    assert "Second Holder" in page and "First Holder" not in page


def test_the_mentor_page_follows_each_mentees_work(client, auth, count_queries):
    """The mentor page is cached per mentor; a mentee's new assignment or name shows at once."""
    mentor, (ann, bob) = make_mentor_with_mentees(2)
    auth.login(mentor)
    page = text(client.get("/mentor/"))
    assert ann.name in page and "Overdue" in page
    db.session.expire_all()
    with count_queries() as again:
        assert text(client.get("/mentor/")) == page
    assert again.count <= 6, again.statements  # user, ranked periods (up to 3), mentee stamps, site stamp

    make_assignment(mentor, bob, due_on=utcnow().date().replace(year=2020), target_title="Late drill")
    page = text(client.get("/mentor/"))
    assert re.search(r'data-mentee="%d".*?1 overdue' % bob.id, page, re.S)

    ann.name = "Ann Renamed"
    db.session.commit()
    assert "Ann Renamed" in text(client.get("/mentor/"))


def test_a_cached_form_carries_the_token_of_the_session_reading_it(app, client):
    """Two sessions of one learner share the cached page; each gets a CSRF token that its own POST accepts."""
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user(tier="new_hire")
    make_course("path-course", tier="new_hire")
    tokens = []
    for _ in range(2):
        browser = app.test_client()
        login = browser.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
        assert browser.post("/auth/login", data={"email": user.email, "password": PASSWORD,
                                                 "csrf_token": token}).status_code == 302
        home = text(browser.get("/home"))
        form = re.search(r'action="/learn/path/enrol".*?</form>', home, re.S).group(0)
        tokens.append((browser, re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)))
    assert tokens[0][1] != tokens[1][1] and "\x00" not in home
    browser, token = tokens[1]
    assert browser.post("/learn/path/enrol", data={"csrf_token": token}).status_code == 302


def test_a_change_on_one_instance_shows_on_the_others_cached_page(app, database_url, tmp_path):
    """Two app servers with their own caches: a write through one is seen at once on the other."""
    second = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MODEL_DIR": str(tmp_path / "models-b")})
    try:
        user = make_user()
        make_course("roaming", title="Roaming course")
        browser = Browser(app, second)
        browser.request(0, "POST", "/auth/login", data={"email": user.email, "password": PASSWORD})
        for instance in (0, 1):
            assert "Roaming course" in text(browser.request(instance, "GET", "/home"))
        with second.app_context():
            db.session.get(Course, db.session.scalar(sa.select(Course.id).where(Course.slug == "roaming"))).title = \
                "Renamed on B"
            db.session.commit()
        assert "Renamed on B" in text(browser.request(0, "GET", "/home"))
    finally:
        with second.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_cache_backend_that_is_down_costs_a_render_not_the_page(database_url, tmp_path):
    """With Redis configured but unreachable, the home page renders as usual (and says the cache is down in the log)."""
    broken = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MODEL_DIR": str(tmp_path / "models-c"),
                         "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": "redis://127.0.0.1:9/0"})
    try:
        with broken.app_context():
            user = make_user(name="Still Served")
            email = user.email
        client = broken.test_client()
        client.post("/auth/login", data={"email": email, "password": PASSWORD})
        for _ in range(2):
            assert "Still Served" in text(client.get("/home"))
    finally:
        with broken.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_waiting_flash_message_is_shown_once_on_a_cached_page(client, login_as):
    """A whole cached page is passed by while a message waits, so it shows on the next page and only there."""
    login_as("learner")
    first = text(client.get("/home"))
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Your path has started")]
    assert "Your path has started" in text(client.get("/home"))
    again = text(client.get("/home"))
    assert "Your path has started" not in again and without_tokens(again) == without_tokens(first)
