"""The player and objection library over HTTP: flow, idempotent steps, privacy, trainer edits."""

import json
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.ml import spin
from app.models.roleplay import Objection, Play, PlayStep
from tests.factories import make_pairing, make_user
from tests.factories_roleplay import BUDGET, SPIN_EN, TWINE, play_through, sync_fixture_scenarios, use_small_corpus

WIN = [0, ("implication", "这会带来什么影响？"), 0]


@pytest.fixture(autouse=True)
def scenarios(app):
    """Fixture scenarios in the database; the classifier trains on the small corpus."""
    use_small_corpus(app)
    spin.forget_loaded()
    sync_fixture_scenarios()
    yield
    spin.forget_loaded()


def start(client, slug):
    """Start a play through the form and return its id."""
    response = client.post(f"/roleplay/s/{slug}/play")
    assert response.status_code == 302
    return int(re.search(r"/roleplay/play/(\d+)$", response.headers["Location"]).group(1))


def test_list_filters_by_kind_tier_and_lang(client, login_as):
    """The list shows published scenarios; filters narrow it; a bad filter value is ignored."""
    login_as("learner")
    page = client.get("/roleplay/").get_data(as_text=True)
    assert "Discovery call with an operations director" in page and "Renewal call in Twine" in page
    assert "Dana Fox · Operations director · Fox Logistics" in page
    spin_only = client.get("/roleplay/?kind=spin").get_data(as_text=True)
    assert "Discovery call" in spin_only and "Renewal call" not in spin_only
    core_en = client.get("/roleplay/?tier=core&lang=en").get_data(as_text=True)
    assert "Renewal call" in core_en and "Discovery call" not in core_en
    assert client.get("/roleplay/?kind=<script>").status_code == 200


def test_scenario_page_and_unknown_slug(client, login_as):
    """The scenario page shows the persona card; an unknown scenario is a 404."""
    login_as("learner")
    page = client.get(f"/roleplay/s/{BUDGET}").get_data(as_text=True)
    assert "王经理" in page and 'data-testid="persona-card"' in page and "预算不够" in page
    assert client.get("/roleplay/s/nope").status_code == 404


def test_play_with_choices_and_typed_lines_to_the_end(client, login_as):
    """Choices and a typed line (classified for real) lead to the end page with the chart data."""
    user = login_as("learner")
    play_id = start(client, SPIN_EN)
    assert "I have ten minutes" in client.get(f"/roleplay/play/{play_id}").get_data(as_text=True)
    client.post(f"/roleplay/play/{play_id}/step", data={"step": 0, "choice": 0})
    response = client.post(f"/roleplay/play/{play_id}/step",
                           data={"step": 1, "text": "What is the hardest part of managing stock today?"})
    assert response.status_code == 302
    step = db.session.scalar(sa.select(PlayStep).where(PlayStep.play_id == play_id, PlayStep.index == 1))
    assert step.label == "problem" and step.features
    page = client.get(f"/roleplay/play/{play_id}").get_data(as_text=True)
    assert 'data-testid="spin-label"' in page and "Late deliveries" not in page
    response = client.post(f"/roleplay/play/{play_id}/step",
                           data={"step": 2, "text": "What does that delay cost you in lost sales?"})
    assert response.headers["Location"].endswith(f"/roleplay/play/{play_id}/result")
    play = db.session.get(Play, play_id)
    assert play.user_id == user.id and play.outcome == "won"
    result = client.get(f"/roleplay/play/{play_id}/result")
    html = result.get_data(as_text=True)
    assert result.status_code == 200
    data = json.loads(re.search(r'id="roleplay-scores-data">(.*?)</script>', html).group(1))
    assert data["labels"] == ["rapport", "discovery", "closing"] and data["values"] == [1.0, 1.0, 1.0]
    assert 'data-testid="spin-mix"' in html and "Not now" in html  # SPIN mix and the linked objection
    assert client.get(f"/roleplay/play/{play_id}").headers["Location"].endswith("/result")


def test_double_submit_does_not_advance_twice(client, login_as):
    """The same step posted twice saves one step; a stale form just shows where the play stands."""
    login_as("learner")
    play_id = start(client, BUDGET)
    for _ in range(2):
        assert client.post(f"/roleplay/play/{play_id}/step", data={"step": 0, "choice": 0}).status_code == 302
    play = db.session.get(Play, play_id)
    assert play.step_count == 1 and play.current_node == "probe"
    assert client.post(f"/roleplay/play/{play_id}/step", data={"step": 3, "choice": 0}).status_code == 302
    assert client.post(f"/roleplay/play/{play_id}/step", data={"step": 1, "text": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Play, play_id).step_count == 1


def test_a_step_needs_the_csrf_token_of_the_page(app, client, login_as):
    """With CSRF on, a step posted without the play page's token is refused (400) and saves nothing."""
    login_as("learner")
    play_id = start(client, BUDGET)
    app.config["WTF_CSRF_ENABLED"] = True
    step = f"/roleplay/play/{play_id}/step"
    assert client.post(step, data={"step": 0, "choice": 0}).status_code == 400
    assert client.post(step, data={"step": 0, "choice": 0, "csrf_token": "forged"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Play, play_id).step_count == 0
    page = client.get(f"/roleplay/play/{play_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(step, data={"step": 0, "choice": 0, "csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Play, play_id).step_count == 1


def test_a_play_resumes_where_it_was(client, auth, login_as):
    """Signing out and in again (or a restart) resumes the saved play at its step."""
    user = login_as("learner")
    play_id = start(client, BUDGET)
    client.post(f"/roleplay/play/{play_id}/step", data={"step": 0, "choice": 0})
    auth.logout()
    auth.login(user)
    assert start(client, BUDGET) == play_id
    assert "主要是门店扩张" in client.get(f"/roleplay/play/{play_id}").get_data(as_text=True)


def test_another_learners_play_is_a_404(client, auth, login_as):
    """Another learner can neither read nor continue a play; a mentor reads the result only."""
    owner = make_user()
    play = play_through(owner, BUDGET, [0])
    play_id = play.id
    login_as("learner")
    assert client.get(f"/roleplay/play/{play_id}").status_code == 404
    assert client.post(f"/roleplay/play/{play_id}/step", data={"step": 1, "text": "hi"}).status_code == 404
    assert client.get(f"/roleplay/play/{play_id}/result").status_code == 404
    assert db.session.get(Play, play_id).step_count == 1
    finished = play_through(owner, BUDGET, WIN).id
    assert client.get(f"/roleplay/play/{finished}/result").status_code == 404
    mentor = make_user("mentor")
    make_pairing(mentor, owner)
    auth.logout()
    auth.login(mentor)
    assert client.get(f"/roleplay/play/{finished}/result").status_code == 200
    assert client.get(f"/roleplay/play/{play_id}").status_code == 404


def test_objection_library_browse_and_trainer_edit(client, auth, login_as):
    """Learners browse; only trainers edit (causes and answers one per line)."""
    login_as("learner")
    assert "We have no budget" in client.get("/roleplay/objections").get_data(as_text=True)
    assert "Not now" in client.get("/roleplay/objections?category=timing").get_data(as_text=True)
    assert client.get("/roleplay/objections/budget").status_code == 200
    assert client.get("/roleplay/objections/budget/edit").status_code == 403
    assert client.get("/roleplay/objections/nope").status_code == 404
    auth.logout()
    login_as("trainer")
    assert client.get("/roleplay/objections/budget/edit").status_code == 200
    response = client.post("/roleplay/objections/budget/edit", data={
        "category": "budget", "zh_objection": "今年没预算", "zh_causes": "预算用完\n\n看不到价值",
        "zh_answers": "分期付款", "en_objection": "No budget", "en_causes": "", "en_answers": "Instalments"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/roleplay/objections/budget")
    row = db.session.scalar(sa.select(Objection).where(Objection.key == "budget"))
    assert row.zh_objection == "今年没预算" and row.zh_causes == ["预算用完", "看不到价值"] and row.edited_at
    empty = client.post("/roleplay/objections/budget/edit", data={"category": "budget"})
    assert empty.status_code == 200 and "Write the objection in Chinese, English or both." in empty.get_data(as_text=True)
    created = client.post("/roleplay/objections/new", data={"key": "authority-check", "category": "authority",
                                                            "en_objection": "I need to ask my boss"})
    assert created.status_code == 302
    clash = client.post("/roleplay/objections/new", data={"key": "budget", "category": "budget", "en_objection": "x"})
    assert "This key is already used." in clash.get_data(as_text=True)


def test_home_page_shows_unfinished_and_recent_plays(client, login_as):
    """The learner's home page lists plays to resume and latest results."""
    user = login_as("learner")
    play_through(user, BUDGET, WIN)
    play_through(user, TWINE, [0])
    html = client.get("/home").get_data(as_text=True)
    assert 'data-testid="roleplay-home"' in html and "Renewal call in Twine" in html and "预算不足" in html
