"""In a real browser: the ranking chart draws under the CSP, uploads and one-click assignments work with CSRF on."""

import sqlalchemy as sa
import pytest

from app.extensions import db
from app.models.deals import Deal
from tests.conftest import wait_until
from tests.factories import make_pairing, make_user
from tests.factories_insights import import_generated, make_course, make_run, write_csv

pytestmark = pytest.mark.browser


def test_ranking_chart_draws_without_console_errors(app, page, live_server, browser_login):
    """The chart canvas gets a Chart.js instance and the page logs no errors (no CSP violations)."""
    admin = make_user(role="admin")
    import_generated(300, seed=21)
    make_run()
    errors, failed = [], []
    # The browser's own favicon request may 404 (not this area's); every other response must succeed.
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
    browser_login(admin)
    page.goto(f"{live_server}/insights/")
    wait_until(page, "() => Boolean(window.Chart && Chart.getChart(document.getElementById('ranking-chart')))")
    bars = page.evaluate("() => Chart.getChart(document.getElementById('ranking-chart')).data.labels.length")
    assert bars == page.locator("[data-testid=behaviours] [data-behaviour]").count() > 0
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.locator("#ranking-chart").bounding_box()["width"] <= 390
    assert errors == [] and failed == []


def test_admin_uploads_deals_in_the_browser(app, page, live_server, browser_login, tmp_path):
    """The upload form (CSRF on) imports the file."""
    admin = make_user(role="admin")
    path = write_csv(tmp_path, "deal_id,outcome,demos\nA,won,1\nB,lost,0\n")
    browser_login(admin)
    page.goto(f"{live_server}/insights/import")
    page.set_input_files("input[name=deals]", str(path))
    page.get_by_role("button", name="Import").click()
    page.wait_for_selector(".alert-success")
    assert db.session.scalar(sa.select(sa.func.count(Deal.id))) == 2


def test_mentor_assigns_a_recommendation_with_one_click(app, page, live_server, browser_login):
    """The mentor's home panel button assigns the course (CSRF on)."""
    from app.models.mentoring import Assignment

    mentor = make_user(role="mentor")
    mentee = make_user(name="Weak Seller", email="weak@example.com")
    strong = [make_user(email=f"strong{i}@example.com") for i in range(3)]
    make_pairing(mentor, mentee)
    import_generated(500, seed=13, owners=(mentee, *strong), skill={"weak@example.com": 0.25})
    make_course("confirm-needs", ["needs_confirmation_call"], title="Confirming needs")
    make_run(n_splits=5, n_repeats=2)
    browser_login(mentor)
    item = page.locator("[data-testid=recommendation]", has_text="Confirming needs")
    item.get_by_role("button", name="Assign").click()
    page.wait_for_selector(".alert-success")
    db.session.expire_all()
    assert db.session.scalar(sa.select(Assignment.target_key)) == "confirm-needs"
