"""In a real browser, a learner plays a scenario with choices and typed lines to the end page."""

import pytest

from app.ml import spin
from tests.conftest import wait_until
from tests.factories import make_user
from tests.factories_roleplay import sync_fixture_scenarios, use_small_corpus

pytestmark = pytest.mark.browser


def test_learner_plays_to_the_feedback_page(app, page, live_server, browser_login):
    """Pick a scenario, choose, type two questions, reach the ending, see scores and feedback."""
    use_small_corpus(app)
    spin.forget_loaded()
    sync_fixture_scenarios()
    user = make_user(name="Player One")
    browser_login(user)
    page.get_by_role("link", name="Role-play", exact=True).first.click()
    page.get_by_label("Kind").select_option("spin")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="Discovery call with an operations director").click()
    assert page.get_by_test_id("persona-card").get_by_text("Dana Fox").is_visible()
    page.get_by_test_id("start-play").click()
    page.get_by_role("button", name="Thanks for your time. Could I ask a few questions").click()
    page.get_by_test_id("free-text").fill("What is the hardest part of managing stock today?")
    page.get_by_role("button", name="Send").click()
    assert page.get_by_test_id("spin-label").first.inner_text() == "Problem"
    page.get_by_test_id("free-text").fill("What does that delay cost you in lost sales?")
    page.get_by_test_id("free-text").press("Control+Enter")
    page.wait_for_url("**/result")
    assert "Won" in page.get_by_test_id("outcome").inner_text()
    assert page.get_by_test_id("overall-score").inner_text().strip() == "100 %"
    assert page.locator("canvas[data-chart='roleplay-scores']").is_visible()
    wait_until(page, "() => Boolean(window.Chart && Chart.getChart(document.querySelector(\"canvas[data-chart='roleplay-scores']\")))")
    feedback = page.get_by_test_id("step-feedback")
    assert feedback.get_by_text("Asking permission keeps a busy buyer with you.").is_visible()
    assert feedback.get_by_text("You found where it hurts.").is_visible()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than the screen
    # Chart.js resizes on the next frame; wait for the layout to settle within the phone's width.
    wait_until(page, "() => document.documentElement.scrollWidth <= window.innerWidth + 1")

