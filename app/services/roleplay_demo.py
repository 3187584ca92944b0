"""Demo role-play activity: some demo learners play some scenarios, with first-to-best improvement."""

import random
from datetime import timedelta

import sqlalchemy as sa

from app.content.scenario import SPIN_LABELS
from app.extensions import db
from app.models.roleplay import Play, PlayStep, Scenario
from app.models.types import utcnow
from app.services import plays

LEARNERS = (
    "learner@rehearse.test", "learner2@rehearse.test", "learner3@rehearse.test", "learner4@rehearse.test",
    "learner5@rehearse.test", "learner6@rehearse.test", "learner7@rehearse.test", "learner8@rehearse.test",
)
# Clearly worded lines per SPIN label, the way a learner might type them.
LINES = {
    "en": {
        "situation": "How many people work on this today?",
        "problem": "What is the hardest part of that for your team?",
        "implication": "What does that cost you each month in lost sales?",
        "need_payoff": "How would it help if that problem went away?",
        "other": "Our product is the best on the market.",
    },
    "zh": {
        "situation": "你们现在有多少人负责这件事？",
        "problem": "这件事最让团队头疼的地方是什么？",
        "implication": "这个问题每个月会让你们损失多少销售额？",
        "need_payoff": "如果这个问题解决了，对您有什么帮助？",
        "other": "我们的产品是市场上最好的。",
    },
}


def _walk(play: Play, skill: float, rng: random.Random, classifier) -> None:
    """Answer until the play ends: the best option with probability ``skill``, else any."""
    for _ in range(40):
        if play.is_finished:
            return
        node = plays.current_node(play)
        if node.free_text is not None:
            wanted = node.free_text.expect[0] if node.free_text.expect else "situation"
            label = wanted if rng.random() < skill else rng.choice(SPIN_LABELS)
            lang = "zh" if plays.play_definition(play).lang == "zh" else "en"
            plays.submit_step(play, play.step_count, text=LINES[lang][label], classifier=classifier)
        else:
            best = max(range(len(node.choices)), key=lambda i: sum(node.choices[i].score.values()))
            pick = best if rng.random() < skill else rng.randrange(len(node.choices))
            plays.submit_step(play, play.step_count, choice=pick)


def seed_roleplay_demo(users: dict) -> None:
    """Give demo learners finished (and one unfinished) plays; does nothing when they already have plays."""
    ids = [users[e].id for e in LEARNERS if e in users]
    scenarios = list(db.session.scalars(sa.select(Scenario).where(Scenario.published.is_(True)).order_by(Scenario.slug)))
    if not ids or not scenarios:
        return
    if db.session.scalar(sa.select(sa.func.count(Play.id)).where(Play.user_id.in_(ids))):
        return
    try:
        classifier = plays.spin_classifier()
    except Exception:  # no corpus on this install: typed turns cannot be classified, so skip the demo plays
        return
    now = utcnow()
    for n, email in enumerate(e for e in LEARNERS if e in users):
        user = users[email]
        rng = random.Random(email)
        chosen = rng.sample(scenarios, k=min(3, len(scenarios)))
        for scenario in chosen:
            skill = 0.3 + 0.15 * (n % 4)
            for attempt in range(rng.randint(1, 3)):
                play = plays.start_play(user, scenario.slug, restart=True)
                _walk(play, min(0.95, skill + 0.25 * attempt), rng, classifier)
                days = 3 + 7 * (2 - attempt) + rng.randint(0, 3)
                when = now - timedelta(days=days, hours=rng.randint(0, 8))
                play.started_at, play.updated_at, play.finished_at = when - timedelta(minutes=6), when, when
                db.session.execute(sa.update(PlayStep).where(PlayStep.play_id == play.id).values(created_at=when))
                db.session.commit()
    first = users.get(LEARNERS[0])
    if first is not None:
        play = plays.start_play(first, scenarios[0].slug, restart=True)
        node = plays.current_node(play)
        if node.choices:
            plays.submit_step(play, 0, choice=0)
