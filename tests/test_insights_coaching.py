"""Seller gaps against the winners, Wilson intervals, and training beside outcomes (no model fitting)."""

import pytest

from app.extensions import db
from app.models.deals import ModelRun
from app.services.deal_coaching import compute_seller_gaps, seller_gaps, seller_outcomes, training_for, wilson
from tests.factories import make_user
from tests.factories_insights import make_course, make_deal

RESULT = {"behaviours": [
    {"name": "needs_confirmation_call", "importance": 0.10, "ci_low": 0.05, "ci_high": 0.15, "direction": "+"},
    {"name": "discount_offered", "importance": 0.05, "ci_low": 0.01, "ci_high": 0.09, "direction": "-"},
    {"name": "case_studies_shared", "importance": 0.01, "ci_low": -0.01, "ci_high": 0.03, "direction": "+"},
]}


@pytest.fixture
def sellers(app):
    """A weak seller (no confirmation calls, discounts everywhere) and two winners."""
    weak, b, c = (make_user(email=f"{n}@example.com", name=n.title()) for n in ("weak", "bea", "cy"))
    for i in range(4):
        make_deal(f"W{i}", "lost" if i else "won", weak, needs_confirmation_call=0, discount_offered=1,
                  case_studies_shared=0)
    for seller in (b, c):
        for i in range(6):
            make_deal(f"{seller.name}{i}", "won" if i < 5 else "lost", seller, needs_confirmation_call=2,
                      discount_offered=0, case_studies_shared=3)
    make_deal("open-1", "open", weak, needs_confirmation_call=0)
    return weak, b, c


def test_gaps_compare_with_the_winners(sellers):
    """The weak seller falls short on the "+" behaviour and overdoes the "−" one; winners have no gaps."""
    weak, b, _ = sellers
    gaps = compute_seller_gaps(RESULT)
    assert set(gaps) == {weak.id}
    first, second = gaps[weak.id]
    assert (first.behaviour, first.seller_rate, first.winners_rate, first.shortfall) == (
        "needs_confirmation_call", 0.0, 2.0, 1.0)
    assert (second.behaviour, second.direction, second.seller_rate, second.winners_rate) == (
        "discount_offered", "-", 0.8, 0.0)
    assert first.n_deals == 5
    # case_studies_shared is not significant (interval includes 0): never a gap.
    assert all(g.behaviour != "case_studies_shared" for g in gaps[weak.id])


def test_stored_gaps_are_read_back(sellers):
    """Gaps stored with a run come back as the same Gap objects, filtered by owner."""
    from app.services.deal_coaching import gaps_for_storage

    weak, b, _ = sellers
    run = ModelRun(source="imported deals", data_hash="x", result=RESULT,
                   params={"seller_gaps": gaps_for_storage(compute_seller_gaps(RESULT))})
    db.session.add(run)
    db.session.commit()
    assert seller_gaps(run, [weak.id]) == compute_seller_gaps(RESULT)
    assert seller_gaps(run, [b.id]) == {}
    assert seller_gaps(None) == {}


def test_wilson_interval():
    """The Wilson interval matches known values and handles the edges."""
    assert wilson(0, 0) == (None, None)
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    assert wilson(0, 5)[0] == 0.0 and wilson(5, 5)[1] == 1.0


def test_seller_outcomes_counts_and_training(sellers):
    """Each seller with deals gets closed/won/open counts and a win-rate interval."""
    weak, b, _ = sellers
    rows = {r.user.id: r for r in seller_outcomes()}
    assert (rows[weak.id].closed, rows[weak.id].won, rows[weak.id].open) == (4, 1, 1)
    assert rows[b.id].win_rate == pytest.approx(5 / 6)
    assert rows[b.id].win_low < 5 / 6 < rows[b.id].win_high


def test_training_for_lists_published_courses(app):
    """Courses are found by the behaviours they train; unpublished ones are not."""
    make_course("confirm", ["needs_confirmation_call"], title="Confirm")
    hidden = make_course("hidden", ["needs_confirmation_call"])
    hidden.published = False
    db.session.commit()
    found = training_for(["needs_confirmation_call", "visits"])
    assert [(i.kind, i.key) for i in found["needs_confirmation_call"]] == [("course", "confirm")]
    assert found["visits"] == []


def test_training_record_comes_from_the_quiz_and_roleplay_areas(sellers):
    """A seller's graded quiz and finished role-play show beside their win rate."""
    from app.services import quiz_attempts
    from tests.factories_quiz import make_quiz, perfect_responses
    from tests.factories_roleplay import BUDGET, play_through, sync_fixture_scenarios

    weak, b, _ = sellers
    quiz = make_quiz()
    attempt = quiz_attempts.start_attempt(quiz, weak)
    quiz_attempts.submit_attempt(attempt.id, weak, attempt.submit_token, perfect_responses(attempt))
    sync_fixture_scenarios()
    play_through(weak, BUDGET, [0, ("implication", "这会带来什么影响？"), 0])
    rows = {r.user.id: r for r in seller_outcomes()}
    weak_row = rows[weak.id]
    assert (weak_row.quizzes_taken, weak_row.quizzes_passed, weak_row.quiz_attempts) == (1, 1, 1)
    assert weak_row.quiz_mean == pytest.approx(1.0)
    assert weak_row.plays == 1 and weak_row.play_dimensions
    assert all(0 <= mean <= 1 and n == 1 for mean, n in weak_row.play_dimensions.values())
    assert (rows[b.id].quizzes_taken, rows[b.id].plays) == (0, 0)
