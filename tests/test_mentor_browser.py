"""In a real browser: a mentor assigns a scenario, the mentee plays it, the mentor sees it done with its score."""

from datetime import timedelta

import pytest

from app.ml import spin
from app.models.types import utcnow
from tests.conftest import wait_until
from tests.factories import make_pairing, make_user
from tests.factories_roleplay import SPIN_EN, sync_fixture_scenarios, use_small_corpus

pytestmark = pytest.mark.browser


def test_assign_play_and_see_the_score(app, page, live_server, browser_login):
    """Assign through the form, play through /roleplay from "my assignments", then check the mentee page."""
    use_small_corpus(app)
    spin.forget_loaded()
    sync_fixture_scenarios()
    mentor = make_user("mentor", name="Mona Mentor")
    mentee = make_user("learner", name="Mick Mentee")
    make_pairing(mentor, mentee)

    browser_login(mentor)
    page.goto(f"{live_server}/mentor/assign")
    page.get_by_label("Mick Mentee").check()
    page.get_by_label("What to do").select_option(f"scenario:{SPIN_EN}")
    page.get_by_label("Due date").fill((utcnow().date() + timedelta(days=3)).isoformat())
    page.get_by_label("Message to the mentee").fill("Practise your implication questions.")
    page.get_by_role("button", name="Assign").click()
    page.wait_for_url(f"{live_server}/mentor/mentees/{mentee.id}")
    assert page.locator("[data-assignment] [data-status]").inner_text() == "Not started"

    page.context.clear_cookies()
    browser_login(mentee)
    page.goto(f"{live_server}/mentor/me")
    assert page.get_by_text("Practise your implication questions.").is_visible()
    page.get_by_role("link", name="Discovery call with an operations director").click()
    page.get_by_test_id("start-play").click()
    page.get_by_role("button", name="Thanks for your time. Could I ask a few questions").click()
    page.get_by_test_id("free-text").fill("What is the hardest part of managing stock today?")
    page.get_by_role("button", name="Send").click()
    page.get_by_test_id("free-text").fill("What does that delay cost you in lost sales?")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/result")

    page.context.clear_cookies()
    browser_login(mentor)
    page.goto(f"{live_server}/mentor/mentees/{mentee.id}")
    row = page.locator("[data-assignment]")
    assert row.locator("[data-status]").inner_text() == "Done"
    assert "100 %" in row.inner_text()
    row.get_by_role("link", name="review").click()
    page.wait_for_url("**/result")
    page.goto(f"{live_server}/mentor/")
    assert page.locator(f"tr[data-mentee='{mentee.id}']").is_visible()
    wait_until(page, "() => Boolean(window.Chart && document.querySelector('canvas[data-sparkline]') && "
                     "Chart.getChart(document.querySelector('canvas[data-sparkline]')))")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the page does not overflow sideways
    wait_until(page, "() => document.documentElement.scrollWidth <= window.innerWidth + 1")
