"""Playing scenarios through the services: versions, saved steps, idempotence, scoring, results."""

import shutil

import pytest
import sqlalchemy as sa

from app import signals
from app.extensions import db
from app.models.roleplay import Objection, Play, PlayStep, Scenario, ScenarioBehaviour, ScenarioVersion
from app.services import objections as objection_service
from app.services import plays
from app.services.errors import Conflict, ImportProblems, ValidationError
from app.services.scenario_sync import check_scenarios, sync_scenarios
from tests.factories import make_user
from tests.factories_roleplay import BAD, BUDGET, SCENARIOS, SPIN_EN, TWINE, play_through, sync_fixture_scenarios

WIN = [0, ("implication", "这会带来什么影响？"), 0]
LOSE = [1, 0]
MEET = [0, ("situation", "你们有多少家店？"), 0]


@pytest.fixture
def synced(app):
    """The fixture scenarios and objection library in the database."""
    return sync_fixture_scenarios()


def test_sync_loads_everything_once(app, synced):
    """Sync creates scenarios, versions, behaviour links and objections; a second run changes nothing."""
    assert synced["created"] == 3 and synced["objections_created"] == 2
    assert db.session.scalar(sa.select(sa.func.count(ScenarioVersion.id))) == 3
    twine = db.session.scalar(sa.select(Scenario).where(Scenario.slug == TWINE))
    assert twine.tier == "core" and twine.versions[0].source_format == "twee"
    assert set(db.session.scalars(sa.select(ScenarioBehaviour.behaviour))) >= {"objection_handling", "needs_discovery"}
    again = sync_scenarios(SCENARIOS)
    assert again["unchanged"] == 3 and again["created"] == again["updated"] == 0
    assert again["objections_unchanged"] == 2


def test_changed_file_makes_a_new_version_and_plays_keep_theirs(app, tmp_path):
    """A play started on v1 continues on v1 after v2 arrives; new plays use v2."""
    folder = tmp_path / "scenarios"
    shutil.copytree(SCENARIOS, folder)
    sync_scenarios(folder)
    user = make_user()
    old = plays.start_play(user, BUDGET)
    path = folder / "budget-objection-smb.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("主要是门店扩张", "主要是开新店"), encoding="utf-8")
    assert sync_scenarios(folder)["updated"] == 1
    scenario = plays.get_scenario(BUDGET)
    assert scenario.current_version == 2
    plays.submit_step(old, 0, choice=0)
    assert old.version.number == 1 and old.steps[0].next_node == "probe"
    assert "门店扩张" in plays.current_node(old).customer
    fresh = plays.start_play(make_user(), BUDGET)
    assert fresh.version.number == 2


def test_sync_is_all_or_nothing(app, tmp_path):
    """One bad file in the folder: ImportProblems with FILE:LINE, and nothing is written."""
    folder = tmp_path / "scenarios"
    shutil.copytree(SCENARIOS, folder)
    shutil.copy(BAD / "broken.yaml", folder / "broken.yaml")
    with pytest.raises(ImportProblems) as info:
        sync_scenarios(folder)
    assert any(p.startswith(f"{folder / 'broken.yaml'}:8:") for p in info.value.problems)
    assert db.session.scalar(sa.select(sa.func.count(Scenario.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Objection.id))) == 0
    assert check_scenarios(folder) == info.value.problems
    assert check_scenarios(SCENARIOS) == []


def test_bundled_scenarios_check_clean(app):
    """Whatever is in scenarios/ right now validates (the content writer's files)."""
    assert check_scenarios(app.config["SCENARIOS_DIR"]) == []


def test_trainer_edits_survive_sync(app, synced, tmp_path):
    """An objection edited in the browser is not overwritten by a later sync of a changed file."""
    trainer = make_user("trainer")
    row = objection_service.get_objection("budget")
    objection_service.update_objection(row, trainer, "budget", zh_objection="改过的异议", zh_causes="原因一\n\n原因二",
                                       zh_answers="回答", en_objection="", en_causes="", en_answers="")
    folder = tmp_path / "scenarios"
    shutil.copytree(SCENARIOS, folder)
    objections = folder / "objections.yaml"
    objections.write_text(objections.read_text(encoding="utf-8").replace("预算不够", "没有预算"), encoding="utf-8")
    sync_scenarios(folder)
    row = objection_service.get_objection("budget")
    assert row.zh_objection == "改过的异议" and row.zh_causes == ["原因一", "原因二"]
    assert row.edited_by_id == trainer.id


def test_start_resume_and_restart(app, synced):
    """Starting twice resumes the unfinished play; restart abandons it and starts afresh."""
    user = make_user()
    first = plays.start_play(user, BUDGET)
    assert plays.start_play(user, BUDGET).id == first.id
    plays.submit_step(first, 0, choice=0)
    restarted = plays.start_play(user, BUDGET, restart=True)
    assert restarted.id != first.id and restarted.step_count == 0 and restarted.current_node == "opening"
    assert db.session.get(Play, first.id).status == "abandoned"


def test_every_step_is_saved_and_a_repeat_does_not_advance(app, synced):
    """Each submit commits a step; submitting the same step index again returns the saved one."""
    user = make_user()
    play = plays.start_play(user, BUDGET)
    first = plays.submit_step(play, 0, choice=0)
    db.session.expire_all()  # read back from the database, as a new request would
    repeat = plays.submit_step(db.session.get(Play, play.id), 0, choice=1)
    assert repeat.duplicate and repeat.step.id == first.step.id and repeat.step.choice_index == 0
    play = db.session.get(Play, play.id)
    assert play.step_count == 1 and play.current_node == "probe"
    assert db.session.scalar(sa.select(sa.func.count(PlayStep.id))) == 1
    with pytest.raises(Conflict):
        plays.submit_step(play, 5, choice=0)


def test_a_step_stamps_only_its_learners_cached_pages(app, synced):
    """A step is two plain statements; they name the learner, so only that learner's cached pages change."""
    from app import view_cache

    learner, other = make_user(), make_user()
    play = plays.start_play(learner, BUDGET)
    db.session.commit()
    site, before = view_cache.read_stamps([learner.id, other.id])
    outcome = plays.submit_step(play, 0, choice=0)
    site_after, after = view_cache.read_stamps([learner.id, other.id])
    assert after == {learner.id: before[learner.id] + 1, other.id: before[other.id]} and site_after == site
    saved = db.session.get(PlayStep, outcome.step.id)
    assert (saved.play_id, saved.index, saved.choice_index, saved.next_node) == (play.id, 0, 0, "probe")
    assert saved.score == outcome.step.score and saved.created_at == db.session.get(Play, play.id).updated_at


def test_bad_answers_are_refused(app, synced):
    """A choice out of range or an empty typed line is a ValidationError and saves nothing."""
    play = plays.start_play(make_user(), BUDGET)
    with pytest.raises(ValidationError):
        plays.submit_step(play, 0, choice=7)
    plays.submit_step(play, 0, choice=0)
    with pytest.raises(ValidationError):
        plays.submit_step(play, 1, text="   ")
    assert play.step_count == 1


@pytest.mark.parametrize("moves, outcome, score, scores", [
    (WIN, "won", 1.0, {"rapport": 1.0, "discovery": 1.0, "objection_handling": 1.0, "closing": 1.0}),
    (LOSE, "lost", 0.0, {"rapport": 0.0, "objection_handling": 0.0}),
    (MEET, "next_meeting", 0.75, {"rapport": 1.0, "discovery": 0.0, "objection_handling": 1.0, "closing": 1.0}),
])
def test_scores_per_dimension(app, synced, moves, outcome, score, scores):
    """A dimension scores earned / offered along the path; the play the mean of the offered ones."""
    play = play_through(make_user(), BUDGET, moves)
    assert play.is_finished and play.outcome == outcome
    assert play.score == pytest.approx(score) and play.scores == pytest.approx(scores)
    with pytest.raises(Conflict):
        plays.submit_step(play, play.step_count, choice=0)


def test_signals_are_sent_after_each_step_and_at_the_end(app, synced):
    """play_step_saved for every step, play_finished once with outcome and score."""
    saved, finished = [], []

    def on_saved(sender, **kw):
        saved.append(kw)

    def on_finished(sender, **kw):
        finished.append(kw)

    signals.play_step_saved.connect(on_saved)
    signals.play_finished.connect(on_finished)
    try:
        user = make_user()
        play = play_through(user, BUDGET, WIN)
    finally:
        signals.play_step_saved.disconnect(on_saved)
        signals.play_finished.disconnect(on_finished)
    assert len(saved) == 3 and saved[0] == {"user_id": user.id, "play_id": play.id, "scenario_slug": BUDGET}
    assert finished == [{"user_id": user.id, "play_id": play.id, "scenario_slug": BUDGET, "outcome": "won",
                         "score": 1.0}]


def test_best_scores_and_play_results_in_constant_queries(app, synced, count_queries):
    """best_scores / play_results read any number of learners in one query each."""
    users = [make_user() for _ in range(4)]
    for user in users:
        play_through(user, BUDGET, LOSE)
        play_through(user, BUDGET, WIN)
        play_through(user, TWINE, [1, 0])
    plays.start_play(users[0], SPIN_EN)  # unfinished: not counted
    ids = [u.id for u in users]
    with count_queries() as one:
        plays.best_scores(ids[:1])
    with count_queries() as many:
        best = plays.best_scores(ids)
    assert one.count == many.count == 1
    assert best[(ids[1], BUDGET)] == 1.0 and (ids[0], SPIN_EN) not in best
    with count_queries() as q:
        results = plays.play_results(ids, [BUDGET])
    assert q.count == 1 and len(results) == 8
    assert {r["outcome"] for r in results} == {"won", "lost"} and results[0]["version"] == 1
    assert plays.play_dimension_scores(results[-1]["play_id"]) == results[-1]["scores"]


def test_report_shows_spin_mix_objections_history_and_practice(app, synced):
    """The end page's data: path, per-dimension scores, SPIN mix, linked objections, first-to-best."""
    user = make_user()
    play_through(user, BUDGET, MEET)
    best = play_through(user, BUDGET, WIN)
    report = plays.build_report(best)
    assert report.path == ["opening", "probe", "deepen", "won"]
    assert report.spin_mix["implication"] == 1 and sum(report.spin_mix.values()) == 1
    assert [o.key for o in report.objections] == ["budget"]
    assert report.first_score == pytest.approx(0.75) and report.best_score == 1.0 and len(report.history) == 2
    weak = plays.build_report(play_through(user, BUDGET, LOSE))
    assert weak.weak == ["rapport", "objection_handling"] or set(weak.weak) == {"rapport", "objection_handling"}
    assert TWINE in [s.slug for s in weak.practise_scenarios]
    assert [d for d, _ in weak.dimensions] == ["rapport", "discovery", "objection_handling", "closing"]


def test_a_concurrent_double_submit_keeps_one_step(app, synced):
    """When another request saved the same step first, the unique index wins and its step is shown."""
    from app.models.types import utcnow

    play = plays.start_play(make_user(), BUDGET)
    assert play.step_count == 0  # this request read the play before the other one wrote
    with db.engine.begin() as conn:  # the other request, in its own transaction
        conn.execute(PlayStep.__table__.insert().values(
            play_id=play.id, index=0, node="opening", customer="", kind="choice", choice_index=1, text="x",
            technique="", score={}, possible={}, feedback="", next_node="price_war", features=[], created_at=utcnow()))
        conn.execute(Play.__table__.update().where(Play.__table__.c.id == play.id)
                     .values(step_count=1, current_node="price_war"))
    outcome = plays.submit_step(play, 0, choice=0)
    assert outcome.duplicate and outcome.step.choice_index == 1
    assert db.session.scalar(sa.select(sa.func.count(PlayStep.id))) == 1
    assert db.session.get(Play, play.id).current_node == "price_war"


def test_scenarios_for_behaviours(app, synced):
    """Deal and mentor areas find the scenarios that train a behaviour."""
    slugs = [s.slug for s in plays.scenarios_for_behaviours(["objection_handling"])]
    assert slugs == sorted(slugs, key=lambda s: plays.get_scenario(s).title) and set(slugs) == {BUDGET, TWINE}
    assert plays.scenarios_for_behaviours(["coaching"]) == []
