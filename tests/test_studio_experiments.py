"""Script A/B tests: splitting learners, what they see, the statistics, stopping, and the studio pages."""

import re

import pytest
import sqlalchemy as sa
from scipy import stats

from app.extensions import db
from app.ml import spin
from app.models.experiments import ExperimentAssignment
from app.models.roleplay import Play, Scenario
from app.models.types import utcnow
from app.services import experiments
from tests.factories import make_team, make_user
from tests.factories_roleplay import BUDGET, SPIN_EN, sync_fixture_scenarios, use_small_corpus
from tests.factories_studio import make_experiment, plant_play, published_copy

VARIANT_B = "budget-objection-smb-b"


@pytest.fixture(autouse=True)
def scenarios(app):
    """Fixture scenarios in the database, plus a published copy of the budget scenario as variant B."""
    use_small_corpus(app)
    spin.forget_loaded()
    sync_fixture_scenarios()
    published_copy(BUDGET, VARIANT_B)
    yield
    spin.forget_loaded()


def scenario(slug: str) -> Scenario:
    return db.session.scalar(sa.select(Scenario).where(Scenario.slug == slug))


def variant_of(user, experiment) -> str:
    """Return "a" or "b": the variant the learner is sent to (the other one redirects to it)."""
    redirects = experiments.variant_redirects(user)
    a, b = experiment.variant_a.slug, experiment.variant_b.slug
    assert redirects.get(a) == b or redirects.get(b) == a
    return "b" if redirects.get(a) == b else "a"


# --- splitting ------------------------------------------------------------------------


def test_random_split_is_stable_and_roughly_balanced():
    """Each learner gets one stored variant that never changes; 200 learners split close to half and half."""
    trainer = make_user("trainer")
    experiment = make_experiment(trainer, scenario(BUDGET), scenario(VARIANT_B))
    learners = [make_user() for _ in range(200)]
    first = {u.id: variant_of(u, experiment) for u in learners}
    again = {u.id: variant_of(u, experiment) for u in learners}
    assert first == again
    stored = dict(db.session.execute(sa.select(ExperimentAssignment.user_id, ExperimentAssignment.variant)).all())
    assert stored == first
    share_a = sum(v == "a" for v in first.values()) / len(first)
    assert 0.35 < share_a < 0.65  # a 200-draw binomial leaves this band with probability ~2e-5


def move(user, team) -> None:
    """Put a learner in another team (None: in no team)."""
    user.team = team
    db.session.commit()


def stored_variants(experiment) -> dict[int, str]:
    """Return {user id: stored variant} of a test."""
    return dict(db.session.execute(sa.select(ExperimentAssignment.user_id, ExperimentAssignment.variant).where(
        ExperimentAssignment.experiment_id == experiment.id)).all())


def test_team_split_stores_the_team_at_first_contact():
    """Team A sees A, team B sees B, anyone else sees A; the first contact's team is stored and a move keeps it."""
    trainer = make_user("trainer")
    north, south, other = make_team("North"), make_team("South"), make_team("Other")
    experiment = make_experiment(trainer, scenario(BUDGET), scenario(VARIANT_B), "team", [north], [south])
    n, s, o, none = make_user(team=north), make_user(team=south), make_user(team=other), make_user()
    assert [variant_of(u, experiment) for u in (n, s, o, none)] == ["a", "b", "a", "a"]
    assert stored_variants(experiment) == {n.id: "a", s.id: "b"}  # learners in neither team are not stored
    move(n, south)
    move(s, None)
    assert variant_of(n, experiment) == "a" and variant_of(s, experiment) == "b"
    move(none, south)  # never stored: their first contact inside a team is now
    assert variant_of(none, experiment) == "b"
    assert stored_variants(experiment) == {n.id: "a", s.id: "b", none.id: "b"}
    experiments.stop_experiment(experiment)
    assert experiments.variant_redirects(n) == {}


def test_staff_are_not_split():
    """Trainers, admins and mentors see both variants."""
    make_experiment(make_user("trainer"), scenario(BUDGET), scenario(VARIANT_B))
    for role in ("trainer", "admin", "mentor"):
        assert experiments.variant_redirects(make_user(role)) == {}


def test_concurrent_first_contact_makes_one_row(monkeypatch):
    """When another request stored the learner's variant between our look-up and our insert, we use theirs."""
    experiment = make_experiment(make_user("trainer"), scenario(BUDGET), scenario(VARIANT_B))
    learner = make_user()
    drawn = experiments._draw(experiment, learner.id)
    theirs = "b" if drawn == "a" else "a"
    # The other request's row, committed while this one was between its look-up and its insert.
    db.session.add(ExperimentAssignment(experiment_id=experiment.id, user_id=learner.id, variant=theirs))
    db.session.commit()
    real_find = experiments.find_assignment
    calls = []

    def find_late(experiment_id, user_id):
        calls.append(1)
        return None if len(calls) == 1 else real_find(experiment_id, user_id)

    monkeypatch.setattr(experiments, "find_assignment", find_late)
    assert experiments.assign(experiment, learner) == theirs
    assert len(calls) == 2
    rows = db.session.scalars(sa.select(ExperimentAssignment).where(ExperimentAssignment.user_id == learner.id)).all()
    assert [r.variant for r in rows] == [theirs]
    monkeypatch.undo()
    assert variant_of(learner, experiment) == theirs


def test_concurrent_first_contact_with_a_team_split_makes_one_row(monkeypatch):
    """Another request stores the learner's team variant between our look-up and our insert: one row, theirs.

    Theirs is B: the learner was in team B when that request read their team and
    was moved to team A before ours did.
    """
    north, south = make_team("North"), make_team("South")
    experiment = make_experiment(make_user("trainer"), scenario(BUDGET), scenario(VARIANT_B), "team", [north],
                                 [south])
    learner = make_user(team=north)
    real_find = experiments.find_assignment
    calls = []

    def find_late(experiment_id, user_id):
        calls.append(1)
        if len(calls) == 1:
            with db.engine.begin() as other_request:
                other_request.execute(sa.insert(ExperimentAssignment).values(
                    experiment_id=experiment_id, user_id=user_id, variant="b", assigned_at=utcnow()))
            return None
        return real_find(experiment_id, user_id)

    monkeypatch.setattr(experiments, "find_assignment", find_late)
    assert variant_of(learner, experiment) == "b"
    assert len(calls) == 2
    monkeypatch.undo()
    assert stored_variants(experiment) == {learner.id: "b"}
    assert variant_of(learner, experiment) == "b"


def test_a_scenario_takes_part_in_one_running_test():
    """A second running test with the same scenario is refused; after a stop it is allowed."""
    trainer = make_user("trainer")
    first = make_experiment(trainer, scenario(BUDGET), scenario(VARIANT_B))
    with pytest.raises(experiments.ValidationError):
        make_experiment(trainer, scenario(SPIN_EN), scenario(VARIANT_B))
    experiments.stop_experiment(first)
    assert make_experiment(trainer, scenario(SPIN_EN), scenario(VARIANT_B)).is_running


# --- what learners see over HTTP --------------------------------------------------------------


def test_learner_sees_and_starts_only_their_variant_while_it_runs(client, login_as):
    """The list hides the other variant; its page and its start button lead to the learner's own."""
    north, south = make_team("North"), make_team("South")
    experiment = make_experiment(make_user("trainer"), scenario(BUDGET), scenario(VARIANT_B), "team", [north],
                                 [south])
    learner = login_as("learner", team=south)
    listing = client.get("/roleplay/").get_data(as_text=True)
    assert f'/roleplay/s/{VARIANT_B}"' in listing and f'/roleplay/s/{BUDGET}"' not in listing
    response = client.get(f"/roleplay/s/{BUDGET}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/roleplay/s/{VARIANT_B}")
    assert client.get(f"/roleplay/s/{VARIANT_B}").status_code == 200
    response = client.post(f"/roleplay/s/{BUDGET}/play")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/roleplay/s/{VARIANT_B}")
    assert db.session.scalar(sa.select(sa.func.count(Play.id)).where(Play.user_id == learner.id)) == 0
    response = client.post(f"/roleplay/s/{VARIANT_B}/play")
    assert re.search(r"/roleplay/play/\d+$", response.headers["Location"])

    experiments.stop_experiment(experiment)
    listing = client.get("/roleplay/").get_data(as_text=True)
    assert f'/roleplay/s/{VARIANT_B}"' in listing and f'/roleplay/s/{BUDGET}"' in listing
    assert client.get(f"/roleplay/s/{BUDGET}").status_code == 200
    assert re.search(r"/roleplay/play/\d+$", client.post(f"/roleplay/s/{BUDGET}/play").headers["Location"])


def test_learner_in_no_team_sees_variant_a(client, login_as):
    """Learners outside both teams see only variant A."""
    make_experiment(make_user("trainer"), scenario(BUDGET), scenario(VARIANT_B), "team", [make_team()],
                    [make_team()])
    login_as("learner")
    listing = client.get("/roleplay/").get_data(as_text=True)
    assert f'/roleplay/s/{BUDGET}"' in listing and f'/roleplay/s/{VARIANT_B}"' not in listing
    assert client.get(f"/roleplay/s/{VARIANT_B}").headers["Location"].endswith(f"/roleplay/s/{BUDGET}")


def test_learner_who_changes_team_keeps_their_variant_over_http(client, login_as):
    """A learner on team A's side sees A, moves to team B's side, and still sees and can start only A."""
    north, south = make_team("North"), make_team("South")
    make_experiment(make_user("trainer"), scenario(BUDGET), scenario(VARIANT_B), "team", [north], [south])
    learner = login_as("learner", team=north)
    listing = client.get("/roleplay/").get_data(as_text=True)
    assert f'/roleplay/s/{BUDGET}"' in listing and f'/roleplay/s/{VARIANT_B}"' not in listing
    move(learner, south)
    listing = client.get("/roleplay/").get_data(as_text=True)
    assert f'/roleplay/s/{BUDGET}"' in listing and f'/roleplay/s/{VARIANT_B}"' not in listing
    response = client.get(f"/roleplay/s/{VARIANT_B}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/roleplay/s/{BUDGET}")
    response = client.post(f"/roleplay/s/{VARIANT_B}/play")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/roleplay/s/{BUDGET}")
    assert db.session.scalar(sa.select(sa.func.count(Play.id)).where(Play.user_id == learner.id)) == 0
    response = client.post(f"/roleplay/s/{BUDGET}/play")
    assert re.search(r"/roleplay/play/\d+$", response.headers["Location"])
    plays = db.session.scalars(sa.select(Play).where(Play.user_id == learner.id)).all()
    assert [p.scenario.slug for p in plays] == [BUDGET]


def test_random_split_is_assigned_at_first_contact_over_http(client, login_as):
    """The scenario list stores the learner's variant; later pages agree with it."""
    experiment = make_experiment(make_user("trainer"), scenario(BUDGET), scenario(VARIANT_B))
    learner = login_as("learner")
    client.get("/roleplay/")
    row = experiments.find_assignment(experiment.id, learner.id)
    assert row is not None
    own, other = (BUDGET, VARIANT_B) if row.variant == "a" else (VARIANT_B, BUDGET)
    assert client.get(f"/roleplay/s/{other}").headers["Location"].endswith(f"/roleplay/s/{own}")
    assert client.get(f"/roleplay/s/{own}").status_code == 200


# --- statistics ------------------------------------------------------------------------------


def test_two_proportion_z_test_matches_scipy():
    """60/100 won against 40/100: the z-test p-value equals scipy's chi-square test without correction."""
    result = experiments.two_proportion_test(60, 100, 40, 100)
    chi2, p, _, _ = stats.chi2_contingency([[60, 40], [40, 60]], correction=False)
    assert result.test == "z"
    assert result.p_value == pytest.approx(p, rel=1e-9)
    assert result.statistic == pytest.approx(chi2 ** 0.5)
    assert result.p_value == pytest.approx(0.004678, abs=1e-6)
    assert result.leader == "a" and result.significant
    level = experiments.two_proportion_test(50, 100, 48, 100)
    assert level.leader == "a" and not level.significant


def test_small_counts_use_fishers_exact_test():
    """An expected cell under five switches to Fisher's exact test (scipy's p-value)."""
    result = experiments.two_proportion_test(1, 6, 5, 6)
    assert result.test == "fisher"
    assert result.p_value == pytest.approx(stats.fisher_exact([[1, 5], [5, 1]])[1])
    assert result.leader == "b"
    assert experiments.two_proportion_test(0, 0, 3, 4).p_value is None


def test_welch_t_test_and_interval_match_scipy():
    """Mean scores are compared with Welch's t-test; the interval is t-based."""
    a = [0.9, 0.8, 0.85, 0.7, 0.95, 0.75]
    b = [0.5, 0.6, 0.4, 0.65, 0.55]
    result = experiments.welch_test(a, b)
    expected = stats.ttest_ind(a, b, equal_var=False)
    assert result.test == "welch" and result.p_value == pytest.approx(expected.pvalue)
    assert result.leader == "a" and result.significant
    low, high = experiments.mean_interval(a)
    scipy_low, scipy_high = stats.t.interval(0.95, len(a) - 1, loc=sum(a) / len(a), scale=stats.sem(a))
    assert (low, high) == pytest.approx((scipy_low, min(1.0, scipy_high)))
    assert experiments.welch_test([0.5], [0.4, 0.6]).p_value is None
    assert experiments.welch_test([0.5, 0.5], [0.5, 0.5]).p_value is None


def test_results_from_planted_plays():
    """Per variant: learners, plays, first finished play's outcome and score; 60/100 vs 40/100 is significant."""
    trainer = make_user("trainer")
    north, south = make_team("North"), make_team("South")
    a_scenario, b_scenario = scenario(BUDGET), scenario(VARIANT_B)
    experiment = make_experiment(trainer, a_scenario, b_scenario, "team", [north], [south])
    for i in range(100):
        learner = make_user(team=north)
        plant_play(learner, a_scenario, "won" if i < 60 else "lost", 0.8 if i < 60 else 0.4)
    for i in range(100):
        learner = make_user(team=south)
        plant_play(learner, b_scenario, "won" if i < 40 else "lost", 0.8 if i < 40 else 0.4)
        if i == 0:
            plant_play(learner, b_scenario, "won", 1.0)     # a second play: counted as a play, not in the test
            plant_play(learner, b_scenario, None, None)     # unfinished
            plant_play(learner, a_scenario, "lost", 0.0)    # the other variant: not counted
    results = experiments.experiment_results(experiment)
    assert (results.a.assigned, results.a.learners, results.a.plays, results.a.finished) == (100, 100, 100, 100)
    assert (results.b.assigned, results.b.learners, results.b.plays, results.b.finished) == (100, 100, 102, 101)
    assert results.a.won_rate == pytest.approx(0.6) and results.b.won_rate == pytest.approx(0.4)
    assert results.a.completion_rate == 1.0
    assert results.b.mean_score == pytest.approx(0.4 * 0.8 + 0.6 * 0.4)
    assert results.won.test == "z" and results.won.p_value == pytest.approx(
        stats.chi2_contingency([[60, 40], [40, 60]], correction=False)[1])
    assert results.won.leader == "a" and results.won.significant
    assert results.score.leader == "a" and results.score.significant
    assert not results.too_small


def test_results_count_a_team_changer_under_their_first_variant():
    """A learner stored on A who moves to team B's side counts under A, with their plays of A."""
    north, south = make_team("North"), make_team("South")
    a_scenario, b_scenario = scenario(BUDGET), scenario(VARIANT_B)
    experiment = make_experiment(make_user("trainer"), a_scenario, b_scenario, "team", [north], [south])
    mover, stayer = make_user(team=north), make_user(team=south)
    for learner in (mover, stayer):
        variant_of(learner, experiment)
    plant_play(mover, a_scenario, "won", 0.9)
    move(mover, south)
    plant_play(mover, a_scenario, "lost", 0.2)  # a second play of A after the move: a play, not the first
    plant_play(stayer, b_scenario, "lost", 0.3)
    results = experiments.experiment_results(experiment)
    assert (results.a.assigned, results.a.learners, results.a.plays, results.a.finished) == (1, 1, 2, 2)
    assert (results.a.won, results.a.scores) == (1, [0.9])
    assert (results.b.assigned, results.b.learners, results.b.plays) == (1, 1, 1)
    assert (results.b.won, results.b.scores) == (0, [0.3])


def test_results_fall_back_to_the_current_team_without_a_stored_variant():
    """Learners without a stored row (a test started before rows were stored) count under their current team.

    Beside them, a stored learner who changed team counts under the stored
    variant, even once in no team; unstored learners outside the teams, and
    staff in the teams, are not counted.
    """
    north, south = make_team("North"), make_team("South")
    a_scenario, b_scenario = scenario(BUDGET), scenario(VARIANT_B)
    experiment = make_experiment(make_user("trainer"), a_scenario, b_scenario, "team", [north], [south])
    stored = make_user(team=north)
    variant_of(stored, experiment)
    old_north, old_moved, left = make_user(team=north), make_user(team=north), make_user(team=south)
    trainer_in_north = make_user("trainer", team=north)
    plant_play(stored, a_scenario, "won", 1.0)
    plant_play(old_north, a_scenario, "lost", 0.4)
    plant_play(old_moved, a_scenario, "won", 0.8)  # not counted: they are in team South now
    plant_play(left, b_scenario, "won", 0.7)  # not counted: they left every team
    plant_play(trainer_in_north, a_scenario, "won", 1.0)
    move(old_moved, south)
    plant_play(old_moved, b_scenario, "won", 0.6)
    move(left, None)
    move(stored, None)
    assert stored_variants(experiment) == {stored.id: "a"}
    results = experiments.experiment_results(experiment)
    assert (results.a.assigned, results.a.learners, results.a.plays) == (2, 2, 2)
    assert sorted(results.a.scores) == [0.4, 1.0] and results.a.won == 1
    assert (results.b.assigned, results.b.learners, results.b.plays) == (1, 1, 1)
    assert results.b.scores == [0.6] and results.b.won == 1


def test_small_samples_produce_the_warning(client, login_as):
    """With few finished learners the page warns that the samples are too small."""
    north, south = make_team("North"), make_team("South")
    experiment = make_experiment(make_user("trainer"), scenario(BUDGET), scenario(VARIANT_B), "team", [north],
                                 [south])
    for outcome in ("won", "won", "lost"):
        plant_play(make_user(team=north), scenario(BUDGET), outcome, 0.7)
        plant_play(make_user(team=south), scenario(VARIANT_B), "lost", 0.3)
    results = experiments.experiment_results(experiment)
    assert results.too_small and results.won.test == "fisher"
    login_as("trainer")
    page = client.get(f"/studio/experiments/{experiment.id}").get_data(as_text=True)
    assert 'data-testid="small-sample-warning"' in page
    assert 'data-testid="verdict-won" data-leader="a" data-significant="no"' in page
    assert 'id="experiment-results-data"' in page


def test_plays_before_the_test_do_not_count():
    """Only plays started while the test ran count."""
    from datetime import timedelta

    north, south = make_team("North"), make_team("South")
    experiment = make_experiment(make_user("trainer"), scenario(BUDGET), scenario(VARIANT_B), "team", [north],
                                 [south])
    learner = make_user(team=north)
    plant_play(learner, scenario(BUDGET), "won", 1.0, started=experiment.started_at - timedelta(days=1))
    assert experiments.experiment_results(experiment).a.plays == 0


# --- the studio pages ---------------------------------------------------------------------------


def test_create_stop_and_keep_results(client, login_as):
    """A trainer starts a test with the form, sees it listed, stops it; the results page stays."""
    login_as("trainer")
    a, b = scenario(BUDGET), scenario(VARIANT_B)
    assert client.get("/studio/experiments/new").status_code == 200
    response = client.post("/studio/experiments/new", data={
        "name": "Instalments first", "variant_a": a.id, "variant_b": b.id, "split": "random"})
    assert response.status_code == 302
    experiment_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert "Instalments first" in client.get("/studio/experiments").get_data(as_text=True)
    assert client.get(f"/studio/experiments/{experiment_id}").status_code == 200
    response = client.post(f"/studio/experiments/{experiment_id}/stop")
    assert response.status_code == 302
    assert experiments.get_experiment(experiment_id).status == "stopped"
    page = client.get(f"/studio/experiments/{experiment_id}").get_data(as_text=True)
    assert 'data-testid="status"' in page and 'data-testid="stop-form"' not in page
    assert client.post(f"/studio/experiments/{experiment_id}/stop").status_code == 302  # already stopped: a note


def test_form_errors(client, login_as):
    """The same scenario twice, an unpublished scenario, or a team split without teams are refused."""
    login_as("trainer")
    a, b = scenario(BUDGET), scenario(VARIANT_B)
    same = client.post("/studio/experiments/new", data={"name": "x", "variant_a": a.id, "variant_b": a.id,
                                                        "split": "random"})
    assert same.status_code == 200 and "is-invalid" in same.get_data(as_text=True)
    no_teams = client.post("/studio/experiments/new", data={"name": "x", "variant_a": a.id, "variant_b": b.id,
                                                            "split": "team"})
    assert no_teams.status_code == 200 and "is-invalid" in no_teams.get_data(as_text=True)
    b.published = False
    db.session.commit()
    with pytest.raises(experiments.ValidationError):
        experiments.create_experiment(make_user("trainer"), "x", a.id, b.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(experiments.Experiment)) == 0


def test_make_a_variant(client, login_as):
    """"Make a variant" copies the current version into an unpublished draft <slug>-b2 (…-b is taken here)."""
    trainer = login_as("trainer")
    response = client.post("/studio/experiments/variant", data={"scenario": SPIN_EN})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/studio/{SPIN_EN}-b")
    variant = scenario(f"{SPIN_EN}-b")
    assert not variant.published and variant.current_version == 0 and variant.draft_by_id == trainer.id
    assert variant.draft["id"] == f"{SPIN_EN}-b" and "hello" in variant.draft["nodes"]
    client.post("/studio/experiments/variant", data={"scenario": BUDGET})
    assert scenario(f"{BUDGET}-b2") is not None  # budget-objection-smb-b exists (the fixture's copy)


@pytest.mark.parametrize("role, status", [("learner", 403), ("mentor", 403), ("trainer", 200), ("admin", 200)])
def test_access(client, login_as, role, status):
    """Only trainers and admins manage A/B tests."""
    experiment = make_experiment(make_user("trainer"), scenario(BUDGET), scenario(VARIANT_B))
    login_as(role)
    assert client.get("/studio/experiments").status_code == status
    assert client.get(f"/studio/experiments/{experiment.id}").status_code == status
    assert client.get("/studio/experiments/new").status_code == status
    stop = client.post(f"/studio/experiments/{experiment.id}/stop")
    assert stop.status_code == (403 if status == 403 else 302)
    if status == 200:
        assert client.get("/studio/experiments/999").status_code == 404


def test_names_are_escaped(client, login_as):
    """A test name with markup is escaped on the list and the results page."""
    payload = "<script>alert(1)</script>"
    experiment = make_experiment(make_user("trainer"), scenario(BUDGET), scenario(VARIANT_B), name=payload)
    login_as("trainer")
    for path in ("/studio/experiments", f"/studio/experiments/{experiment.id}"):
        page = client.get(path).get_data(as_text=True)
        assert payload not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
