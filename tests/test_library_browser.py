"""In a real browser: a new hire reads a lesson and sees progress move; a trainer's edit reaches learners."""

import re

import pytest

from tests.factories import make_user
from tests.factories_library import make_course

pytestmark = pytest.mark.browser


def test_new_hire_reads_a_lesson_and_sees_progress(app, page, live_server, browser_login):
    """Sign in, open the first course from the library, read a lesson, see the course at 50 % and the tick."""
    make_course("first-steps", title="First steps", lessons=2, bodies=["# Hello seller\n\nAsk first.", "Listen."])
    learner = make_user(name="New Hire", tier="new_hire")
    browser_login(learner)
    page.get_by_role("link", name="Library").first.click()
    page.get_by_role("link", name="First steps").click()
    assert page.get_by_test_id("course-percent").inner_text() == "0 %"
    page.get_by_test_id("start-course").first.click()
    assert page.get_by_role("heading", name="Hello seller").is_visible()
    page.get_by_test_id("mark-done").click()
    page.wait_for_url(re.compile(r".*/lessons/02-part$"))
    page.get_by_role("link", name="First steps").first.click()
    assert page.get_by_test_id("course-percent").inner_text() == "50 %"
    assert page.get_by_test_id("lesson-done").count() == 1
    page.goto(f"{live_server}/home")
    assert page.get_by_test_id("continue-card").is_visible()
    page.get_by_role("link", name="Continue", exact=True).click()
    page.wait_for_url(re.compile(r".*/learn/courses/first-steps/lessons/02-part$"))


def test_trainer_edit_with_preview_reaches_the_learner(app, page, live_server, browser_login):
    """The trainer edits a lesson (live preview from the server), saves; the learner reads the new text."""
    make_course("edit-me", title="Edit me", lessons=1, bodies=["Original words."])
    trainer = make_user(role="trainer", name="Trainer T")
    learner = make_user(name="Learner L")
    browser_login(trainer)
    page.goto(f"{live_server}/learn/manage/edit-me/lessons/01-part")
    page.fill("textarea[name=body]", "## Brand new text\n\n**bold move**\n\n<script>alert(1)</script>\n")
    preview = page.locator("[data-preview]")
    preview.get_by_role("heading", name="Brand new text").wait_for()
    assert preview.locator("strong").inner_text() == "bold move"
    assert preview.locator("script").count() == 0
    page.get_by_role("button", name="Save as new version").click()
    page.wait_for_url(f"{live_server}/learn/manage/edit-me")
    assert page.get_by_text("Lesson saved as version 2.").is_visible()
    page.get_by_role("button", name="Trainer T").click()
    page.get_by_role("button", name="Sign out").click()
    browser_login(learner)
    page.goto(f"{live_server}/learn/courses/edit-me/lessons/01-part")
    assert page.get_by_role("heading", name="Brand new text").is_visible()
    assert page.get_by_text("Original words.").count() == 0
