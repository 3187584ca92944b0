"""Scenario studio: drafts, inline problems, publish, versions, files, preview, graph, access and escaping."""

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import url_for
from werkzeug.routing import BuildError

from app import signals
from app.content.scenario import load_scenario
from app.content.twee import load_twee
from app.extensions import db
from app.models.roleplay import Play, PlayStep, Scenario, ScenarioVersion
from app.services import plays, studio
from app.services.errors import Conflict, ImportProblems, ValidationError
from app.services.scenario_sync import store_scenario
from tests.factories import make_user
from tests.factories_roleplay import BAD, SCENARIOS, SPIN_EN, TWINE, sync_fixture_scenarios

ROOT = Path(__file__).resolve().parent.parent
SHARED_TWEE = Path("/work/shared/data/twee")
XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]


# --- helpers --------------------------------------------------------------------------------------------


def build_valid(trainer, slug="cold-call", title="Cold call"):
    """Create a three-node scenario through the services and return it (still a draft)."""
    scenario = studio.create_scenario(trainer, slug, title, "en", "spin")
    studio.save_metadata(scenario, trainer, {
        "persona": {"name": "Ms Lee", "role": "Buyer"}, "rubric": ["rapport", "discovery"], "start": "opening"})
    studio.add_node(scenario, trainer, "won", "end")
    studio.add_node(scenario, trainer, "lost", "end")
    studio.save_node(scenario, trainer, "opening", {"customer": "Who are you?", "choices": [
        {"text": "A friendly question", "next": "won", "score": {"rapport": 2}, "feedback": "Good start."},
        {"text": "A pitch", "next": "lost", "score": {"rapport": -1}, "feedback": "Too early."},
    ]})
    studio.save_node(scenario, trainer, "won", {"end": "won", "summary": "Meeting booked."})
    studio.save_node(scenario, trainer, "lost", {"end": "lost", "summary": "Call ended."})
    return scenario


def node_form(customer, choices=(), way="choices", ft_branches=(), **extra):
    """Return the POST data of the node editor; a choice's "branches" and ``ft_branches`` are lists of row dicts."""
    data = {"customer": customer, "way": way, **extra}
    for i, choice in enumerate(choices):
        for name, value in choice.items():
            if name != "branches":
                data[f"choices-{i}-{name}"] = value
        for j, branch in enumerate(choice.get("branches", ())):
            data.update({f"choices-{i}-branches-{j}-{k}": v for k, v in {"op": ">=", **branch}.items()})
    for j, branch in enumerate(ft_branches):
        data.update({f"ft_branches-{j}-{k}": v for k, v in {"op": ">=", **branch}.items()})
    return data


def versions_of(slug):
    """Return the version numbers of a scenario."""
    return list(db.session.scalars(sa.select(ScenarioVersion.number).join(Scenario)
                                   .where(Scenario.slug == slug).order_by(ScenarioVersion.number)))


def row_counts():
    """Return the number of scenarios, versions, plays and steps."""
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (Scenario, ScenarioVersion, Play, PlayStep))


# --- the whole flow over HTTP -----------------------------------------------------------------------------


def test_create_invalid_inline_fix_publish(app, client, login_as):
    """A new scenario starts invalid; a problem shows on its node; fixing it lets publish make version 1."""
    trainer = login_as("trainer")
    response = client.post("/studio/new", data={"slug": "first", "title": "First call", "lang": "en",
                                                "kind": "spin"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/studio/first/edit")
    scenario = db.session.scalar(sa.select(Scenario).where(Scenario.slug == "first"))
    assert not scenario.published and scenario.current_version == 0 and scenario.draft is not None

    page = client.get("/studio/first").get_data(as_text=True)
    assert "Publishing is off" in page and re.search(r'<button[^>]*disabled[^>]*data-testid="publish"', page)

    assert client.post("/studio/first/edit", data={
        "title": "First call", "lang": "en", "kind": "spin", "tier": "new_hire", "persona_name": "Ms Lee",
        "rubric": "rapport, discovery", "start": "opening"}).status_code == 302
    for key in ("won", "lost"):
        assert client.post("/studio/first/nodes", data={"key": key, "way": "end"}).status_code == 302
        client.post(f"/studio/first/nodes/{key}", data=node_form("", way="end", outcome=key, summary=f"It is {key}."))
    # "closing" is not in the rubric: a problem on node "opening" only.
    client.post("/studio/first/nodes/opening", data=node_form("Who are you?", [
        {"text": "May I ask a question?", "next": "won", "score": "rapport: 1, closing: 2"},
        {"text": "Buy now.", "next": "lost", "score": "rapport: -1"},
    ]))
    check = studio.check_scenario(db.session.get(Scenario, scenario.id))
    assert list(check.node_problems) == ["opening"] and not check.problems
    assert "closing" in check.node_problems["opening"][0]
    page = client.get("/studio/first/nodes/opening").get_data(as_text=True)
    problems = re.search(r'data-testid="node-problems">(.*?)</div>', page, re.S).group(1)
    assert "&#39;closing&#39; is not a rubric dimension" in problems
    assert 'data-testid="node-ok"' in client.get("/studio/first/nodes/won").get_data(as_text=True)
    response = client.post("/studio/first/publish")
    assert response.status_code == 302 and versions_of("first") == []

    client.post("/studio/first/nodes/opening", data=node_form("Who are you?", [
        {"text": "May I ask a question?", "next": "won", "score": "rapport: 1, discovery: 2"},
        {"text": "Buy now.", "next": "lost", "score": "rapport: -1"},
    ]))
    response = client.post("/studio/first/publish")
    assert response.status_code == 302 and response.headers["Location"].endswith("/studio/first/versions")
    db.session.expire_all()
    scenario = db.session.get(Scenario, scenario.id)
    version = db.session.scalar(sa.select(ScenarioVersion).where(ScenarioVersion.scenario_id == scenario.id))
    assert (version.number, version.source_format, version.published_by_id) == (1, "browser", trainer.id)
    assert scenario.published and scenario.current_version == 1 and scenario.edited_at is not None
    assert scenario.draft is None and scenario.draft_updated_at is None
    assert scenario.persona == "Ms Lee" and version.rubric == ["rapport", "discovery"]
    assert plays.definition(version).nodes["opening"].choices[0].score == {"rapport": 1, "discovery": 2}


def test_node_form_keeps_branches_and_skips_empty_rows(app, client, login_as):
    """A choice's branch is saved as {if, next}; empty rows add nothing; bad points show a field error."""
    trainer = login_as("trainer")
    scenario = build_valid(trainer)
    client.post("/studio/cold-call/nodes/opening", data=node_form("Who are you?", [
        {"text": "Ask", "next": "lost", "score": "rapport: 2",
         "branches": [{"dim": "rapport", "op": ">=", "value": "2", "next": "won"}, {"dim": "", "value": "", "next": ""}]},
        {"text": "", "next": ""},
    ]))
    db.session.expire_all()
    node = db.session.get(Scenario, scenario.id).draft["nodes"]["opening"]
    assert node["choices"] == [{"text": "Ask", "next": "lost", "score": {"rapport": 2},
                                "branches": [{"if": "rapport >= 2", "next": "won"}]}]
    graph = studio.graph_data(db.session.get(Scenario, scenario.id).draft)
    assert {"source": "opening", "target": "won", "label": "rapport >= 2", "conditional": True} in graph["edges"]
    page = client.post("/studio/cold-call/nodes/opening", data=node_form("Who?", [
        {"text": "Ask", "next": "won", "score": "rapport one"}])).get_data(as_text=True)
    assert "rapport one" in page and "is-invalid" in page


# --- drafts, versions and plays -----------------------------------------------------------------------------


def test_editing_published_makes_draft_and_plays_keep_their_version(app):
    """Learners play v1 while the trainer edits; a play begun on v1 stays on v1 after v2 is published."""
    trainer, learner = make_user(role="trainer"), make_user(role="learner")
    scenario = build_valid(trainer)
    studio.publish_draft(scenario, trainer)
    studio.save_node(scenario, trainer, "opening", {"customer": "Who are you, again?", "choices": [
        {"text": "Ask", "next": "won", "score": {"rapport": 2}}, {"text": "Pitch", "next": "lost"}]})
    assert scenario.draft is not None and scenario.current_version == 1
    play = plays.start_play(learner, "cold-call")
    assert play.version.number == 1 and plays.current_node(play).customer == "Who are you?"
    v2 = studio.publish_draft(scenario, trainer)
    assert v2.number == 2
    db.session.expire_all()
    play = plays.get_play(play.id)
    assert play.version.number == 1 and plays.current_node(play).customer == "Who are you?"
    plays.submit_step(play, 0, choice=1)
    assert play.is_finished and play.outcome == "lost"
    assert plays.start_play(learner, "cold-call", restart=True).version.number == 2


def test_restore_makes_a_new_version_equal_to_the_old(app, client, login_as):
    """Restore v1 after v2: v3 has v1's content and restored_from=1; restoring the current one is refused."""
    trainer = login_as("trainer")
    scenario = build_valid(trainer)
    v1 = studio.publish_draft(scenario, trainer)
    studio.save_node(scenario, trainer, "won", {"end": "won", "summary": "A bigger deal."})
    studio.publish_draft(scenario, trainer)
    response = client.post("/studio/cold-call/versions/1/restore")
    assert response.status_code == 302
    v3 = db.session.scalar(sa.select(ScenarioVersion).where(ScenarioVersion.number == 3))
    assert v3.restored_from == 1 and v3.content_hash == v1.content_hash and v3.source_format == "browser"
    with pytest.raises(Conflict):
        studio.restore_version(db.session.get(Scenario, scenario.id), 3, trainer)
    assert "restored from version 1" in client.get("/studio/cold-call/versions").get_data(as_text=True)


def test_rename_and_delete_node_follow_links(app):
    """Renaming updates start, next and branch targets; deleting leaves a dangling link shown as a problem."""
    trainer = make_user(role="trainer")
    scenario = build_valid(trainer)
    studio.rename_node(scenario, trainer, "opening", "hello")
    studio.rename_node(scenario, trainer, "won", "deal")
    assert scenario.draft["start"] == "hello" and scenario.draft["nodes"]["hello"]["choices"][0]["next"] == "deal"
    assert studio.check_scenario(scenario).ok
    with pytest.raises(ValidationError):
        studio.add_node(scenario, trainer, XSS[0])
    studio.delete_node(scenario, trainer, "lost")
    check = studio.check_scenario(scenario)
    assert "names no node" in " ".join(check.node_problems["hello"])


# --- checking and the graph ---------------------------------------------------------------------------------


def test_check_draft_maps_problems_to_nodes_and_top_level():
    """Problems land on the node whose lines they name; scenario-wide ones stay at the top."""
    draft = studio.blank_draft("x", "X", "en", "spin")
    draft["persona"]["name"] = "Pat"
    draft["nodes"] = {
        "opening": {"customer": "Hi", "choices": [{"text": "Go", "next": "middel"}]},
        "middle": {"customer": "Go on", "choices": [{"text": "Ok", "next": "opening"}]},
        "lost": {"end": "lost", "summary": "Bye"},
    }
    definition, by_node, top = studio.check_draft(draft, behaviours=None, objections=None)
    assert definition is None
    assert any("middel" in p for p in by_node["opening"])
    assert any("unreachable" in p for p in by_node["middle"]) and any("unreachable" in p for p in by_node["lost"])
    assert any("no 'won' ending" in p for p in top)


def test_graph_data_marks_problems_and_survives_junk():
    """Endings carry outcomes; dangling targets become "missing" nodes; junk does not crash."""
    draft = {"start": "a", "nodes": {
        "a": {"customer": "x", "choices": [{"text": "t", "next": "won"}, {"text": "u", "next": "ghost"},
                                           {"text": "v", "next": "loop"}]},
        "loop": {"customer": "y", "free_text": {"routes": {"default": "loop"}}},
        "orphan": {"customer": "z", "choices": None},
        "won": {"end": "won", "summary": "s"},
        "weird": "not a mapping",
    }}
    graph = studio.graph_data(draft, problems={"a": ["x"]}, node_stats={"a": {"fail_rate": 0.25}})
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes["won"]["kind"] == "end" and nodes["won"]["outcome"] == "won"
    assert nodes["loop"]["kind"] == "free_text" and nodes["loop"]["dead_end"]
    assert nodes["orphan"]["unreachable"] and nodes["ghost"]["kind"] == "missing"
    assert nodes["a"]["problems"] and nodes["a"]["fail_rate"] == 0.25 and nodes["won"]["fail_rate"] is None
    assert {"source": "loop", "target": "loop", "label": "default", "conditional": False} in graph["edges"]
    assert studio.graph_data({"nodes": None}) == {"nodes": [], "edges": []}


# --- files --------------------------------------------------------------------------------------------------


def test_upload_yaml_and_twee(app, client, login_as):
    """A YAML or Twee file for a new id makes a draft scenario; a file for an existing id becomes its draft."""
    login_as("trainer")
    data = {"file": (open(SCENARIOS / "spin-discovery-en.yaml", "rb"), "spin-discovery-en.yaml")}
    response = client.post("/studio/upload", data=data, content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/studio/{SPIN_EN}")
    scenario = studio.get_studio_scenario(SPIN_EN)
    assert not scenario.published and studio.check_scenario(scenario).ok
    assert "Dana Fox" in client.get(f"/studio/{SPIN_EN}/edit").get_data(as_text=True)

    data = {"file": (open(SCENARIOS / "twine-demo.twee", "rb"), "twine-demo.twee")}
    assert client.post("/studio/upload", data=data, content_type="multipart/form-data").status_code == 302
    twine = studio.get_studio_scenario(TWINE)
    assert set(twine.draft["nodes"]) == {"Start", "Clarify", "Solve", "Discount", "Renewed", "Lost"}
    assert studio.check_scenario(twine).ok

    sync_fixture_scenarios()  # now published from files
    before = versions_of(SPIN_EN)
    text = (SCENARIOS / "spin-discovery-en.yaml").read_text().replace("busy}", "calm}")
    data = {"file": (io.BytesIO(text.encode()), "changed.yaml")}
    client.post("/studio/upload", data=data, content_type="multipart/form-data")
    db.session.expire_all()
    scenario = studio.get_studio_scenario(SPIN_EN)
    assert versions_of(SPIN_EN) == before and scenario.draft["persona"]["mood"] == "calm"


@pytest.mark.parametrize("path, name", [
    (BAD / "broken.yaml", "broken.yaml"),
    (SHARED_TWEE / "twine-cookbook" / "harlowe_space_exploration_twee.txt", "space.twee"),
    (SHARED_TWEE / "extwee" / "storydataerror.twee", "storydataerror.twee"),
])
def test_bad_upload_shows_file_and_line_and_changes_nothing(app, client, login_as, path, name):
    """Every problem is shown as FILE:LINE: message with the uploaded name; no row changes."""
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    login_as("trainer")
    sync_fixture_scenarios()
    before = row_counts()
    response = client.post("/studio/upload", data={"file": (open(path, "rb"), name)},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-testid="upload-problems"' in page
    assert re.search(re.escape(name) + r":\d+: ", page)
    assert "/tmp" not in page and row_counts() == before


def test_upload_refuses_other_file_types(app):
    """Only YAML and Twee files are read."""
    with pytest.raises(ImportProblems) as exc:
        studio.import_upload(make_user(role="trainer"), "notes.txt", b"hello")
    assert exc.value.problems == ["notes.txt:1: upload a .yaml, .yml, .twee or .tw file"]


def test_yaml_download_reimports_to_the_same_hash(app, client, login_as, tmp_path):
    """The YAML of a synced version, a browser-published version and the draft loads back to the same content."""
    trainer = login_as("trainer")
    sync_fixture_scenarios()
    scenario = build_valid(trainer)
    studio.publish_draft(scenario, trainer)
    for slug in (SPIN_EN, "budget-objection-smb", "cold-call"):
        version = db.session.scalar(sa.select(ScenarioVersion).join(Scenario).where(Scenario.slug == slug))
        response = client.get(f"/studio/{slug}/download?version=1")
        assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
        path = tmp_path / f"{slug}.yaml"
        path.write_bytes(response.data)
        assert load_scenario(path).content_hash() == version.content_hash, slug
    studio.save_node(scenario, trainer, "won", {"end": "won", "summary": "Changed."})
    path = tmp_path / "draft.yaml"
    path.write_bytes(client.get("/studio/cold-call/download").data)
    assert load_scenario(path).nodes["won"].summary == "Changed."


def test_bundled_scenarios_survive_the_draft_shape(app):
    """Every scenarios/*.yaml file goes to the draft shape and back to the same content hash."""
    files = [p for p in sorted((ROOT / "scenarios").glob("*.yaml")) if p.name != "objections.yaml"]
    assert files
    for path in files:
        try:
            definition = load_scenario(path)
        except ImportProblems:
            continue  # a file being written; `flask scenario validate` reports it
        draft = studio.draft_from_definition(definition.to_dict())
        result = studio.check_draft(draft, behaviours=None, objections=None)
        assert result.ok, (path, result.problems, result.node_problems)
        assert result.definition.content_hash() == definition.content_hash(), path


# --- preview ------------------------------------------------------------------------------------------------


def preview_token(page: str) -> str:
    """Return the signed state of a preview page."""
    found = re.search(r'name="state" value="([^"]+)"', page)
    assert found, page[-4000:]
    return found.group(1)


def test_preview_plays_the_draft_and_writes_nothing(app, client, login_as):
    """Preview replays signed answers through the player rules; no play, step or signal."""
    trainer = login_as("trainer")
    scenario = build_valid(trainer)
    studio.save_node(scenario, trainer, "opening", {"customer": "Who are you?", "choices": [
        {"text": "Ask", "next": "probe", "score": {"rapport": 2}, "feedback": "Good start."},
        {"text": "Pitch", "next": "lost", "score": {"rapport": -1}}]})
    studio.add_node(scenario, trainer, "probe", "free_text")
    studio.save_node(scenario, trainer, "probe", {"customer": "We ship late.", "free_text": {
        "expect": ["implication"], "routes": {"implication": "won", "default": "lost"},
        "score": {"discovery": 2}, "feedback": {"implication": "You found the cost."}}})
    sent = []
    receiver = lambda *args, **kwargs: sent.append(kwargs)  # noqa: E731
    signals.play_step_saved.connect(receiver)
    signals.play_finished.connect(receiver)
    try:
        before = row_counts()
        page = client.get("/studio/cold-call/preview").get_data(as_text=True)
        assert "Who are you?" in page and 'data-testid="preview-choice"' in page
        page = client.post("/studio/cold-call/preview", data={"state": preview_token(page), "choice": 0}).get_data(
            as_text=True)
        assert "Good start." in page and "We ship late." in page
        token = preview_token(page)
        page = client.post("/studio/cold-call/preview", data={
            "state": token, "text": "What does that cost you?", "label": "implication"}).get_data(
            as_text=True)
        assert 'data-testid="preview-end"' in page and "You found the cost." in page and "Meeting booked." in page
        dims = re.search(r'data-testid="preview-dimensions">(.*?)</ul>', page, re.S).group(1)
        assert "rapport" in dims and "100 %" in dims and "discovery" in dims
        assert row_counts() == before and sent == []
    finally:
        signals.play_step_saved.disconnect(receiver)
        signals.play_finished.disconnect(receiver)
    forged = client.post("/studio/cold-call/preview", data={"state": "x" + token, "choice": 0})
    assert forged.status_code == 400


def test_preview_of_an_invalid_draft_says_why(app, client, login_as):
    """An invalid draft cannot be played; a published version still can (?version=N)."""
    trainer = login_as("trainer")
    scenario = build_valid(trainer)
    studio.publish_draft(scenario, trainer)
    studio.delete_node(scenario, trainer, "won")
    assert 'data-testid="preview-blocked"' in client.get("/studio/cold-call/preview").get_data(as_text=True)
    page = client.get("/studio/cold-call/preview?version=1").get_data(as_text=True)
    assert 'data-testid="preview-choice"' in page


# --- access -------------------------------------------------------------------------------------------------


def studio_urls(app):
    """Yield (method, url) for every route of the studio, with sample arguments."""
    samples = {"slug": "cold-call", "key": "opening", "number": 1, "experiment_id": 1}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("studio."):
            continue
        try:
            with app.test_request_context():
                url = url_for(rule.endpoint, **{a: samples[a] for a in rule.arguments})
        except (BuildError, KeyError):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url


@pytest.mark.parametrize("role", ["learner", "mentor"])
def test_learners_and_mentors_cannot_enter_the_studio(app, client, login_as, role):
    """Every studio route answers 403 (or 404) to learners and mentors, and changes nothing."""
    build_valid(make_user(role="trainer"))
    login_as(role)
    before = row_counts()
    checked = 0
    for method, url in studio_urls(app):
        status = client.open(url, method=method).status_code
        assert status in (403, 404), (method, url, status)
        checked += 1
    assert checked >= 15 and row_counts() == before
    assert "/studio/" not in client.get("/home").get_data(as_text=True)


def test_trainers_see_the_studio_in_the_navigation(app, client, login_as):
    """The nav entry shows for trainers."""
    login_as("trainer")
    assert 'href="/studio/"' in client.get("/home").get_data(as_text=True)
    assert client.get("/studio/").status_code == 200
    assert client.get("/studio/nope").status_code == 404
    assert client.get("/studio/nope/nodes/x").status_code == 404


# --- escaping -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", XSS)
def test_trainer_content_is_escaped_everywhere(app, client, login_as, payload):
    """Script in titles, lines, choices and feedback never appears unescaped in studio, preview, graph or player."""
    trainer = login_as("trainer")
    scenario = build_valid(trainer, title=payload)
    studio.save_metadata(scenario, trainer, {"persona": {"name": payload, "role": payload}})
    studio.save_node(scenario, trainer, "opening", {"customer": payload, "choices": [
        {"text": payload, "next": "won", "score": {"rapport": 1}, "feedback": payload, "technique": payload},
        {"text": "Pitch", "next": "lost"}]})
    studio.save_node(scenario, trainer, "won", {"end": "won", "summary": payload})
    response = client.post("/studio/cold-call/nodes", data={"key": payload, "way": "end"})
    assert response.status_code == 302 and payload not in scenario.draft["nodes"]
    pages = [client.get(url).get_data(as_text=True) for url in (
        "/studio/", "/studio/cold-call", "/studio/cold-call/edit", "/studio/cold-call/nodes/opening",
        "/studio/cold-call/nodes/won", "/studio/cold-call/versions", "/studio/cold-call/preview")]
    page = pages[-1]
    page = client.post("/studio/cold-call/preview", data={"state": preview_token(page), "choice": 0}).get_data(
        as_text=True)
    pages.append(page)
    graph_block = re.search(r'id="graph-data">(.*?)</script>', pages[1], re.S).group(1)
    assert "<" not in graph_block and "\\u003c" in graph_block
    assert client.post("/studio/cold-call/publish").status_code == 302
    learner = make_user(role="learner")
    client.post("/auth/logout")
    client.post("/auth/login", data={"email": learner.email, "password": "correct-horse-battery"})
    play = client.post("/roleplay/s/cold-call/play")
    pages.append(client.get(play.headers["Location"]).get_data(as_text=True))
    pages.append(client.get("/roleplay/s/cold-call").get_data(as_text=True))
    for text in pages:
        assert payload not in text
    assert "&lt;" in pages[-2]


# --- branches, points per label and pickers in the forms ------------------------------------------------------


def test_node_form_edits_several_branches_per_choice(app, client, login_as):
    """Several branches per choice are saved in order; the remove box and a cleared row take one away."""
    trainer = login_as("trainer")
    scenario = build_valid(trainer)
    studio.save_metadata(scenario, trainer, {"rubric": ["rapport", "discovery"]})
    branches = [{"dim": "rapport", "op": ">=", "value": "3", "next": "won"},
                {"dim": "discovery", "op": "<", "value": "-1.5", "next": "lost"}, {}]
    client.post("/studio/cold-call/nodes/opening", data=node_form("Who are you?", [
        {"text": "Ask", "next": "lost", "branches": branches}, {"text": "Pitch", "next": "lost"}]))
    db.session.expire_all()
    choice = db.session.get(Scenario, scenario.id).draft["nodes"]["opening"]["choices"][0]
    assert choice["branches"] == [{"if": "rapport >= 3", "next": "won"}, {"if": "discovery < -1.5", "next": "lost"}]

    page = client.get("/studio/cold-call/nodes/opening").get_data(as_text=True)
    assert re.search(r'name="choices-0-branches-1-value"[^>]*value="-1.5"', page)
    # Without JavaScript: an empty row for a new branch under every choice, and one for the free text.
    assert 'name="choices-0-branches-2-dim"' in page and 'name="choices-1-branches-0-dim"' in page
    assert 'name="ft_branches-0-dim"' in page

    branches = [{"dim": "rapport", "op": ">=", "value": "3", "next": "won", "remove": "y"},
                {"dim": "discovery", "op": ">", "value": "1", "next": "won"}, {"dim": "", "value": "", "next": ""}]
    client.post("/studio/cold-call/nodes/opening", data=node_form("Who are you?", [
        {"text": "Ask", "next": "lost", "branches": branches}, {"text": "Pitch", "next": "lost"}]))
    db.session.expire_all()
    choice = db.session.get(Scenario, scenario.id).draft["nodes"]["opening"]["choices"][0]
    assert choice["branches"] == [{"if": "discovery > 1", "next": "won"}]
    assert studio.check_scenario(db.session.get(Scenario, scenario.id)).ok


def test_node_form_edits_free_text_branches_with_labels(app, client, login_as):
    """Free-text branches have an optional SPIN label; they load back into the form and save unchanged."""
    trainer = login_as("trainer")
    scenario = build_valid(trainer)
    studio.add_node(scenario, trainer, "probe", "free_text")
    data = node_form("What happens then?", way="free_text", expect=["implication"], route_implication="won",
                     route_default="lost", ft_score="discovery: 2", ft_branches=[
                         {"dim": "discovery", "op": ">=", "value": "2", "next": "won", "spin_label": "implication"},
                         {"dim": "rapport", "op": "<", "value": "0", "next": "lost", "spin_label": ""}, {}])
    assert client.post("/studio/cold-call/nodes/probe", data=data).status_code == 302
    db.session.expire_all()
    ft = db.session.get(Scenario, scenario.id).draft["nodes"]["probe"]["free_text"]
    assert ft["branches"] == [{"if": "discovery >= 2", "next": "won", "label": "implication"},
                              {"if": "rapport < 0", "next": "lost"}]
    assert ft["score"] == {"discovery": 2} and "scores" not in ft
    page = client.get("/studio/cold-call/nodes/probe").get_data(as_text=True)
    assert re.search(r'<option selected value="implication">implication</option>', page)
    graph = studio.graph_data(db.session.get(Scenario, scenario.id).draft)
    assert {"source": "probe", "target": "lost", "label": "rapport < 0", "conditional": True} in graph["edges"]


def test_half_filled_branch_is_kept_and_its_problem_shows_beside_it(app, client, login_as):
    """A branch without a dimension is saved as written and its problem is shown in its row; a bad number is a field error."""
    trainer = login_as("trainer")
    build_valid(trainer)
    client.post("/studio/cold-call/nodes/opening", data=node_form("Who are you?", [
        {"text": "Ask", "next": "won", "branches": [{"dim": "", "op": ">=", "value": "2", "next": "lost"}]},
        {"text": "Pitch", "next": "lost"}]))
    page = client.get("/studio/cold-call/nodes/opening").get_data(as_text=True)
    row = page[page.index('data-testid="branch-problems"'):]
    assert "node &#39;opening&#39;, choice 1, branch 1: malformed condition" in row[:600]
    response = client.post("/studio/cold-call/nodes/opening", data=node_form("Who are you?", [
        {"text": "Ask", "next": "won", "branches": [{"dim": "rapport", "value": "lots", "next": "lost"}]}]))
    assert response.status_code == 200 and "Enter a number." in response.get_data(as_text=True)


def test_node_form_gives_points_per_label(app, client, login_as):
    """Points in a label's own column make ``scores``; the expected labels without their own get the shared points."""
    trainer = login_as("trainer")
    scenario = build_valid(trainer)
    studio.add_node(scenario, trainer, "probe", "free_text")
    data = node_form("And then?", way="free_text", expect=["problem", "implication"], route_implication="won",
                     route_default="lost", ft_score="discovery: 1", points_implication="discovery: 3",
                     points_default="rapport: -1")
    assert client.post("/studio/cold-call/nodes/probe", data=data).status_code == 302
    db.session.expire_all()
    ft = db.session.get(Scenario, scenario.id).draft["nodes"]["probe"]["free_text"]
    assert ft["scores"] == {"problem": {"discovery": 1}, "implication": {"discovery": 3}, "default": {"rapport": -1}}
    assert "score" not in ft
    page = client.get("/studio/cold-call/nodes/probe").get_data(as_text=True)
    assert re.search(r'name="points_implication"[^>]*value="discovery: 3"', page)
    check = studio.check_scenario(db.session.get(Scenario, scenario.id))
    assert not any("score" in p for p in check.node_problems.get("probe", []))  # only "unreachable"


def test_details_form_picks_behaviours_and_objections_by_name(app, client, login_as):
    """Behaviours and objections are boxes with names; an unknown key stays ticked and is shown as a problem."""
    trainer = login_as("trainer")
    sync_fixture_scenarios()  # the objection library
    scenario = build_valid(trainer)
    studio.save_metadata(scenario, trainer, {"behaviours": ["objection_handling", "juggling"],
                                             "objections": ["budget"]})
    page = client.get("/studio/cold-call/edit").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*name="behaviours"[^>]*value="objection_handling"', page)
    assert "Objection handling" in page and "Needs discovery" in page
    assert re.search(r'<input checked[^>]*name="objections"[^>]*value="budget"', page)
    assert re.search(r'value="timing"', page) and "budget — " in page
    assert re.search(r'<input checked[^>]*value="juggling"', page) and "juggling (unknown key)" in page
    problems = page[page.index('data-testid="behaviours-problems"'):][:400]
    assert "unknown behaviour &#39;juggling&#39;" in problems

    form = {"title": "Cold call", "lang": "en", "kind": "spin", "tier": "new_hire", "persona_name": "Ms Lee",
            "rubric": "rapport, discovery", "start": "opening", "behaviours": ["needs_discovery", "juggling"],
            "objections": ["timing"]}
    assert client.post("/studio/cold-call/edit", data=form).status_code == 302
    db.session.expire_all()
    draft = db.session.get(Scenario, scenario.id).draft
    assert draft["behaviours"] == ["needs_discovery", "juggling"] and draft["objections"] == ["timing"]
    form["behaviours"] = ["needs_discovery"]
    client.post("/studio/cold-call/edit", data=form)
    db.session.expire_all()
    assert db.session.get(Scenario, scenario.id).draft["behaviours"] == ["needs_discovery"]


# --- YAML round trips with points per label --------------------------------------------------------------------


def importing_files() -> list[Path]:
    """Return every scenario file that should import: scenarios/, the fixtures, and shared Twee stories that load."""
    files = [p for p in sorted((ROOT / "scenarios").glob("*.yaml")) if p.name != "objections.yaml"]
    files += [p for p in sorted(SCENARIOS.iterdir()) if p.name != "objections.yaml"]
    if SHARED_TWEE.exists():
        for path in sorted(p for p in SHARED_TWEE.rglob("*") if p.is_file() and p.suffix != ".md"):
            try:
                load_twee(path)
            except ImportProblems:
                continue  # tests/test_roleplay_scenario.py checks these fail with FILE:LINE problems
            files.append(path)
    return files


def load_any(path: Path):
    """Load a YAML or Twee scenario file."""
    return load_twee(path)[0] if path.suffix in (".twee", ".tw", ".txt") else load_scenario(path)


def test_twee_points_per_route_survive_the_draft_and_the_download(app, client, login_as, tmp_path):
    """A Twee story with different points per route is uploaded, downloaded as YAML and loads to the same hash."""
    login_as("trainer")
    original = load_any(SCENARIOS / "twine-demo.twee")
    assert original.nodes["Clarify"].free_text.label_scores == {"problem": {"objection_handling": 2},
                                                                "default": {"objection_handling": -2}}
    data = {"file": (open(SCENARIOS / "twine-demo.twee", "rb"), "twine-demo.twee")}
    assert client.post("/studio/upload", data=data, content_type="multipart/form-data").status_code == 302
    twine = studio.get_studio_scenario(TWINE)
    assert twine.draft["nodes"]["Clarify"]["free_text"]["scores"] == {"problem": {"objection_handling": 2},
                                                                      "default": {"objection_handling": -2}}
    check = studio.check_scenario(twine)
    assert check.ok and check.definition.content_hash() == original.content_hash()
    path = tmp_path / "draft.yaml"
    path.write_bytes(client.get(f"/studio/{TWINE}/download").data)
    assert "scores:" in path.read_text(encoding="utf-8")
    assert load_scenario(path).content_hash() == original.content_hash()
    # Saving the node unchanged in the editor keeps the points per label.
    page = client.get(f"/studio/{TWINE}/nodes/Clarify").get_data(as_text=True)
    assert re.search(r'name="points_default"[^>]*value="objection_handling: -2"', page)


def test_every_importing_file_reimports_from_its_yaml_download(app, client, login_as, tmp_path):
    """Every scenarios/ file, fixture and importing shared Twee story: its version's YAML download has its hash."""
    login_as("trainer")
    files = importing_files()
    assert any(p.suffix == ".twee" for p in files)
    for path in files:
        try:
            definition = load_any(path)
        except ImportProblems:
            continue  # a file being written; `flask scenario validate` reports it
        store_scenario(definition, str(path))
        db.session.commit()
        number = studio.get_studio_scenario(definition.slug).current_version
        response = client.get(f"/studio/{definition.slug}/download?version={number}")
        out = tmp_path / f"{definition.slug}.yaml"
        out.write_bytes(response.data)
        assert load_scenario(out).content_hash() == definition.content_hash(), path
