"""Score-conditional branches: the YAML syntax and its checks, routing in plays, evaluate_answer, sync."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from app.content.scenario import Branch, ScenarioDef, ScenarioProblems, load_scenario
from app.extensions import db
from app.models.roleplay import PlayStep, Scenario
from app.models.types import utcnow
from app.services import plays
from app.services.errors import Conflict, ValidationError
from app.services.scenario_sync import import_scenario_file, sync_scenarios
from tests.factories import make_user
from tests.factories_roleplay import FixedClassifier, play_through

SLUG = "branch-demo"
BUNDLED = "objection-trust-rebuild-restaurant-chain"

# open: warm +2 / cold 0 / rude -2 rapport; probe: typed, expects problem or implication (+1 discovery);
# offer: one answer (+1 rapport) whose route depends on the running score.
SCENARIO = """\
id: branch-demo
title: Branch demo
lang: en
kind: objection
persona: {name: Ms Lee}
rubric: [rapport, discovery]
start: open
nodes:
  open:
    customer: Why should I trust you again?
    choices:
      - text: I hear you, and I am sorry.
        score: {rapport: 2}
        next: probe
      - text: Let me explain.
        score: {rapport: 0}
        next: probe
      - text: It was not our fault.
        score: {rapport: -2}
        next: probe
  probe:
    customer: It went badly last time.
    free_text:
      expect: [problem, implication]
      score: {discovery: 1}
      routes: {default: offer}
      branches:
        - if: rapport < 0
          next: lost
        - if: discovery >= 1
          label: implication
          next: opens_up
  opens_up:
    customer: My boss blamed me for it.
    choices:
      - text: That must have been hard.
        score: {rapport: 1}
        next: offer
  offer:
    customer: So what is different now?
    choices:
      - text: Here is what changed.
        score: {rapport: 1}
        next: doubt
        branches:
          - if: rapport >= 3
            next: trust
          - if: discovery < 1
            next: basics
  doubt:
    customer: I still have doubts.
    choices:
      - {text: Run a pilot first., next: won}
  basics:
    customer: You never asked what worries me.
    choices:
      - {text: What worries you most, next: won}
  trust:
    customer: All right, what next?
    choices:
      - {text: A pilot in ten stores., next: won}
  won: {end: won, summary: Pilot agreed.}
  lost: {end: lost, summary: No deal.}
"""

WARM, COLD, RUDE = 0, 1, 2


def write(folder: Path, text: str, name: str = "branch-demo.yaml") -> Path:
    """Write a scenario file and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, after: str = "") -> int:
    """Return the 1-based line of the first ``needle`` (after the first ``after``) in ``text``."""
    start = text.index(after) if after else 0
    return text[:text.index(needle, start)].count("\n") + 1


def problems_of(path: Path) -> list[str]:
    """Return the problems loading ``path`` raises (failing when it loads)."""
    with pytest.raises(ScenarioProblems) as info:
        load_scenario(path)
    return info.value.problems


@pytest.fixture
def synced(app, tmp_path):
    """The branch demo scenario in the database."""
    sync_scenarios(write(tmp_path / "scenarios", SCENARIO).parent)
    return plays.get_scenario(SLUG)


# --- the format ----------------------------------------------------------------------------------


def test_branches_load_into_frozen_dataclasses_and_round_trip(tmp_path):
    """Branches load in order with their conditions; to_dict/from_dict keeps them and the hash."""
    scenario = load_scenario(write(tmp_path, SCENARIO))
    offer = scenario.nodes["offer"].choices[0]
    assert offer.branches == (Branch("rapport", ">=", 3, "trust"), Branch("discovery", "<", 1, "basics"))
    assert scenario.nodes["probe"].free_text.branches[1] == Branch("discovery", ">=", 1, "opens_up", "implication")
    assert scenario.nodes["offer"].has_branches and not scenario.nodes["doubt"].has_branches
    assert scenario.nodes["offer"].targets() == ["doubt", "trust", "basics"]
    assert scenario.nodes["probe"].targets() == ["offer", "lost", "opens_up"]
    data = scenario.to_dict()
    assert data["nodes"]["offer"]["choices"][0]["branches"] == [
        {"if": "rapport >= 3", "next": "trust"}, {"if": "discovery < 1", "next": "basics"}]
    assert data["nodes"]["probe"]["free_text"]["branches"][1] == {
        "if": "discovery >= 1", "next": "opens_up", "label": "implication"}
    assert "branches" not in data["nodes"]["doubt"]["choices"][0]  # branchless content hashes as before
    again = ScenarioDef.from_dict(data)
    assert again == scenario and again.content_hash() == scenario.content_hash()
    changed = load_scenario(write(tmp_path / "changed", SCENARIO.replace("rapport >= 3", "rapport >= 4")))
    assert changed.content_hash() != scenario.content_hash()


@pytest.mark.parametrize("op, value, totals, holds", [
    (">=", 3, {"rapport": 3}, True), (">=", 3, {"rapport": 2.5}, False),
    (">", 3, {"rapport": 3}, False), (">", 3, {"rapport": 4}, True),
    ("<=", 0, {"rapport": 0}, True), ("<=", 0, {"rapport": 1}, False),
    ("<", 1, {}, True), ("<", 1, {"rapport": 1}, False),
    ("==", 2, {"rapport": 2}, True), ("==", 2, {"rapport": -2}, False),
    ("<", 0, {"rapport": -1}, True), (">=", 1.5, {"rapport": 1.5}, True),
])
def test_branch_conditions(op, value, totals, holds):
    """Each operator compares the running points (a dimension not yet scored counts 0)."""
    assert Branch("rapport", op, value, "x").holds(totals) is holds


# --- validation ----------------------------------------------------------------------------------

BAD_BRANCHES = [
    ("if: rapport >= 3", "if: rapor >= 3",
     "node 'offer', choice 1, branch 1: condition 'rapor >= 3' names 'rapor', which is not a rubric dimension "
     "(rubric: rapport, discovery) (did you mean 'rapport'?)"),
    ("if: rapport >= 3", "if: rapport",
     "node 'offer', choice 1, branch 1: malformed condition 'rapport': write '<rubric dimension> <op> <number>', "
     "e.g. 'rapport >= 3' (op: >=, >, <=, <, ==)"),
    ("if: rapport >= 3", "if: rapport => 3",
     "node 'offer', choice 1, branch 1: condition 'rapport => 3': operator '=>' must be one of >=, >, <=, <, =="),
    ("if: rapport >= 3", "if: rapport = 3",
     "node 'offer', choice 1, branch 1: condition 'rapport = 3': operator '=' must be one of >=, >, <=, <, =="),
    ("if: rapport >= 3", "if: rapport >= three",
     "node 'offer', choice 1, branch 1: condition 'rapport >= three': 'three' is not a number"),
    ("if: rapport >= 3", "if: rapport >= 3\n            label: problem",
     "unknown key 'label' in node 'offer', choice 1, branch 1; allowed: if, next"),
]


@pytest.mark.parametrize("old, new, message", BAD_BRANCHES)
def test_bad_conditions_are_reported_with_file_and_line(tmp_path, old, new, message):
    """Unknown dimension, malformed condition, bad operator, non-numeric value, keys a choice branch lacks."""
    text = SCENARIO.replace(old, new, 1)
    path = write(tmp_path, text)
    needle = "label: problem" if "label" in new else new
    line = line_of(text, needle, after="  offer:")
    problems = problems_of(path)
    assert any(p.startswith(f"{path}:{line}: {message}") for p in problems), problems


def test_branch_target_and_keys_are_checked_with_lines(tmp_path):
    """A target naming no node, a misspelt key, a missing next and a bad label each name their line."""
    text = (SCENARIO.replace("next: trust\n", "next: trsut\n", 1)
            .replace("- if: discovery < 1\n            next: basics", "- if: discovery < 1\n            nxt: basics")
            .replace("label: implication", "label: implicaton"))
    path = write(tmp_path, text)
    problems = problems_of(path)
    assert f"{path}:{line_of(text, 'next: trsut')}: node 'offer', choice 1, branch 1: next 'trsut' names no node " \
           f"(did you mean 'trust'?)" in problems
    assert f"{path}:{line_of(text, 'nxt: basics')}: unknown key 'nxt' in node 'offer', choice 1, branch 2 " \
           f"(did you mean 'next'?); allowed: if, next" in problems
    assert f"{path}:{line_of(text, '- if: discovery < 1')}: node 'offer', choice 1, branch 2 needs 'next'" in problems
    assert f"{path}:{line_of(text, 'label: implicaton')}: node 'probe', free_text, branch 2: label 'implicaton' is " \
           f"not a SPIN label (situation, problem, implication, need_payoff, other) (did you mean 'implication'?)" \
           in problems
    # A missing next is reported once, by the reader, not again as a target naming no node.
    assert not any("next '' names no node" in p for p in problems), problems


def test_free_text_branch_problems_and_shape(tmp_path):
    """Free-text branches are checked the same way; a non-list ``branches`` says what the form is."""
    text = SCENARIO.replace("- if: rapport < 0", "- if: mood < 0")
    path = write(tmp_path, text)
    assert f"{path}:{line_of(text, 'if: mood < 0')}: node 'probe', free_text, branch 1: condition 'mood < 0' names " \
           f"'mood', which is not a rubric dimension (rubric: rapport, discovery)" in problems_of(path)
    text = SCENARIO.replace("        branches:\n          - if: rapport >= 3\n            next: trust\n"
                            "          - if: discovery < 1\n            next: basics\n",
                            "        branches: rapport >= 3\n")
    path = write(tmp_path, text)
    line = line_of(text, "branches: rapport >= 3")
    assert any(p.startswith(f"{path}:{line}: node 'offer', choice 1: branches must be a list of {{if: <condition>, "
                            f"next: <node>}}") for p in problems_of(path))


def test_cli_validate_prints_branch_problems(runner, tmp_path):
    """`flask scenario validate` prints branch problems as FILE:LINE: message and exits 1."""
    text = SCENARIO.replace("if: rapport >= 3", "if: rapport >= lots")
    path = write(tmp_path, text)
    result = runner.invoke(args=["scenario", "validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:{line_of(text, 'rapport >= lots')}: node 'offer', choice 1, branch 1: condition" in result.output


def test_reachability_counts_branch_targets(tmp_path):
    """A node reached only through a branch is reachable; a loop behind a branch is a dead end."""
    only_by_branch = SCENARIO.replace("    customer: I still have doubts.\n    choices:\n      - {text: Run a pilot "
                                      "first., next: won}", "    customer: I still have doubts.\n    choices:\n"
                                      "      - {text: Run a pilot first., next: won}\n  hidden:\n    customer: Hm.\n"
                                      "    choices:\n      - {text: Go on., next: won}")
    only_by_branch = only_by_branch.replace("- if: discovery < 1\n            next: basics",
                                            "- if: discovery < 1\n            next: hidden")
    # "basics" is now reached by nothing, "hidden" only by the branch.
    problems = problems_of(write(tmp_path, only_by_branch))
    assert any("node 'basics' is unreachable" in p for p in problems), problems
    assert not any("'hidden'" in p for p in problems), problems
    trap = SCENARIO.replace("      - {text: What worries you most, next: won}",
                            "      - {text: What worries you most, next: basics}")
    path = write(tmp_path, trap)
    assert f"{path}:{line_of(trap, '  basics:')}: node 'basics' has no way to any ending (every path from it loops " \
           f"or stops)" in problems_of(path)
    # A node whose only way to an ending is a branch is not a dead end.
    escape = SCENARIO.replace("      - {text: What worries you most, next: won}",
                              "      - text: What worries you most\n        next: basics\n        branches:\n"
                              "          - {if: rapport > 100, next: won}")
    assert load_scenario(write(tmp_path, escape)).nodes["basics"].targets() == ["basics", "won"]


def test_bundled_branch_scenario_loads():
    """The bundled trust scenario uses a choice branch and a labelled free-text branch."""
    path = Path(__file__).parent.parent / "scenarios" / f"{BUNDLED}.yaml"
    scenario = load_scenario(path)
    remedy = scenario.nodes["remedy"].choices[0]
    assert [b.condition for b in remedy.branches] == ["rapport >= 3", "discovery < 1"]
    assert scenario.nodes["impact"].free_text.branches[0].label == "implication"


# --- playing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("moves, path, outcome", [
    # rapport 2 before "offer", 3 with its point: the branch fires on this step's points.
    ([WARM, ("problem", "What went wrong?"), 0, 0], ["open", "probe", "offer", "trust", "won"], "won"),
    # An implication line with discovery >= 1 takes the labelled free-text branch.
    ([WARM, ("implication", "What did it cost you?"), 0, 0, 0],
     ["open", "probe", "opens_up", "offer", "trust", "won"], "won"),
    # rapport 1 at "offer", discovery 1: no branch holds, the fallback.
    ([COLD, ("problem", "What went wrong?"), 0, 0], ["open", "probe", "offer", "doubt", "won"], "won"),
    # rapport 1, discovery 0 (an unexpected label earns nothing): the second branch.
    ([COLD, ("situation", "How many stores?"), 0, 0], ["open", "probe", "offer", "basics", "won"], "won"),
    # rapport 3 and discovery 0: both hold, the first listed wins.
    ([WARM, ("situation", "How many stores?"), 0, 0], ["open", "probe", "offer", "trust", "won"], "won"),
    # A free-text branch without a label applies to any line, before the label routes.
    ([RUDE, ("implication", "What did it cost you?")], ["open", "probe", "lost"], "lost"),
])
def test_plays_follow_branches_by_running_score(synced, moves, path, outcome):
    """submit_step routes by the running raw points of the play, this step's included."""
    play = play_through(make_user(), SLUG, moves)
    db.session.expire_all()
    steps = db.session.scalars(sa.select(PlayStep).where(PlayStep.play_id == play.id).order_by(PlayStep.index)).all()
    assert [s.node for s in steps] + [steps[-1].next_node] == path
    assert play.is_finished and play.outcome == outcome


def test_running_score_counts_only_this_play(synced):
    """Points from another play of the same learner do not count towards a branch."""
    user = make_user()
    play_through(user, SLUG, [WARM, ("problem", "x"), 0, 0])
    play = play_through(user, SLUG, [COLD, ("problem", "x"), 0])
    assert play.current_node == "doubt"


def test_a_plain_step_reads_no_earlier_steps(synced, count_queries):
    """Only a node with branches reads the earlier steps' scores: one query more than a plain step."""
    play = plays.start_play(make_user(), SLUG)
    plays.submit_step(play, 0, choice=WARM)
    plays.submit_step(play, 1, text="x", classifier=FixedClassifier("problem"))
    with count_queries() as branch_step:
        plays.submit_step(play, 2, choice=0)  # offer: has branches
    with count_queries() as plain_step:
        plays.submit_step(play, 3, choice=0)  # trust → won: no branches (and the play ends)
    other = plays.start_play(make_user(), SLUG)
    with count_queries() as first_step:
        plays.submit_step(other, 0, choice=WARM)  # open: no branches
    reads_scores = [s for s in branch_step.statements
                    if s.split()[:4] == ["SELECT", "play_step.score", "FROM", "play_step"]]
    assert len(reads_scores) == 1
    for counter in (plain_step, first_step):
        assert not any(s.split()[:2] == ["SELECT", "play_step.score"] for s in counter.statements)
    assert branch_step.count == first_step.count + 1


def test_bundled_scenario_branches(app):
    """The bundled trust scenario: listening first rebuilds trust; skipping discovery goes back to basics."""
    path = Path(app.config["SCENARIOS_DIR"]) / f"{BUNDLED}.yaml"
    assert import_scenario_file(path)[0] == "created"
    user = make_user()
    listened = play_through(user, BUNDLED, [0, ("problem", "门店最大的问题是什么？"), 0])
    assert listened.current_node == "trust_rebuilt"
    opened_up = play_through(user, BUNDLED, [0, ("implication", "这对您有什么影响？"), 0, 0])
    assert opened_up.current_node == "trust_rebuilt"
    assert [s.node for s in opened_up.steps][:3] == ["opening", "impact", "boss_pressure"]
    defended = play_through(user, BUNDLED, [1, 0, ("situation", "你们有多少家店？"), 0])
    assert defended.current_node == "back_to_basics"
    discounted = play_through(user, BUNDLED, [2, 0, ("problem", "门店最大的问题是什么？"), 0])
    assert discounted.current_node == "still_doubtful"


# --- evaluate_answer -------------------------------------------------------------------------------


def test_running_totals_sums_objects_and_dicts():
    """running_totals adds raw points per dimension from step objects or dicts; empty scores count nothing."""
    steps = [PlayStep(score={"rapport": 2}), {"score": {"rapport": -1, "discovery": 1}}, {"score": None},
             PlayStep(score={})]
    assert plays.running_totals(steps) == {"rapport": 1, "discovery": 1}
    assert plays.running_totals([]) == {}


def test_evaluate_answer_is_pure_and_agrees_with_submit_step(synced, count_queries):
    """Before each saved step, evaluate_answer on the same totals predicts exactly what submit_step saves."""
    play = plays.start_play(make_user(), SLUG)
    scenario = plays.play_definition(play)
    moves = [(WARM, None, None), (None, "What went wrong?", "implication"), (0, None, None), (0, None, None),
             (0, None, None)]
    for index, (choice, text, label) in enumerate(moves):
        node = plays.current_node(play)
        totals = plays.running_totals(play.steps)
        classifier = FixedClassifier(label) if label else None
        with count_queries() as q:
            expected = plays.evaluate_answer(scenario, node, totals, choice=choice, text=text, classifier=classifier)
        assert q.count == 0
        step = plays.submit_step(play, index, choice=choice, text=text, classifier=classifier).step
        saved = {name: getattr(step, name) for name in (
            "kind", "choice_index", "text", "label", "confidence", "features", "technique", "score", "possible",
            "feedback", "next_node")}
        assert saved == {name: getattr(expected, name) for name in saved}
        db.session.refresh(play)
    assert [s.next_node for s in play.steps] == ["probe", "opens_up", "offer", "trust", "won"]
    assert play.is_finished


def test_evaluate_answer_reports_the_branch_and_refuses_like_submit_step(tmp_path):
    """The branch taken is named; bad answers raise ValidationError, an ending Conflict."""
    scenario = load_scenario(write(tmp_path, SCENARIO))
    offer = scenario.nodes["offer"]
    taken = plays.evaluate_answer(scenario, offer, {"rapport": 2, "discovery": 1}, choice=0)
    assert taken.next_node == "trust" and taken.branch.condition == "rapport >= 3" and taken.score == {"rapport": 1}
    fallback = plays.evaluate_answer(scenario, offer, {"rapport": 1, "discovery": 1}, choice=0)
    assert fallback.next_node == "doubt" and fallback.branch is None
    typed = plays.evaluate_answer(scenario, scenario.nodes["probe"], {"rapport": 2}, text="  Why?  ",
                                  classifier=FixedClassifier("situation"))
    assert (typed.kind, typed.text, typed.label, typed.score, typed.next_node) == (
        "free_text", "Why?", "situation", {}, "offer")
    assert typed.possible == {"discovery": 1} and typed.technique == "spin.situation"
    with pytest.raises(ValidationError):
        plays.evaluate_answer(scenario, offer, {}, choice=5)
    with pytest.raises(ValidationError):
        plays.evaluate_answer(scenario, offer, {})
    with pytest.raises(ValidationError):
        plays.evaluate_answer(scenario, scenario.nodes["probe"], {}, text="   ", classifier=FixedClassifier("problem"))
    with pytest.raises(ValidationError):
        plays.evaluate_answer(scenario, scenario.nodes["probe"], {}, text="x" * (plays.MAX_TEXT + 1),
                              classifier=FixedClassifier("problem"))
    with pytest.raises(Conflict):
        plays.evaluate_answer(scenario, scenario.nodes["won"], {}, choice=0)


# --- sync and browser edits ----------------------------------------------------------------------------


def test_sync_keeps_a_scenario_edited_in_the_browser(app, tmp_path, runner):
    """Sync leaves a browser-edited scenario and says so; an explicit import still adds a version."""
    folder = tmp_path / "scenarios"
    path = write(folder, SCENARIO)
    sync_scenarios(folder)
    row = db.session.scalar(sa.select(Scenario).where(Scenario.slug == SLUG))
    edited = utcnow()
    row.edited_at, row.draft = edited, {"id": SLUG, "title": "working copy"}
    db.session.commit()
    write(folder, SCENARIO.replace("Why should I trust you again?", "Why trust you at all?"))
    notes = []
    summary = sync_scenarios(folder, report=notes.append)
    assert summary["kept"] == 1 and summary["updated"] == 0 and summary["unchanged"] == 0
    assert notes == [f"{SLUG}: kept: edited in the browser ({path} not loaded)"]
    db.session.expire_all()
    row = db.session.scalar(sa.select(Scenario).where(Scenario.slug == SLUG))
    assert row.current_version == 1 and len(row.versions) == 1
    assert "Why should I trust you again?" in plays.current_node(plays.start_play(make_user(), SLUG)).customer
    result = runner.invoke(args=["scenario", "sync", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    assert f"{SLUG}: kept: edited in the browser" in result.output and "kept 1" in result.output
    imported = runner.invoke(args=["scenario", "import", str(path)])
    assert imported.exit_code == 0 and f"{SLUG}: updated" in imported.output
    db.session.expire_all()
    row = db.session.scalar(sa.select(Scenario).where(Scenario.slug == SLUG))
    assert row.current_version == 2 and row.versions[-1].source_path == str(path)
    assert row.edited_at == edited and row.draft == {"id": SLUG, "title": "working copy"}
    assert sync_scenarios(folder)["kept"] == 1
