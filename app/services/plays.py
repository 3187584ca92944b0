"""Playing role-play scenarios: start, answer step by step (saved each time), score, report.

Scoring: every step records the points earned per rubric dimension and the
most that step offered (the best option's positive points). A dimension's
score is earned / offered over the path taken, clamped to 0..1; the play's
score is the mean over the dimensions the path offered points in.

Routing: ``evaluate_answer`` scores one answer and picks the next node without
touching the database (the studio preview calls it too); score-conditional
branches compare the running raw points per dimension, this step's included.
"""

import functools
import importlib
import random
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Iterable, Optional, Union

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, make_transient_to_detached
from flask import current_app

from app import signals
from app.content.scenario import SPIN_LABELS, Branch, Node, ScenarioDef, first_branch
from app.extensions import db
from app.models.people import User
from app.models.roleplay import (
    PLAY_ABANDONED, PLAY_ACTIVE, PLAY_FINISHED, Objection, Play, PlayStep, Scenario, ScenarioVersion,
)
from app.models.types import utcnow
from app.services.errors import Conflict, NotFound, ValidationError

MAX_TEXT = 500
WEAK_BELOW = 0.7


# --- scenarios ----------------------------------------------------------------------


def list_scenarios(kind: Optional[str] = None, tier: Optional[str] = None, lang: Optional[str] = None) -> list[Scenario]:
    """Return the published scenarios, optionally filtered, by tier then title."""
    stmt = sa.select(Scenario).where(Scenario.published.is_(True))
    if kind:
        stmt = stmt.where(Scenario.kind == kind)
    if tier:
        stmt = stmt.where(Scenario.tier == tier)
    if lang:
        stmt = stmt.where(Scenario.lang == lang)
    return list(db.session.scalars(stmt.order_by(Scenario.tier, Scenario.title)))


def get_scenario(slug: str) -> Scenario:
    """Return a published scenario by slug or raise NotFound."""
    scenario = db.session.scalar(sa.select(Scenario).where(Scenario.slug == slug, Scenario.published.is_(True)))
    if scenario is None:
        raise NotFound("scenario")
    return scenario


def current_version(scenario: Scenario) -> ScenarioVersion:
    """Return the scenario's current version."""
    return db.session.scalar(
        sa.select(ScenarioVersion).where(
            ScenarioVersion.scenario_id == scenario.id, ScenarioVersion.number == scenario.current_version
        )
    )


_definitions: dict = {}


def definition(version: ScenarioVersion) -> ScenarioDef:
    """Return a version's scenario as dataclasses (versions never change, so this is cached per process)."""
    key = (version.id, version.content_hash)
    found = _definitions.get(key)
    if found is None:
        if len(_definitions) > 500:
            _definitions.clear()
        found = _definitions[key] = ScenarioDef.from_dict(version.definition)
    return found


# --- plays --------------------------------------------------------------------------


def find_active_play(user_id: int, scenario_id: int) -> Optional[Play]:
    """Return the learner's unfinished play of a scenario, if any."""
    return db.session.scalar(
        sa.select(Play).where(Play.user_id == user_id, Play.scenario_id == scenario_id, Play.status == PLAY_ACTIVE)
        .order_by(Play.id.desc()).limit(1)
    )


def _take_turns(user_id: int) -> None:
    """Make one learner's concurrent starts run one after the other (a double click must open one play).

    A no-op UPDATE of the learner's row holds its row lock on PostgreSQL and the
    write lock on SQLite until the commit, so the second start reads the play
    the first one saved instead of opening another.
    """
    db.session.execute(
        sa.update(User).where(User.id == user_id).values(active=User.active)
        .execution_options(synchronize_session=False, view_stamps=(user_id,))
    )


def start_play(user, slug: str, restart: bool = False) -> Play:
    """Start a play on the current version, or return the unfinished one (``restart`` abandons it)."""
    scenario = get_scenario(slug)
    _take_turns(user.id)
    active = find_active_play(user.id, scenario.id)
    if active is not None and not restart:
        db.session.commit()  # release the turn
        return active
    if active is not None:
        active.status = PLAY_ABANDONED
        active.updated_at = utcnow()
    version = current_version(scenario)
    play = Play(user_id=user.id, scenario=scenario, version=version, current_node=definition(version).start)
    db.session.add(play)
    db.session.commit()
    signals.play_started.send(current_app._get_current_object(), user_id=user.id, play_id=play.id,
                              scenario_slug=scenario.slug)
    return play


# Built once: the loader options cost more to build for each request than the query costs to run.
_PLAY_BY_ID = (
    sa.select(Play).where(Play.id == sa.bindparam("play_id"))
    .options(joinedload(Play.version), joinedload(Play.scenario))
)


def get_play(play_id: int) -> Play:
    """Return a play with its scenario and version, or raise NotFound (callers check who may see it)."""
    play = db.session.scalar(_PLAY_BY_ID, {"play_id": play_id})
    if play is None:
        raise NotFound("play")
    return play


def play_definition(play: Play) -> ScenarioDef:
    """Return the scenario version this play is played on."""
    return definition(play.version)


def choice_order(play: Play, node: Node) -> list:
    """Return [(index, choice)] shuffled per play and node, so the best answer is not always first."""
    order = list(enumerate(node.choices))
    random.Random(f"{play.id}:{node.key}").shuffle(order)
    return order


def current_node(play: Play) -> Node:
    """Return the node the play stands at."""
    return play_definition(play).nodes[play.current_node]


# submit_step's statements, built once: building them for each step costs more than running them.
# Plain table statements: the ORM's bulk-update machinery costs more than the UPDATE itself.
_PLAY_TABLE = Play.__table__
_ADVANCE_COLUMNS = ("step_count", "current_node", "updated_at")
_ADVANCE_PLAY = (
    sa.update(_PLAY_TABLE).where(_PLAY_TABLE.c.id == sa.bindparam("play_id"))
    .values({key: sa.bindparam(f"new_{key}") for key in _ADVANCE_COLUMNS})
)
_FINISH_PLAY = (
    sa.update(_PLAY_TABLE).where(_PLAY_TABLE.c.id == sa.bindparam("play_id"))
    .values({key: sa.bindparam(f"new_{key}")
             for key in (*_ADVANCE_COLUMNS, "scores", "score", "outcome", "status", "finished_at")})
)
_INSERT_STEP = sa.insert(PlayStep.__table__).returning(PlayStep.__table__.c.id)


@dataclass
class StepOutcome:
    """What a submit did: the step saved (or already there) and whether the play ended.

    A new step is kept as its saved row's columns and made a (detached) PlayStep
    only when ``step`` is read: the player's redirect needs only ``finished``.
    """

    saved: Union[PlayStep, dict]
    duplicate: bool
    finished: bool

    @functools.cached_property
    def step(self) -> PlayStep:
        """The saved step, outside the session."""
        if isinstance(self.saved, PlayStep):
            return self.saved
        step = PlayStep(**self.saved)
        make_transient_to_detached(step)
        return step


def _spin_paths() -> tuple[Path, Path]:
    """Return the training and held-out corpus paths from config (defaults: app/ml/corpus)."""
    base = Path(current_app.root_path) / "ml" / "corpus"
    return (Path(current_app.config.get("SPIN_TRAIN_PATH") or base / "spin_train.tsv"),
            Path(current_app.config.get("SPIN_EVAL_PATH") or base / "spin_eval.tsv"))


def spin_classifier():
    """Return the process's SPIN classifier (loaded once; trained at first use when none is saved)."""
    from app.ml.spin import get_classifier  # scikit-learn loads only when a line is classified

    train_path, eval_path = _spin_paths()
    return get_classifier(current_app.config["MODEL_DIR"], train_path, eval_path)


def node_possible(node: Node) -> dict:
    """Return the most each dimension could earn at a node: the best answer's positive points per dimension."""
    if node.free_text is not None:
        options = [node.free_text.score_for(label) for label in SPIN_LABELS]
    else:
        options = [c.score for c in node.choices]
    best: dict = {}
    for score in options:
        for dim, value in score.items():
            best[dim] = max(best.get(dim, 0), value)
    return {dim: value for dim, value in best.items() if value > 0}


@dataclass
class Evaluation:
    """One answer scored and routed, before anything is saved."""

    kind: str  # "choice" | "free_text"
    choice_index: Optional[int]
    text: str
    label: Optional[str]
    confidence: Optional[float]
    features: list
    technique: str
    score: dict
    possible: dict
    feedback: str
    next_node: str
    #: The score-conditional branch that chose ``next_node``; None when the usual route did.
    branch: Optional[Branch] = None


def running_totals(steps) -> dict:
    """Sum of raw points per dimension over steps (objects or dicts with a ``score`` mapping)."""
    totals: dict = {}
    for step in steps:
        score = step.get("score") if isinstance(step, dict) else getattr(step, "score", None)
        for dim, value in (score or {}).items():
            totals[dim] = totals.get(dim, 0) + value
    return totals


def _with_points(totals: dict, score: dict) -> dict:
    """Return ``totals`` plus this step's points (a new mapping)."""
    combined = dict(totals)
    for dim, value in score.items():
        combined[dim] = combined.get(dim, 0) + value
    return combined


def evaluate_answer(scenario: ScenarioDef, node: Node, totals: dict, choice: Optional[int] = None,
                    text: Optional[str] = None, classifier=None) -> Evaluation:
    """No database: score the answer, pick the route (branches first, using totals + this step's points).

    ``totals`` are the running raw points per dimension before this step (see
    ``running_totals``); raise ValidationError for an unusable answer and
    Conflict at an ending, as ``submit_step`` does.
    """
    if node.free_text is not None:
        text = (text or "").strip()
        if not text:
            raise ValidationError("type what you would say to the customer", field="text")
        if len(text) > MAX_TEXT:
            raise ValidationError(f"keep it under {MAX_TEXT} characters", field="text")
        prediction = (classifier or spin_classifier()).classify(text)
        ft = node.free_text
        score = dict(ft.score_for(prediction.label))
        branch = first_branch(ft.branches, _with_points(totals, score), prediction.label)
        return Evaluation(
            kind="free_text", choice_index=None, text=text, label=prediction.label,
            confidence=prediction.confidence, features=[list(f) for f in prediction.features],
            technique=f"spin.{prediction.label}", score=score,
            possible=node_possible(node),
            feedback=ft.feedback_for(prediction.label),
            next_node=branch.next if branch else ft.route(prediction.label), branch=branch,
        )
    if node.choices:
        if choice is None or not 0 <= choice < len(node.choices):
            raise ValidationError("pick one of the answers", field="choice")
        picked = node.choices[choice]
        score = dict(picked.score)
        branch = first_branch(picked.branches, _with_points(totals, score))
        return Evaluation(
            kind="choice", choice_index=choice, text=picked.text, label=None, confidence=None, features=[],
            technique=picked.technique, score=score, possible=node_possible(node),
            feedback=picked.feedback, next_node=branch.next if branch else picked.next, branch=branch,
        )
    raise Conflict("this play has ended")


def submit_step(play: Play, index: int, choice: Optional[int] = None, text: Optional[str] = None,
                classifier=None) -> StepOutcome:
    """Save the learner's answer at step ``index`` and move on; a repeat of a saved step changes nothing."""
    if index < play.step_count:
        existing = db.session.scalar(sa.select(PlayStep).where(PlayStep.play_id == play.id, PlayStep.index == index))
        return StepOutcome(existing, duplicate=True, finished=play.is_finished)
    if play.status != PLAY_ACTIVE:
        raise Conflict("this play has ended")
    if index != play.step_count:
        raise Conflict("this answer is out of date; the conversation has moved on")
    scenario = play_definition(play)
    node = scenario.nodes[play.current_node]
    totals = {}
    if node.has_branches:  # a plain step does not pay for reading the earlier steps
        totals = running_totals(
            {"score": score}
            for score in db.session.scalars(sa.select(PlayStep.score).where(PlayStep.play_id == play.id))
        )
    answer = evaluate_answer(scenario, node, totals, choice=choice, text=text, classifier=classifier)
    # Read now: the commit expires the objects, and signals should not reload them.
    user_id, play_id, slug = play.user_id, play.id, play.scenario.slug
    now = utcnow()
    row = dict(
        play_id=play_id, index=index, node=node.key, customer=node.customer, kind=answer.kind,
        choice_index=answer.choice_index, text=answer.text, label=answer.label, confidence=answer.confidence,
        features=answer.features, technique=answer.technique, score=answer.score, possible=answer.possible,
        feedback=answer.feedback, next_node=answer.next_node, created_at=now,
    )
    changes = {"step_count": index + 1, "current_node": answer.next_node, "updated_at": now}
    ending = scenario.nodes[answer.next_node]
    if ending.is_ending:
        earlier = db.session.execute(
            sa.select(PlayStep.score, PlayStep.possible).where(PlayStep.play_id == play_id)).all()
        this = SimpleNamespace(score=row["score"], possible=row["possible"])
        changes.update(_finish(play, ending, [*earlier, this], now))
    # Two plain statements instead of a unit-of-work flush of the new step and the changed play, which
    # costs several times more. The play's row is written first, so a concurrent submit of the same step
    # waits for this one's commit and then fails on the step's unique (play_id, index).
    # Whatever other areas add to this transaction is built now, before the first write takes the write lock
    # (on SQLite one per database), so the lock is held for the statements alone.
    app = current_app._get_current_object()
    additions = signals.gather(signals.play_step_saving, play=play, user_id=user_id, step=row)
    try:
        db.session.execute(_FINISH_PLAY if "status" in changes else _ADVANCE_PLAY,
                           {"play_id": play_id, **{f"new_{key}": value for key, value in changes.items()}},
                           execution_options={"view_stamps": (user_id,)})
        row["id"] = db.session.scalar(_INSERT_STEP, row, execution_options={"view_stamps": ()})
        for add in additions:
            add(row["id"])
        db.session.commit()
    except sa.exc.IntegrityError:
        # Another request saved this step first (a double submit): show that one.
        db.session.rollback()
        db.session.refresh(play)
        existing = db.session.scalar(sa.select(PlayStep).where(PlayStep.play_id == play.id, PlayStep.index == index))
        if existing is None:
            raise
        return StepOutcome(existing, duplicate=True, finished=play.is_finished)
    finished = changes.get("status") == PLAY_FINISHED
    signals.play_step_saved.send(app, user_id=user_id, play_id=play_id, scenario_slug=slug)
    if finished:
        signals.play_finished.send(app, user_id=user_id, play_id=play_id, scenario_slug=slug,
                                   outcome=changes["outcome"], score=changes["score"])
    return StepOutcome(row, duplicate=False, finished=finished)


def dimension_scores(steps: Iterable[PlayStep], rubric: Iterable[str]) -> dict:
    """Return {dimension: 0..1} for the rubric dimensions the steps offered points in."""
    earned: dict = {}
    offered: dict = {}
    for step in steps:
        for dim, value in (step.score or {}).items():
            earned[dim] = earned.get(dim, 0) + value
        for dim, value in (step.possible or {}).items():
            offered[dim] = offered.get(dim, 0) + value
    return {dim: round(min(1.0, max(0.0, earned.get(dim, 0) / offered[dim])), 4)
            for dim in rubric if offered.get(dim)}


def _finish(play: Play, ending: Node, steps: list, now: datetime) -> dict:
    """Return the columns that close a play at an ending: outcome, per-dimension and overall score.

    ``steps`` are all the play's steps, the last one included (anything with ``score`` and ``possible``).
    """
    scores = dimension_scores(steps, play.version.rubric)
    return {
        "scores": scores,
        "score": round(sum(scores.values()) / len(scores), 4) if scores else (1.0 if ending.end == "won" else 0.0),
        "outcome": ending.end,
        "status": PLAY_FINISHED,
        "finished_at": now,
    }


# --- reading results (used by mentor, library and insights areas) -------------------------


def best_scores(user_ids: Iterable[int]) -> dict:
    """Return {(user_id, scenario_slug): best score 0..1} over finished plays, in one query."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Play.user_id, Scenario.slug, sa.func.max(Play.score))
        .join(Scenario, Scenario.id == Play.scenario_id)
        .where(Play.user_id.in_(ids), Play.status == PLAY_FINISHED)
        .group_by(Play.user_id, Scenario.slug)
    )
    return {(user_id, slug): float(best or 0.0) for user_id, slug, best in rows}


def play_results(user_ids: Iterable[int], scenario_slugs: Optional[Iterable[str]] = None) -> list[dict]:
    """Return the finished plays of these users (optionally of these scenarios), oldest first, in one query.

    Each item: user_id, play_id, scenario_slug, scenario_title, version, outcome,
    score (0..1), scores ({dimension: 0..1}), started_at, finished_at, steps.
    """
    ids = list(set(user_ids))
    if not ids:
        return []
    stmt = (
        sa.select(Play, Scenario.slug, Scenario.title, ScenarioVersion.number)
        .join(Scenario, Scenario.id == Play.scenario_id)
        .join(ScenarioVersion, ScenarioVersion.id == Play.version_id)
        .where(Play.user_id.in_(ids), Play.status == PLAY_FINISHED)
        .order_by(Play.finished_at, Play.id)
    )
    if scenario_slugs is not None:
        stmt = stmt.where(Scenario.slug.in_(list(scenario_slugs)))
    return [
        {"user_id": p.user_id, "play_id": p.id, "scenario_slug": slug, "scenario_title": title, "version": number,
         "outcome": p.outcome, "score": p.score, "scores": dict(p.scores or {}), "started_at": p.started_at,
         "finished_at": p.finished_at, "steps": p.step_count}
        for p, slug, title, number in db.session.execute(stmt)
    ]


def play_dimension_scores(play_id: int) -> Optional[dict]:
    """Return a finished play's score per rubric dimension (0..1), or None."""
    play = db.session.get(Play, play_id)
    if play is None or not play.is_finished:
        return None
    return dict(play.scores or {})


def scenarios_for_behaviours(behaviours: Iterable[str]) -> list[Scenario]:
    """Return published scenarios whose current version trains any of these behaviour keys."""
    from app.models.roleplay import ScenarioBehaviour

    keys = list(set(behaviours))
    if not keys:
        return []
    return list(db.session.scalars(
        sa.select(Scenario).join(ScenarioBehaviour).where(ScenarioBehaviour.behaviour.in_(keys),
                                                          Scenario.published.is_(True))
        .distinct().order_by(Scenario.title)
    ))


# --- the end page -------------------------------------------------------------------


@dataclass
class Report:
    """Everything the end page shows about a finished play."""

    play: Play
    scenario: ScenarioDef
    ending: Node
    path: list
    dimensions: list  # [(dimension, score or None)] in rubric order
    steps: list
    spin_mix: dict
    objections: list
    weak: list
    practise_scenarios: list = field(default_factory=list)
    practise_courses: list = field(default_factory=list)
    history: list = field(default_factory=list)  # [(play_id, score, finished_at)] oldest first
    first_score: Optional[float] = None
    best_score: Optional[float] = None


def build_report(play: Play) -> Report:
    """Collect the end page of a finished play."""
    if not play.is_finished:
        raise Conflict("this play has not ended yet")
    scenario = play_definition(play)
    steps = list(play.steps)
    scores = play.scores or {}
    dimensions = [(dim, scores.get(dim)) for dim in scenario.rubric]
    weak = sorted((d for d, s in dimensions if s is not None and s < WEAK_BELOW), key=lambda d: scores[d])
    mix = {label: 0 for label in SPIN_LABELS}
    for step in steps:
        if step.kind == "free_text" and step.label in mix:
            mix[step.label] += 1
    objections = []
    if scenario.objections:
        found = {o.key: o for o in db.session.scalars(sa.select(Objection).where(Objection.key.in_(scenario.objections)))}
        objections = [found[k] for k in scenario.objections if k in found]
    history = [
        (p_id, score, finished)
        for p_id, score, finished in db.session.execute(
            sa.select(Play.id, Play.score, Play.finished_at)
            .where(Play.user_id == play.user_id, Play.scenario_id == play.scenario_id, Play.status == PLAY_FINISHED)
            .order_by(Play.finished_at, Play.id)
        )
    ]
    report = Report(
        play=play, scenario=scenario, ending=scenario.nodes[play.current_node],
        path=[s.node for s in steps] + [play.current_node], dimensions=dimensions, steps=steps, spin_mix=mix,
        objections=objections, weak=weak, history=history,
        first_score=history[0][1] if history else None,
        best_score=max((h[1] or 0.0) for h in history) if history else None,
    )
    report.practise_scenarios = _practise_scenarios(play, weak)
    report.practise_courses = _practise_courses(scenario, weak)
    return report


def _practise_scenarios(play: Play, weak: list) -> list[Scenario]:
    """Return up to three other scenarios whose rubric trains a weak dimension, least mastered first."""
    if not weak:
        return []
    rows = db.session.execute(
        sa.select(Scenario, ScenarioVersion.rubric)
        .join(ScenarioVersion, sa.and_(ScenarioVersion.scenario_id == Scenario.id,
                                       ScenarioVersion.number == Scenario.current_version))
        .where(Scenario.published.is_(True), Scenario.id != play.scenario_id)
    ).all()
    best = best_scores([play.user_id])
    fits = [(s, len(set(rubric or []) & set(weak))) for s, rubric in rows]
    fits = [(s, n) for s, n in fits if n]
    fits.sort(key=lambda item: (-item[1], _lang_rank(item[0], play), best.get((play.user_id, item[0].slug), -1),
                                item[0].title))
    return [s for s, _ in fits[:3]]


def _lang_rank(scenario: Scenario, play: Play) -> int:
    """Sort scenarios in the play's language first."""
    return 0 if scenario.lang == play.scenario.lang else 1


def _practise_courses(scenario: ScenarioDef, weak: list) -> list:
    """Return courses (when the library area is installed) that train this scenario's behaviours or weak dimensions."""
    try:
        library = importlib.import_module("app.models.library")
    except ImportError:
        return []
    course = getattr(library, "Course", None)
    if course is None or not weak:
        return []
    wanted = set(scenario.behaviours) | set(weak)
    courses = db.session.scalars(sa.select(course).where(course.published.is_(True)).order_by(course.title)).all()
    fits = [c for c in courses if wanted & set((c.behaviours or []) + (c.tags or []))]
    fits.sort(key=lambda c: (c.lang != scenario.lang, c.title))
    return fits[:3]


# --- pages ----------------------------------------------------------------------------


@dataclass
class ScenarioCard:
    """A scenario in the list, with the learner's best score and unfinished play."""

    scenario: Scenario
    best: Optional[float]
    active_play_id: Optional[int]


def scenario_listing(user_id: int, kind: Optional[str] = None, tier: Optional[str] = None,
                     lang: Optional[str] = None) -> list[ScenarioCard]:
    """Return the scenario list for a learner in three queries, whatever its length."""
    scenarios = list_scenarios(kind, tier, lang)
    best = best_scores([user_id])
    active = dict(db.session.execute(
        sa.select(Play.scenario_id, sa.func.max(Play.id))
        .where(Play.user_id == user_id, Play.status == PLAY_ACTIVE).group_by(Play.scenario_id)
    ).all())
    return [ScenarioCard(s, best.get((user_id, s.slug)), active.get(s.id)) for s in scenarios]


@dataclass
class ScenarioPage:
    """The scenario page: the current version, the learner's plays and linked objections."""

    scenario: Scenario
    definition: ScenarioDef
    active: Optional[Play]
    finished: list
    objections: list
    behaviour_names: dict


def scenario_page(user_id: int, slug: str) -> ScenarioPage:
    """Collect the scenario page for a learner."""
    scenario = get_scenario(slug)
    version = current_version(scenario)
    defn = definition(version)
    finished = list(db.session.scalars(
        sa.select(Play).where(Play.user_id == user_id, Play.scenario_id == scenario.id, Play.status == PLAY_FINISHED)
        .order_by(Play.finished_at, Play.id)
    ))
    objections = []
    if defn.objections:
        found = {o.key: o for o in db.session.scalars(sa.select(Objection).where(Objection.key.in_(defn.objections)))}
        objections = [found[k] for k in defn.objections if k in found]
    return ScenarioPage(scenario, defn, find_active_play(user_id, scenario.id), finished, objections,
                        behaviour_names())


def behaviour_names() -> dict:
    """Return {behaviour key: {"en": …, "zh": …}} from content/behaviours.yaml (empty when missing)."""
    from app.content.scenario import load_behaviour_labels

    return load_behaviour_labels(current_app.config.get("CONTENT_DIR"))


@dataclass
class HomeSummary:
    """The role-play section of a home page."""

    active: list
    recent: list
    finished_count: int


def home_summary(user) -> HomeSummary:
    """Return the learner's unfinished plays and latest results (three queries)."""
    active = list(db.session.scalars(
        sa.select(Play).where(Play.user_id == user.id, Play.status == PLAY_ACTIVE)
        .order_by(Play.updated_at.desc()).limit(3)
        .options(joinedload(Play.scenario))
    ))
    recent = list(db.session.scalars(
        sa.select(Play).where(Play.user_id == user.id, Play.status == PLAY_FINISHED)
        .order_by(Play.finished_at.desc()).limit(3)
        .options(joinedload(Play.scenario))
    ))
    count = db.session.scalar(
        sa.select(sa.func.count(Play.id)).where(Play.user_id == user.id, Play.status == PLAY_FINISHED)
    )
    return HomeSummary(active, recent, count or 0)
