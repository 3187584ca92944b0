"""Scenario files: the YAML and Twee loaders, `flask scenario validate` and `flask scenario import`."""

from pathlib import Path

import pytest

from app.content.objections import load_objections
from app.content.scenario import ScenarioProblems, load_scenario
from app.content.twee import load_twee
from tests.factories_roleplay import BAD, SCENARIOS

SHARED_TWEE = Path("/work/shared/data/twee")


def problems_of(loader, *args) -> list[str]:
    """Return the problems a loader raises (failing the test when it raises none)."""
    with pytest.raises(ScenarioProblems) as info:
        loader(*args)
    return info.value.problems


def test_design_example_loads_into_frozen_dataclasses():
    """The DESIGN §4 example loads: persona, rubric, choices, free text and three endings."""
    s = load_scenario(SCENARIOS / "budget-objection-smb.yaml", {"objection_handling"}, {"budget"})
    assert s.slug == "budget-objection-smb" and s.lang == "zh" and s.kind == "objection"
    assert s.persona.name == "王经理"
    assert s.rubric == ("rapport", "discovery", "objection_handling", "closing")
    assert s.nodes["opening"].choices[0].score == {"objection_handling": 2, "rapport": 1}
    assert s.nodes["probe"].free_text.route("implication") == "deepen"
    assert s.nodes["probe"].free_text.route("situation") == "shallow"
    assert s.outcomes == ["won", "next_meeting", "lost"]
    with pytest.raises(AttributeError):
        s.slug = "other"


def test_round_trip_keeps_content_and_hash():
    """to_dict → from_dict gives the same scenario and the same content hash."""
    from app.content.scenario import ScenarioDef

    s = load_scenario(SCENARIOS / "spin-discovery-en.yaml")
    again = ScenarioDef.from_dict(s.to_dict())
    assert again == s
    assert again.content_hash() == s.content_hash()


def test_every_problem_is_reported_with_its_line():
    """Unknown keys, dangling next, dead ends, unreachable nodes, no won, bad score keys, no default."""
    problems = problems_of(load_scenario, BAD / "broken.yaml")
    path = str(BAD / "broken.yaml")
    text = "\n".join(problems)
    assert f"{path}:8: unknown key 'colour'" in text
    assert f"{path}:16: node 'opening', choice 1: next 'middel' names no node (did you mean 'middle'?)" in text
    assert f"{path}:15: node 'opening', choice 1: score key 'charm' is not a rubric dimension" in text
    assert f"{path}:21: node 'middle': free-text routes need a 'default' route" in text
    assert f"{path}:24: node 'loop' has no way to any ending" in text
    assert f"{path}:29: node 'orphan' is unreachable" in text
    assert f"{path}:1: no 'won' ending" in text
    assert all(p.startswith(f"{path}:") for p in problems)


def test_yaml_syntax_error_names_file_and_line():
    """A YAML syntax error is one FILE:LINE problem, not a traceback."""
    problems = problems_of(load_scenario, BAD / "syntax.yaml")
    assert len(problems) == 1 and problems[0].startswith(f"{BAD / 'syntax.yaml'}:")
    assert "YAML syntax error" in problems[0]


def test_unknown_behaviour_and_objection_keys_are_problems():
    """Behaviour keys come from content/behaviours.yaml, objection keys from objections.yaml."""
    problems = problems_of(load_scenario, SCENARIOS / "budget-objection-smb.yaml", {"negotiation"}, {"timing"})
    assert any(":9: unknown behaviour 'objection_handling'" in p for p in problems)
    assert any(":8: unknown objection 'budget'" in p for p in problems)


def test_duplicate_keys_are_reported(tmp_path):
    """YAML silently keeps the last duplicate key; the loader reports it instead."""
    text = (SCENARIOS / "spin-discovery-en.yaml").read_text(encoding="utf-8")
    path = tmp_path / "dup.yaml"
    path.write_text(text.replace("tier: new_hire\n", "tier: new_hire\ntier: core\n"), encoding="utf-8")
    problems = problems_of(load_scenario, path)
    assert problems == [f"{path}:6: duplicate key 'tier' (first on line 5)"]


def test_objection_library_loads_and_rejects_bad_entries(tmp_path):
    """The objection file loads; a bad category and a duplicate key are FILE:LINE problems."""
    entries = load_objections(SCENARIOS / "objections.yaml")
    assert [e.key for e in entries] == ["budget", "timing"]
    assert entries[0].zh.answers[0] == "分期付款加增值服务" and entries[1].zh is None
    bad = tmp_path / "objections.yaml"
    bad.write_text("objections:\n  - key: a\n    category: money\n    en: {objection: x}\n"
                   "  - key: a\n    category: budget\n    en: {objection: y}\n", encoding="utf-8")
    problems = problems_of(load_objections, bad)
    assert f"{bad}:3: objection 'a': category 'money' must be one of" in problems[0]
    assert f"{bad}:5: duplicate objection key 'a' (first on line 2)" in problems[1]


def test_twee_story_maps_passages_links_and_tags():
    """Passages are nodes, links choices, free:/end:/score:/technique: tags and Feedback lines carry the rest."""
    s, warnings = load_twee(SCENARIOS / "twine-demo.twee", None, {"budget"})
    assert warnings == []
    assert s.slug == "twine-renewal" and s.title == "Renewal call in Twine" and s.start == "Start"
    start = s.nodes["Start"]
    assert start.customer == "Your price went up again. I am not sure we renew."
    assert [c.next for c in start.choices] == ["Clarify", "Discount"]
    assert start.choices[0].technique == "objection.clarify"
    assert start.choices[0].score == {"objection_handling": 2, "rapport": 1}
    assert start.choices[0].feedback == "Clarifying first finds the real objection."
    clarify = s.nodes["Clarify"]
    assert clarify.free_text.expect == ("problem",)
    assert clarify.free_text.route("problem") == "Solve" and clarify.free_text.route("other") == "Discount"
    assert clarify.free_text.score_for("problem") == {"objection_handling": 2}
    assert s.nodes["Renewed"].end == "won" and s.nodes["Renewed"].summary.startswith("Sam renews")


def test_twee_link_syntaxes_and_escapes(tmp_path):
    """->, <-, | and plain links resolve as the Twine editor does; escaped names decode; \\:: is text."""
    path = tmp_path / "links.twee"
    path.write_text(
        ':: StoryData\n{"start": "A [1]", "rehearse": {"id": "links", "lang": "en", "kind": "spin", '
        '"rubric": ["rapport"], "persona": {"name": "Kim"}}}\n\n'
        ":: A \\[1\\] [tag-a]\n\\:: not a header\n[[Go->B]] [[C<-Back]] [[Pipe|D]] [[E]]\n\n"
        ":: B [end:won]\nWon.\n:: C [end:lost]\nLost.\n:: D [end:lost]\nLost.\n:: E [end:next_meeting]\nLater.\n",
        encoding="utf-8",
    )
    s, _ = load_twee(path)
    node = s.nodes["A [1]"]
    assert [(c.text, c.next) for c in node.choices] == [("Go", "B"), ("Back", "C"), ("Pipe", "D"), ("E", "E")]
    assert node.customer == ":: not a header"


@pytest.mark.parametrize("story", sorted(p.name for p in SHARED_TWEE.rglob("*") if p.is_file() and p.suffix != ".md"))
def test_shared_twee_stories_fail_with_what_to_add(story):
    """Each third-party story either imports or fails with FILE:LINE problems that say what to add."""
    path = next(SHARED_TWEE.rglob(story))
    try:
        load_twee(path)
    except ScenarioProblems as exc:
        assert exc.problems
        for problem in exc.problems:
            file, line, message = problem.split(":", 2)
            assert file == str(path) and int(line) >= 1 and message.strip()
        assert any("add" in p for p in exc.problems)


@pytest.mark.skipif(not SHARED_TWEE.exists(), reason="shared Twee stories not on this machine")
def test_multi_file_story_and_escapes():
    """A story spread over files reads as one; escape.twee's start passage is found by its escaped name."""
    problems = problems_of(load_twee, sorted((SHARED_TWEE / "nanowrimo2025").glob("*.twee")))
    assert any("link to 'Day 30 KEB' names no passage (add ':: Day 30 KEB')" in p for p in problems)
    assert not any("no StoryData" in p for p in problems)
    escape = problems_of(load_twee, SHARED_TWEE / "extwee" / "escape.twee")
    assert not any("start passage" in p for p in escape)
    assert any('StoryData has no "rehearse" object: add' in p for p in escape)


def test_cli_validate_reports_and_exits_nonzero(runner):
    """`flask scenario validate` prints FILE:LINE problems and exits 1; clean files exit 0."""
    result = runner.invoke(args=["scenario", "validate", str(BAD / "broken.yaml"), str(BAD / "no-rehearse.twee")])
    assert result.exit_code == 1
    assert f"{BAD / 'broken.yaml'}:8: unknown key 'colour'" in result.output
    assert f"{BAD / 'no-rehearse.twee'}:4: StoryData has no \"rehearse\" object" in result.output
    ok = runner.invoke(args=["scenario", "validate", *(str(p) for p in sorted(SCENARIOS.iterdir()))])
    assert ok.exit_code == 0, ok.output
    assert "4 file(s) OK" in ok.output


def test_cli_import_is_all_or_nothing(runner, app):
    """`flask scenario import` stores a good file and nothing of a bad one."""
    from app.extensions import db
    from app.models.roleplay import Scenario

    bad = runner.invoke(args=["scenario", "import", str(BAD / "broken.yaml")])
    assert bad.exit_code == 1 and "unknown key 'colour'" in bad.output
    assert db.session.query(Scenario).count() == 0
    good = runner.invoke(args=["scenario", "import", str(SCENARIOS / "spin-discovery-en.yaml")])
    assert good.exit_code == 0, good.output
    assert "spin-discovery-en: created" in good.output
    again = runner.invoke(args=["scenario", "import", str(SCENARIOS / "spin-discovery-en.yaml")])
    assert "spin-discovery-en: unchanged" in again.output


def test_cli_sync_loads_a_folder(runner):
    """`flask scenario sync --dir` loads every file with a progress bar; twice changes nothing."""
    result = runner.invoke(args=["scenario", "sync", "--dir", str(SCENARIOS)])
    assert result.exit_code == 0, result.output
    assert "created 3" in result.output and "objections_created 2" in result.output
    again = runner.invoke(args=["scenario", "sync", "--dir", str(SCENARIOS)])
    assert "unchanged 3" in again.output
    bad = runner.invoke(args=["scenario", "sync", "--dir", str(BAD)])
    assert bad.exit_code == 1 and "broken.yaml:8: unknown key 'colour'" in bad.output


# --- free-text points per label (``scores``) --------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent

#: Content hashes of the bundled and fixture scenarios as they were before ``scores`` existed. A sync
#: compares these with the stored versions, so a change here would add a version to every scenario.
#: When a file's content is changed on purpose, put its new hash here.
KNOWN_HASHES = {
    "scenarios/objection-authority-energy-manager.yaml": "3399a0188c24d77c828fbb93494bfe1e11c8393194d73cc9c07c2e4911eb83db",
    "scenarios/objection-budget-supermarket.yaml": "f62f8e290b6656dad708131c6655b0e75867be00fb71034d2d360c591bb6ad73",
    "scenarios/objection-competitor-price-helpdesk.yaml": "1099168b65615cd456b218dd3a2732e5aa710fa2da5dc5347c6e64ea82fc4eef",
    "scenarios/objection-status-quo-property-maintenance.yaml":
        "bd9477d541ca76ca77c76b52a88d3a5ba1c5c2691730776010596f77c1805344",
    "scenarios/objection-timing-hotel-peak-season.yaml": "0eff14d197ad1b35eb2949a6788575ab21cc7bb0672a44d3d606f3ba3965083e",
    "scenarios/objection-trust-new-vendor-bank.yaml": "fb2ba1de28833be41b406ac4bbd3a6ca844e0b5260c1c4a3db2c8eaecc85691b",
    "scenarios/objection-trust-rebuild-restaurant-chain.yaml":
        "00711adea04b804595529ffc130ad64d2c8225fca39143051e1762c6c31ce4ae",
    "scenarios/spin-clinic-saas-no-shows.yaml": "4ccdf2a117cd22e04c17ac1066e31958ff10030fffd33e1affaf278b645323d5",
    "scenarios/spin-education-enrolment-leads.yaml": "b45b2bac96595a74797c65576e311d66d335a5170e4ea5c16eb1dbdb7bda774e",
    "scenarios/spin-insurance-claims-intake.yaml": "7f1e518baeba19f047e68169e71437fc92845666b811e80860f70e17a6d99f55",
    "scenarios/spin-logistics-empty-miles.yaml": "34d12ec038ec8d66b6d47bfca174094c1df168ca554f793cb7e9b351cd777998",
    "scenarios/spin-manufacturing-downtime.yaml": "618ac60f23ebc32a80a15cb6ce127369f1bc7d88d2ccfd169ea3f0c7f405c90c",
    "scenarios/spin-retail-chain-replenishment.yaml": "db0c4a7c8980d3e9c6d2b88968308195c3c7f16458bc88d1e21d9e28b5fae463",
    "tests/data/roleplay/scenarios/budget-objection-smb.yaml":
        "62a2d976f399a11f0ed1ef0ead8525dd1cb601c01cb79ec0227b09a7df6f21b7",
    "tests/data/roleplay/scenarios/spin-discovery-en.yaml": "1235f773635c134902246c9a86fce638888f60ad02fd1650668b21e453983fed",
    "tests/data/roleplay/scenarios/twine-demo.twee": "12c50e8c36e0babdf692edd4725e2a0ae4c4367ce30738c4c35597eee5634a62",
}

SCORES_YAML = """\
id: per-label
title: Points per label
lang: en
kind: spin
persona: {name: Kim}
rubric: [rapport, discovery]
start: probe
nodes:
  probe:
    customer: We lose stock every week.
    free_text:
      expect: [problem, implication]
      routes: {implication: won, default: lost}
      scores:
        implication: {discovery: 2}
        problem: {discovery: 1, rapport: 1}
        default: {}
  won: {end: won, summary: Won.}
  lost: {end: lost, summary: Lost.}
"""


@pytest.mark.parametrize("name", sorted(KNOWN_HASHES))
def test_content_hashes_of_existing_scenarios_do_not_change(name):
    """Files without ``scores`` hash exactly as before the key existed, so a sync makes no new versions."""
    path = ROOT / name
    if not path.exists():
        pytest.skip(f"{name} was removed")
    scenario = load_twee(path)[0] if path.suffix == ".twee" else load_scenario(path)
    assert scenario.content_hash() == KNOWN_HASHES[name]


def test_scores_give_points_per_label(tmp_path):
    """``scores`` sets points per SPIN label; ``default`` covers the labels without their own entry."""
    path = tmp_path / "per-label.yaml"
    path.write_text(SCORES_YAML, encoding="utf-8")
    ft = load_scenario(path).nodes["probe"].free_text
    assert ft.label_scores == {"implication": {"discovery": 2}, "problem": {"discovery": 1, "rapport": 1},
                               "default": {}}
    assert ft.score_for("implication") == {"discovery": 2} and ft.score_for("situation") == {}


@pytest.mark.parametrize("old, new, message", [
    ("      scores:\n", "      score: {discovery: 1}\n      scores:\n",
     ":15: node 'probe', free_text has both 'score' and 'scores'"),
    ("problem: {discovery: 1", "problme: {discovery: 1",
     ":16: node 'probe', free_text: scores key 'problme' is not a SPIN label or 'default' (did you mean 'problem'?)"),
    ("{discovery: 2}", "{discovry: 2}",
     ":15: node 'probe': score key 'discovry' is not a rubric dimension (rubric: rapport, discovery) "
     "(did you mean 'discovery'?)"),
    ("rapport: 1}", "rapport: one}", ":16: node 'probe', free_text, scores 'problem': score for 'rapport' must be a number"),
    ("default: {}", "default: 3", ":17: node 'probe', free_text, scores 'default': score must be a mapping"),
    ("        implication: {discovery: 2}\n        problem: {discovery: 1, rapport: 1}\n        default: {}\n",
     "        - implication\n", ":14: node 'probe', free_text: scores must be a mapping of SPIN label"),
])
def test_scores_problems_name_file_and_line(tmp_path, old, new, message):
    """Both keys at once, unknown labels, dimensions outside the rubric and non-numbers are FILE:LINE problems."""
    assert old in SCORES_YAML
    path = tmp_path / "per-label.yaml"
    path.write_text(SCORES_YAML.replace(old, new), encoding="utf-8")
    problems = problems_of(load_scenario, path)
    assert any(p.startswith(f"{path}{message}") for p in problems), problems
