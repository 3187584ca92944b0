"""Demo role-play activity: plays for demo learners, idempotent."""

import sqlalchemy as sa

from app.extensions import db
from app.ml import spin
from app.models.roleplay import Play
from app.services.demo import seed_people
from app.services.roleplay_demo import seed_roleplay_demo
from tests.factories_roleplay import sync_fixture_scenarios, use_small_corpus


def test_demo_gives_learners_plays_once(app):
    """Demo learners get finished plays (with repeats) and one play to resume; a second run adds nothing."""
    use_small_corpus(app)
    spin.forget_loaded()
    users = seed_people()
    db.session.commit()
    sync_fixture_scenarios()
    seed_roleplay_demo(users)
    rows = db.session.scalars(sa.select(Play)).all()
    finished = [p for p in rows if p.status == "finished"]
    assert len(finished) >= 8 and all(0 <= p.score <= 1 for p in finished)
    assert any(p.status == "active" and p.user_id == users["learner@rehearse.test"].id for p in rows)
    assert all(p.finished_at < p.updated_at or p.finished_at == p.updated_at for p in finished)
    seed_roleplay_demo(users)
    assert db.session.scalar(sa.select(sa.func.count(Play.id))) == len(rows)
    spin.forget_loaded()
