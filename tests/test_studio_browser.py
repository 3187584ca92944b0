"""In a real browser: a trainer builds a scenario, fixes a problem, previews, publishes; a learner plays it."""

import pytest

from tests.conftest import wait_until
from tests.factories import make_user

pytestmark = pytest.mark.browser

GRAPH_DRAWN = "() => Boolean(document.querySelector('[data-testid=graph][data-ready] canvas'))"


def save_ending(page, base, key, outcome, summary):
    """Fill the ending section of a node and save it."""
    page.goto(f"{base}/studio/call/nodes/{key}")
    page.get_by_label("Ending", exact=True).check(force=True)
    page.get_by_label("Outcome").fill(outcome)
    page.get_by_label("Summary").fill(summary)
    page.get_by_role("button", name="Save node").click()
    assert page.get_by_test_id("node-ok").is_visible()


def test_trainer_builds_previews_publishes_and_learner_plays(app, page, live_server, browser_login):
    """Three nodes from nothing; a wrong rubric key shows inline; fix; preview; publish; a learner wins."""
    trainer = make_user(role="trainer", name="Tess Trainer")
    browser_login(trainer)
    page.get_by_role("link", name="Studio", exact=True).click()
    page.get_by_test_id("new-scenario").click()
    page.get_by_label("Title").fill("First call with Ms Lee")
    page.get_by_label("Id").fill("call")
    page.get_by_label("Language").select_option("en")
    page.get_by_role("button", name="Create scenario").click()
    page.wait_for_url("**/studio/call/edit")

    form = page.get_by_test_id("meta-form")
    form.get_by_label("Customer name").fill("Ms Lee")
    form.get_by_label("Rubric dimensions").fill("rapport, discovery")
    form.get_by_role("button", name="Save details").click()
    for key in ("won", "lost"):
        page.get_by_label("Node name").fill(key)
        page.get_by_label("Type").select_option("end")
        page.get_by_test_id("add-node").click()
        page.wait_for_url(f"**/studio/call/nodes/{key}")
    save_ending(page, live_server, "won", "won", "Ms Lee books a demo.")
    save_ending(page, live_server, "lost", "lost", "Ms Lee hangs up.")

    page.goto(f"{live_server}/studio/call/nodes/opening")
    page.get_by_label("Customer says").fill("Who are you and why are you calling?")
    rows = page.get_by_test_id("choice-row")
    rows.nth(0).get_by_label("Learner says").fill("Fair question. May I ask how you handle orders today?")
    rows.nth(0).get_by_label("Goes to").select_option("won")
    rows.nth(0).get_by_label("Points").fill("rapport: 2, closing: 1")
    rows.nth(0).get_by_label("Feedback").fill("Asking first earns the right to pitch.")
    rows.nth(1).get_by_label("Learner says").fill("We sell the best software on the market.")
    rows.nth(1).get_by_label("Goes to").select_option("lost")
    rows.nth(1).get_by_label("Points").fill("rapport: -1")
    page.get_by_role("button", name="Save node").click()
    problems = page.get_by_test_id("node-problems")
    assert "'closing' is not a rubric dimension" in problems.inner_text()
    assert page.get_by_test_id("publish").is_disabled()

    page.get_by_test_id("choice-row").nth(0).get_by_label("Points").fill("rapport: 2, discovery: 1")
    page.get_by_role("button", name="Save node").click()
    assert page.get_by_test_id("node-ok").is_visible()

    page.get_by_role("link", name="Graph", exact=True).click()
    wait_until(page, GRAPH_DRAWN)
    assert page.locator("[data-testid=graph] canvas").count() >= 1

    page.get_by_role("link", name="Preview", exact=True).click()
    page.get_by_test_id("preview-choice").filter(has_text="May I ask").click()
    assert "Asking first earns the right to pitch." in page.get_by_test_id("preview-feedback").inner_text()
    assert page.get_by_test_id("preview-overall").inner_text().strip() == "100 %"
    page.get_by_test_id("preview-restart").click()
    assert page.get_by_test_id("preview-choice").count() == 2

    page.get_by_test_id("publish").click()
    page.wait_for_url("**/studio/call/versions")
    assert page.get_by_test_id("version-1").is_visible()

    learner = make_user(name="Lena Learner")
    page.context.clear_cookies()
    browser_login(learner)
    page.goto(f"{live_server}/roleplay/s/call")
    page.get_by_test_id("start-play").click()
    page.get_by_role("button", name="Fair question. May I ask how you handle orders today?").click()
    page.wait_for_url("**/result")
    assert "Won" in page.get_by_test_id("outcome").inner_text()

    page.context.clear_cookies()
    browser_login(trainer)
    page.goto(f"{live_server}/studio/call/analytics")
    assert page.get_by_test_id("stat-plays").inner_text().strip() == "1"
