"""Studio test data: published copies of scenarios, scenarios from a definition, planted plays, A/B tests."""

import copy
from datetime import timedelta

import sqlalchemy as sa

from app.content.scenario import ScenarioDef
from app.extensions import db
from app.models.roleplay import PLAY_FINISHED, Play, Scenario, ScenarioVersion
from app.models.types import utcnow
from app.services import experiments


def publish_definition(definition: dict, slug: str | None = None, title: str | None = None) -> Scenario:
    """Create a published scenario with one version holding ``definition`` (not validated: tests plant odd data)."""
    data = copy.deepcopy(definition)
    data["id"] = slug or data["id"]
    data["title"] = title or data["title"]
    scenario_def = ScenarioDef.from_dict(data)
    scenario = Scenario(slug=data["id"], title=data["title"], lang=data["lang"], kind=data["kind"],
                        tier=data["tier"], persona=data["persona"]["name"], current_version=1, published=True)
    scenario.versions = [ScenarioVersion(
        number=1, content_hash=scenario_def.content_hash(), title=data["title"], definition=data,
        rubric=list(data["rubric"]), behaviours=list(data["behaviours"]), objection_keys=list(data["objections"]),
    )]
    db.session.add(scenario)
    db.session.commit()
    return scenario


def published_copy(slug: str, new_slug: str) -> Scenario:
    """Publish a copy of a scenario's current version under another slug (a ready variant B)."""
    source = db.session.scalar(sa.select(Scenario).where(Scenario.slug == slug))
    version = db.session.scalar(sa.select(ScenarioVersion).where(
        ScenarioVersion.scenario_id == source.id, ScenarioVersion.number == source.current_version))
    return publish_definition(version.definition, slug=new_slug, title=f"{version.title} B")


def plant_play(user, scenario: Scenario, outcome: str | None, score: float | None, started=None) -> Play:
    """Add a play without steps: finished with ``outcome`` and ``score``, or active when outcome is None."""
    version = db.session.scalar(sa.select(ScenarioVersion).where(
        ScenarioVersion.scenario_id == scenario.id, ScenarioVersion.number == scenario.current_version))
    now = started or utcnow() + timedelta(seconds=1)
    play = Play(user_id=user.id, scenario_id=scenario.id, version_id=version.id, current_node="x",
                started_at=now, updated_at=now)
    if outcome is not None:
        play.status, play.outcome, play.score, play.finished_at = PLAY_FINISHED, outcome, score, now
        play.scores = {}
    db.session.add(play)
    db.session.commit()
    return play


def make_experiment(creator, a: Scenario, b: Scenario, split: str = "random", teams_a=(), teams_b=(),
                    name: str = "Script test"):
    """Start an A/B test through the service."""
    return experiments.create_experiment(creator, name, a.id, b.id, split, [t.id for t in teams_a],
                                         [t.id for t in teams_b])
