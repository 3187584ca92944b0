"""Scenario studio: the node editor's "Add branch" button (several new branches in one save), with and without JavaScript."""

import re

import pytest

from app.extensions import db
from app.models.roleplay import Scenario
from app.services import studio
from tests.factories import PASSWORD, make_user
from tests.test_studio_authoring import build_valid, node_form
from tests.test_studio_roundtrip import submitted_fields

FREE_TEXT = {"customer": "We lose orders.", "free_text": {"expect": ["problem"], "routes": {"default": "lost"}}}


def test_each_branch_list_has_a_hidden_add_button_and_a_row_template(app, client, login_as):
    """The page keeps the one empty row (no JavaScript), plus a hidden button and an inert row named ``__index__``."""
    trainer = login_as("trainer")
    build_valid(trainer)
    page = client.get("/studio/cold-call/nodes/opening").get_data(as_text=True)
    assert 'name="choices-0-branches-0-dim"' in page and 'name="ft_branches-0-dim"' in page
    assert len(re.findall(r'<button type="button"[^>]*data-add-branch[^>]*hidden', page)) == page.count("data-add-branch")
    # One list per choice (2 saved + 2 empty) and the free text: each with a template of its own names.
    assert page.count("data-add-branch") == 5
    for prefix in ("choices-0-branches", "choices-3-branches", "ft_branches"):
        inside = rf'<template data-branch-template>(?:(?!</template>).)*name="{prefix}-__index__-dim"'
        assert re.search(inside, page, re.S), prefix
    ft_template = page.split('name="ft_branches-__index__-dim"', 1)[1].split("</template>", 1)[0]
    assert 'name="ft_branches-__index__-spin_label"' in ft_template
    assert '<option value="rapport">' in ft_template and '<option value="won">' in ft_template
    assert re.search(r'<option selected value="&gt;=">|<option value="&gt;=" selected>', ft_template)
    assert "<script>" not in page and 'src="/static/js/studio.js' in page
    # The template's fields are not part of what the form posts.
    assert not any("__index__" in name for name in submitted_fields(page))


def test_rows_added_with_any_free_index_are_all_saved(app, client, login_as):
    """The parser takes every row the button can add (indices past the rendered rows, in any order)."""
    trainer = login_as("trainer")
    scenario = build_valid(trainer)
    studio.add_node(scenario, trainer, "ask", "free_text")
    data = node_form("Who are you?", [{"text": "Ask", "next": "won"}])
    data.update({"choices-0-branches-0-dim": "", "choices-0-branches-0-op": ">=", "choices-0-branches-0-value": "",
                 "choices-0-branches-0-next": "",
                 "choices-0-branches-2-dim": "discovery", "choices-0-branches-2-op": "<",
                 "choices-0-branches-2-value": "0", "choices-0-branches-2-next": "lost",
                 "choices-0-branches-1-dim": "rapport", "choices-0-branches-1-op": ">=",
                 "choices-0-branches-1-value": "3", "choices-0-branches-1-next": "won"})
    assert client.post("/studio/cold-call/nodes/opening", data=data).status_code == 302
    db.session.expire_all()
    choice = db.session.get(Scenario, scenario.id).draft["nodes"]["opening"]["choices"][0]
    assert choice["branches"] == [{"if": "rapport >= 3", "next": "won"}, {"if": "discovery < 0", "next": "lost"}]

    data = node_form("We lose orders.", way="free_text", expect=["problem"], route_default="lost")
    data.update({"ft_branches-1-dim": "discovery", "ft_branches-1-op": ">=", "ft_branches-1-value": "2",
                 "ft_branches-1-next": "won", "ft_branches-1-spin_label": "problem",
                 "ft_branches-4-dim": "rapport", "ft_branches-4-op": "<=", "ft_branches-4-value": "-1",
                 "ft_branches-4-next": "lost", "ft_branches-4-spin_label": ""})
    assert client.post("/studio/cold-call/nodes/ask", data=data).status_code == 302
    db.session.expire_all()
    ft = db.session.get(Scenario, scenario.id).draft["nodes"]["ask"]["free_text"]
    assert ft["branches"] == [{"if": "discovery >= 2", "next": "won", "label": "problem"},
                              {"if": "rapport <= -1", "next": "lost"}]


def fill_branch(row, dim, op, value, target, label=None):
    """Fill one branch row of the node editor."""
    row.get_by_label("If dimension").select_option(dim)
    row.get_by_label("is", exact=True).select_option(op)
    row.get_by_label("Value").fill(value)
    row.get_by_label("then go to").select_option(target)
    if label is not None:
        row.get_by_label("for lines labelled").select_option(label)


@pytest.mark.browser
def test_add_branch_adds_two_branches_in_one_save(app, page, live_server, browser_login):
    """A trainer adds two branches to a choice, then two to a free-text turn, each in one save."""
    trainer = make_user(role="trainer")
    scenario = build_valid(trainer)
    studio.add_node(scenario, trainer, "ask", "free_text")
    studio.save_node(scenario, trainer, "ask", FREE_TEXT)
    studio.save_node(scenario, trainer, "opening", {"customer": "Who are you?", "choices": [
        {"text": "A friendly question", "next": "won", "score": {"rapport": 2}},
        {"text": "A question about orders", "next": "ask", "score": {"discovery": 1}}]})
    browser_login(trainer)

    page.goto(f"{live_server}/studio/cold-call/nodes/opening")
    choice = page.get_by_test_id("choice-row").nth(0)
    choice.get_by_test_id("choice-branches").locator("summary").click()
    assert choice.get_by_test_id("branch-row").count() == 1
    choice.get_by_test_id("add-branch").click()
    rows = choice.get_by_test_id("branch-row")
    assert rows.count() == 2
    assert rows.nth(1).inner_text().startswith("Branch 2 · new")
    fill_branch(rows.nth(0), "rapport", ">=", "3", "won")
    fill_branch(rows.nth(1), "discovery", "<", "0", "lost")
    page.get_by_role("button", name="Save node").click()
    assert page.get_by_test_id("node-ok").is_visible()
    db.session.expire_all()
    draft = db.session.get(Scenario, scenario.id).draft
    assert draft["nodes"]["opening"]["choices"][0]["branches"] == [
        {"if": "rapport >= 3", "next": "won"}, {"if": "discovery < 0", "next": "lost"}]
    # Saved, they load back as two branches, with one empty row after them.
    rows = page.get_by_test_id("choice-row").nth(0).get_by_test_id("branch-row")
    assert rows.count() == 3 and rows.nth(1).get_by_label("Value").input_value() == "0"

    page.goto(f"{live_server}/studio/cold-call/nodes/ask")
    branches = page.get_by_test_id("free-text-branches")
    branches.locator("summary").click()
    branches.get_by_test_id("add-branch").click()
    branches.get_by_test_id("add-branch").click()
    rows = branches.get_by_test_id("branch-row")
    assert rows.count() == 3
    fill_branch(rows.nth(1), "discovery", ">=", "2", "won", label="problem")
    fill_branch(rows.nth(2), "rapport", "<=", "-1", "lost")
    page.get_by_role("button", name="Save node").click()
    assert page.get_by_test_id("node-ok").is_visible()
    db.session.expire_all()
    ft = db.session.get(Scenario, scenario.id).draft["nodes"]["ask"]["free_text"]
    assert ft["branches"] == [{"if": "discovery >= 2", "next": "won", "label": "problem"},
                              {"if": "rapport <= -1", "next": "lost"}]


@pytest.mark.browser
def test_without_javascript_the_empty_row_still_adds_a_branch(app, browser, live_server):
    """With JavaScript off the button stays hidden and the one empty row adds a branch per save."""
    trainer = make_user(role="trainer")
    scenario = build_valid(trainer)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/auth/login")
        page.fill("input[name=email]", trainer.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit], input[type=submit]")
        page.goto(f"{live_server}/studio/cold-call/nodes/opening")
        choice = page.get_by_test_id("choice-row").nth(0)
        choice.get_by_test_id("choice-branches").locator("summary").click()
        assert choice.get_by_test_id("add-branch").is_hidden()
        rows = choice.get_by_test_id("branch-row")
        assert rows.count() == 1
        fill_branch(rows.nth(0), "rapport", ">=", "3", "won")
        page.get_by_role("button", name="Save node").click()
        assert page.get_by_test_id("node-ok").is_visible()
    finally:
        context.close()
    db.session.expire_all()
    assert db.session.get(Scenario, scenario.id).draft["nodes"]["opening"]["choices"][0]["branches"] == [
        {"if": "rapport >= 3", "next": "won"}]
