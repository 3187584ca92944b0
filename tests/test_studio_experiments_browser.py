"""In a real browser: a trainer makes a variant, publishes it, starts a random-split A/B test; learners each see
one variant; the trainer reads the results with their sample sizes."""

import re

import pytest

from app.services import studio
from tests.conftest import wait_until
from tests.factories import make_user

pytestmark = pytest.mark.browser

SLUGS = ("call", "call-b")


def publish_call(trainer):
    """Create and publish scenario A through the services: one winning and one losing answer."""
    scenario = studio.create_scenario(trainer, "call", "Call Ms Lee", "en", "spin")
    studio.save_metadata(scenario, trainer, {"persona": {"name": "Ms Lee"}, "rubric": ["rapport"], "start": "opening"})
    studio.add_node(scenario, trainer, "won", "end")
    studio.add_node(scenario, trainer, "lost", "end")
    studio.save_node(scenario, trainer, "opening", {"customer": "Who are you?", "choices": [
        {"text": "May I ask how you order today?", "next": "won", "score": {"rapport": 2}},
        {"text": "Our software is the best.", "next": "lost", "score": {"rapport": -1}}]})
    studio.save_node(scenario, trainer, "won", {"end": "won", "summary": "A demo is booked."})
    studio.save_node(scenario, trainer, "lost", {"end": "lost", "summary": "She hangs up."})
    studio.publish_draft(scenario, trainer)


def visible_variants(page, base) -> list[str]:
    """Return which of the two variants the signed-in learner's role-play list links to."""
    page.goto(f"{base}/roleplay/")
    hrefs = page.locator("[data-testid=scenario-card] a").evaluate_all("links => links.map(a => a.pathname)")
    return [slug for slug in SLUGS if f"/roleplay/s/{slug}" in hrefs]


def test_trainer_runs_an_ab_test_and_learners_see_one_variant(app, page, live_server, browser_login):
    """Variant made, edited and published in the browser; random split; each learner gets one variant; results."""
    trainer = make_user(role="trainer", name="Tess Trainer")
    publish_call(trainer)
    learners = [make_user(name="Lena Learner"), make_user(name="Liam Learner")]

    browser_login(trainer)
    page.goto(f"{live_server}/studio/experiments")
    form = page.get_by_test_id("variant-form")
    form.get_by_label("Scenario to copy").select_option("call")
    form.get_by_role("button", name="Make a variant").click()
    page.wait_for_url("**/studio/call-b")
    page.goto(f"{live_server}/studio/call-b/nodes/opening")
    page.get_by_label("Customer says").fill("Who are you, and how did you get my number?")
    page.get_by_role("button", name="Save node").click()
    assert page.get_by_test_id("node-ok").is_visible()
    page.get_by_test_id("publish").click()
    page.wait_for_url("**/studio/call-b/versions")
    assert page.get_by_test_id("version-1").is_visible()

    page.goto(f"{live_server}/studio/experiments/new")
    form = page.get_by_test_id("experiment-form")
    form.get_by_label("Name", exact=True).fill("Opening line")
    form.get_by_label("Variant A", exact=True).select_option(label="Call Ms Lee (call)")
    form.get_by_label("Variant B", exact=True).select_option(label="Call Ms Lee (B) (call-b)")
    assert form.get_by_label(re.compile("At random")).is_checked()
    form.get_by_role("button", name="Start the test").click()
    page.wait_for_url(re.compile(r".*/studio/experiments/\d+$"))
    results_url = page.url
    assert page.get_by_test_id("status").inner_text().strip() == "Running"

    seen = []
    for learner in learners:
        page.context.clear_cookies()
        browser_login(learner)
        variants = visible_variants(page, live_server)
        assert len(variants) == 1, variants
        assert visible_variants(page, live_server) == variants  # the draw is stored, not redrawn
        seen.append(variants[0])
        page.goto(f"{live_server}/roleplay/s/{variants[0]}")
        page.get_by_test_id("start-play").click()
        page.get_by_role("button", name="May I ask how you order today?").click()
        page.wait_for_url("**/result")

    page.context.clear_cookies()
    browser_login(trainer)
    assert sorted(visible_variants(page, live_server)) == list(SLUGS)  # staff see both
    page.goto(results_url)
    assigned = {v: int(page.get_by_test_id(f"assigned-{v}").inner_text()) for v in "ab"}
    learned = {v: int(page.get_by_test_id(f"learners-{v}").inner_text()) for v in "ab"}
    expected = {"a": seen.count("call"), "b": seen.count("call-b")}
    assert assigned == expected and learned == expected
    assert page.get_by_test_id("small-sample-warning").is_visible()
    # Chart.js has drawn the rates chart (the figures above are also in the cards).
    wait_until(page, "Boolean(window.Chart && Chart.getChart(document.getElementById('experiment-rates-chart')))")
