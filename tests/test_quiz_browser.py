"""In Chromium: a learner fails a course quiz, reviews the feedback, retakes it and passes; the trainer's statistics follow."""

import re

import pytest
from playwright.sync_api import expect

from app.services.quiz_sync import sync_course_quizzes
from tests.factories import make_user

pytestmark = pytest.mark.browser

COURSE_QUIZ = """::Urgency::Which question type makes a problem feel urgent?{
  ~Situation#Situation questions only collect facts.
  =Implication#Right: implications connect the problem to its cost.
####Implication questions turn a small problem into an urgent one.}

::Discount::Offering a discount at the first objection is a good habit.{F#Not so: it gives value away.#Right.}
"""


def test_learner_fails_reviews_retakes_passes_and_trainer_sees_stats(app, page, live_server, browser_login, tmp_path):
    """The full loop through real pages with CSRF on."""
    folder = tmp_path / "new_hire" / "spin-basics"
    folder.mkdir(parents=True)
    (folder / "course.yaml").write_text("slug: spin-basics\ntitle: SPIN basics\ntier: new_hire\n", encoding="utf-8")
    (folder / "quiz.gift").write_text(COURSE_QUIZ, encoding="utf-8")
    sync_course_quizzes(tmp_path)
    learner, trainer = make_user(name="Lena Learner"), make_user("trainer")

    trainer_context = page.context.browser.new_context()
    trainer_page = trainer_context.new_page()
    trainer_page.goto(f"{live_server}/auth/login")
    trainer_page.fill("input[name=email]", trainer.email)
    trainer_page.fill("input[name=password]", "correct-horse-battery")
    trainer_page.click("button[type=submit], input[type=submit]")
    trainer_page.wait_for_url(f"{live_server}/home")
    trainer_page.goto(f"{live_server}/quiz/manage")
    trainer_page.get_by_role("link", name=re.compile("Statistics")).first.click()
    expect(trainer_page.get_by_text("No graded first attempts yet.")).to_be_visible()

    browser_login(learner)
    page.goto(f"{live_server}/quiz/")
    page.get_by_role("link", name="SPIN basics").click()
    page.get_by_role("button", name="Start the quiz").click()
    page.get_by_label("Situation").check()
    page.get_by_label("True").check()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_test_id("result")).to_have_text("Not passed")
    expect(page.get_by_test_id("score")).to_have_text("0 %")
    expect(page.get_by_text("Situation questions only collect facts.")).to_be_visible()
    expect(page.get_by_text("Implication questions turn a small problem into an urgent one.")).to_be_visible()
    expect(page.get_by_text("Not so: it gives value away.")).to_be_visible()

    page.get_by_role("link", name="Back to the quiz").click()
    page.get_by_role("button", name="Try again").click()
    page.get_by_label("Implication").check()
    page.get_by_label("False").check()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_test_id("result")).to_have_text("Passed")
    expect(page.get_by_test_id("score")).to_have_text("100 %")

    trainer_page.reload()
    expect(trainer_page.get_by_test_id("stat-attempts")).to_have_text("1")
    expect(trainer_page.get_by_test_id("stat-all-attempts")).to_have_text("2")
    expect(trainer_page.get_by_test_id("stat-mean")).to_have_text("0.0 %")
    expect(trainer_page.locator("#quiz-question-chart")).to_be_visible()
    trainer_context.close()
