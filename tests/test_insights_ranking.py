"""The behaviour ranking recovers planted effects, flags leakage, and never crashes on poor data."""

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from app.content.deals_csv import parse_deals
from app.ml.ranking import BehaviourRanker, build_ranking_model, rank_behaviours
from app.services.deals import deal_matrix
from app.services.insights_demo import generate_deals
from tests.factories_insights import FAST

TOP_KEYS = {"n_deals", "n_won", "metrics", "behaviours", "warnings", "leakage"}
ROW_KEYS = {"name", "importance", "ci_low", "ci_high", "direction", "close_rate_with", "close_rate_without", "n_with"}


@pytest.fixture(scope="module")
def fitted():
    """Rank 1,500 generated deals once (planted effects, a leak, a correlated pair, open deals)."""
    generated = generate_deals(1500, seed=7)
    deals = parse_deals(generated.to_csv(), "planted.csv")
    X, y, names = deal_matrix((d.behaviours, d.outcome) for d in deals.deals)
    ranker = BehaviourRanker(n_splits=5, n_repeats=1, perm_repeats=3).fit(X, y, names)
    return generated, y, ranker


@pytest.fixture
def planted(fitted):
    """Return (generator output, outcomes, ranking JSON)."""
    generated, y, ranker = fitted
    return generated, y, ranker.result_


def test_build_returns_an_unfitted_pipeline():
    """build_ranking_model gives a Pipeline with nothing fitted yet."""
    model = build_ranking_model(random_state=3)
    assert isinstance(model, Pipeline)
    assert model.named_steps["clf"].random_state == 3
    assert not hasattr(model.named_steps["clf"], "coef_")


def test_result_has_exactly_the_design_shape(planted):
    """The JSON has the DESIGN §6 keys, and round-trips through json."""
    _, y, result = planted
    assert set(result) == TOP_KEYS
    assert set(result["metrics"]) == {"cv_auc", "cv_auc_std", "brier", "baseline_auc"}
    assert result["metrics"]["baseline_auc"] == 0.5
    assert all(set(row) == ROW_KEYS for row in result["behaviours"])
    assert result["n_deals"] == len(y) and result["n_won"] == int(y.sum())
    assert json.loads(json.dumps(result)) == result


def test_ranking_recovers_the_planted_order_and_signs(planted):
    """Strong effects rank first with the right sign; zero effects rank below every real one."""
    _, _, result = planted
    rows = {r["name"]: r for r in result["behaviours"]}
    order = [r["name"] for r in result["behaviours"]]
    importances = [r["importance"] for r in result["behaviours"]]
    assert importances == sorted(importances, reverse=True)
    assert order[0] == "needs_confirmation_call"
    assert rows["needs_confirmation_call"]["direction"] == "+"
    assert rows["followups_within_24h"]["direction"] == "+"
    assert rows["discount_offered"]["direction"] == "-"
    real = ("needs_confirmation_call", "discount_offered", "followups_within_24h")
    nulls = ("discovery_calls", "case_studies_shared", "proposal_revisions")
    assert max(order.index(n) for n in real) < min(order.index(n) for n in nulls)
    for name in real:
        assert rows[name]["ci_low"] > 0, name
    for name in nulls:
        assert rows[name]["ci_low"] <= 0 <= rows[name]["ci_high"] or abs(rows[name]["importance"]) < 0.005, name


def test_close_rates_are_the_observed_ones(planted):
    """close_rate_with/without and n_with describe the closed deals as they are."""
    generated, _, result = planted
    closed = [r for r in generated.rows if r["closed_at"]]
    row = next(r for r in result["behaviours"] if r["name"] == "needs_confirmation_call")
    with_ = [r for r in closed if r["needs_confirmation_call"] > 0]
    won_spellings = ("won", "Closed Won", "closedwon", "yes", "1", "true", "WON")
    won = lambda rows: sum(r["outcome"] in won_spellings for r in rows)  # noqa: E731
    assert row["n_with"] == len(with_)
    assert row["close_rate_with"] == pytest.approx(won(with_) / len(with_), abs=1e-4)
    assert row["close_rate_with"] > row["close_rate_without"]


def test_leakage_and_correlation_are_reported(planted):
    """contract_signed is leakage (not ranked); demos and visits are flagged as correlated."""
    _, _, result = planted
    assert result["leakage"] == ["contract_signed"]
    assert "contract_signed" not in {r["name"] for r in result["behaviours"]}
    assert any("demos and visits are strongly correlated" in w for w in result["warnings"])


def test_warnings_carry_details_for_translation(fitted):
    """Every English warning has a coded twin in the sidecar, in the same order."""
    _, _, ranker = fitted
    details = ranker.params_["warning_details"]
    assert len(details) == len(ranker.result_["warnings"])
    assert {"code": "leakage", "name": "contract_signed", "auc": 1.0} in details
    assert any(d["code"] == "correlated" and {d["first"], d["second"]} == {"demos", "visits"} for d in details)


def test_cross_validated_auc_is_close_to_the_truth(planted):
    """The held-out AUC is near the AUC of the true probabilities, with a sensible Brier score."""
    generated, y, result = planted
    true_auc = roc_auc_score(y, generated.true_probability)
    assert abs(result["metrics"]["cv_auc"] - true_auc) < 0.03
    assert 0 < result["metrics"]["cv_auc_std"] < 0.08
    assert result["metrics"]["brier"] < 0.25


def test_small_data_warns():
    """Fewer than 100 closed deals still ranks, with a warning."""
    generated = generate_deals(80, seed=2, leakage=False)
    X, y, names = deal_matrix((r.behaviours, r.outcome) for r in parse_deals(generated.to_csv()).deals)
    result = rank_behaviours(X, y, names, **FAST)
    assert any("unreliable" in w and "closed deals" in w for w in result["warnings"])
    assert result["behaviours"]


@pytest.mark.parametrize("outcomes", [[1] * 30, [0] * 30, []])
def test_one_class_or_no_data_warns_without_crashing(outcomes):
    """All won, all lost or nothing: warnings and an empty ranking."""
    X = np.arange(len(outcomes) * 2, dtype=float).reshape(len(outcomes), 2)
    result = rank_behaviours(X, outcomes, ("demos", "visits"), **FAST)
    assert result["behaviours"] == [] and result["metrics"]["cv_auc"] is None
    assert any("nothing to compare" in w for w in result["warnings"])


def test_constant_and_near_constant_behaviours_warn():
    """A constant behaviour is not ranked; a near-constant one is ranked with a warning."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    rare = np.zeros(400)
    rare[:2] = 1
    X = np.column_stack([rng.poisson(1, 400) + y, np.ones(400), rare])
    result = rank_behaviours(X, y, ("demos", "crm_hygiene", "exec_meetings"), **FAST)
    names = [r["name"] for r in result["behaviours"]]
    assert "crm_hygiene" not in names and "exec_meetings" in names
    assert any("crm_hygiene has the same value in every closed deal" in w for w in result["warnings"])
    assert any(w.startswith("exec_meetings is the same in 99.5%") for w in result["warnings"])


def test_ranking_is_reproducible():
    """The same data and random_state give the same ranking and data hash."""
    generated = generate_deals(200, seed=4)
    X, y, names = deal_matrix((r.behaviours, r.outcome) for r in parse_deals(generated.to_csv()).deals)
    first = BehaviourRanker(**FAST).fit(X, y, names)
    second = BehaviourRanker(**FAST).fit(X, y, names)
    assert first.result_ == second.result_
    assert first.params_["data_hash"] == second.params_["data_hash"]
    assert first.params_["sklearn"]


def test_permutation_shortcut_equals_repredicting():
    """Shuffling transformed columns gives exactly the AUC drop of re-predicting on shuffled counts."""
    from app.ml.ranking import fast_auc, permutation_drops

    generated = generate_deals(300, seed=9)
    X, y, names = deal_matrix((r.behaviours, r.outcome) for r in parse_deals(generated.to_csv()).deals)
    X = X[:, :-1]  # without the leaking column
    model = build_ranking_model().fit(X[:200], y[:200])
    drops = permutation_drops(model, X[200:], y[200:], 1, np.random.default_rng(5))
    rng = np.random.default_rng(5)
    base = roc_auc_score(y[200:], model.decision_function(X[200:]))
    assert fast_auc(y[200:], model.predict_proba(X[200:])[:, 1]) == pytest.approx(base)
    for j in range(X.shape[1]):
        shuffled = X[200:].copy()
        shuffled[:, j] = shuffled[rng.permutation(len(shuffled)), j]
        expected = base - roc_auc_score(y[200:], model.decision_function(shuffled))
        assert drops[j, 0] == pytest.approx(expected, abs=1e-9), names[j]


@pytest.mark.parametrize("seed", range(5))
def test_fast_auc_matches_scikit_learn_with_ties(seed):
    """fast_auc equals roc_auc_score, ties included."""
    from app.ml.ranking import fast_auc

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 50 + 40 * seed)
    scores = np.round(rng.normal(size=len(y)) + y, seed % 3)
    assert fast_auc(y, scores) == pytest.approx(roc_auc_score(y, scores), abs=1e-12)
