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
