"""Factories for API tests: tokens, and a learner's records in every area the API reads."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models.roleplay import Scenario
from app.models.types import utcnow
from app.services import api_tokens
from app.services.quiz_attempts import start_attempt, submit_attempt
from tests.factories_library import make_course
from tests.factories_quiz import make_quiz, perfect_responses
from tests.factories_roleplay import BUDGET, play_through, sync_fixture_scenarios


def make_token(user, name: str = "test integration", expires_in_days=None) -> str:
    """Create a token for ``user`` and return its plain text."""
    return api_tokens.create_token(user, name, expires_in_days, utcnow()).plain


def bearer(plain: str) -> dict:
    """Return the Authorization header of a token."""
    return {"Authorization": f"Bearer {plain}"}


def give_records(learner) -> dict:
    """Give ``learner`` an enrolment, a graded quiz attempt and a finished play; return their ids."""
    from app.services import library

    course = make_course()
    enrolment = library.enrol(learner, course.slug)
    quiz = make_quiz(title=f"Quiz for {learner.email}", bank_name=f"Bank for {learner.email}")
    attempt = start_attempt(quiz, learner)
    attempt = submit_attempt(attempt.id, learner, attempt.submit_token, perfect_responses(attempt))
    if db.session.scalar(sa.select(Scenario.id).where(Scenario.slug == BUDGET)) is None:
        sync_fixture_scenarios()
    play = play_through(learner, BUDGET, [1, 0])
    return {"enrolment": enrolment.id, "course": course.slug, "attempt": attempt.id, "play": play.id}


def past(days: int):
    """Return the moment ``days`` days ago."""
    return utcnow() - timedelta(days=days)


def make_model_run(n_deals: int = 40, n_won: int = 15) -> "ModelRun":
    """Store a finished model run shaped like DESIGN.md §6 (without fitting: the API only reads it)."""
    from app.models.deals import ModelRun

    metrics = {"cv_auc": 0.71, "cv_auc_std": 0.04, "brier": 0.2, "baseline_auc": 0.5}
    result = {"n_deals": n_deals, "n_won": n_won, "metrics": metrics, "warnings": [], "leakage": [],
              "behaviours": [{"name": "demos", "importance": 0.1, "ci_low": 0.05, "ci_high": 0.15, "direction": "+",
                              "close_rate_with": 0.5, "close_rate_without": 0.2, "n_with": 20}]}
    run = ModelRun(source="imported deals", data_hash="0" * 64, n_deals=n_deals, n_won=n_won, cv_auc=0.71,
                   metrics=metrics, result=result, params={})
    db.session.add(run)
    db.session.commit()
    return run
