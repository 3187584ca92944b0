"""Scenario analytics for trainers: completion, outcomes, scores, and the nodes where learners fail.

Rubric dimensions are read as quiz items: each finished play is an attempt and
its dimension scores (0..1) are the item marks, so facility, discrimination
(the correlation of a dimension with the sum of the play's other dimensions)
and Cronbach's alpha come from app.services.quiz_stats.

A step **went wrong** when the node offered points (the best points any
answer could earn, summed over dimensions) and the answer lost points in any
dimension or earned less than half of what was offered. Nodes that offer no
points have no failure rate. A node's **lost share** is the share of the
finished plays through it that ended ``lost``.

Everything comes from five SELECTs (scenario, versions, plays per version,
plays, steps), however many plays there are.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import undefer

from app.content.scenario import SPIN_LABELS, ScenarioDef
from app.extensions import db
from app.models.roleplay import PLAY_ABANDONED, PLAY_FINISHED, Play, PlayStep, Scenario, ScenarioVersion
from app.services.errors import NotFound
from app.services.plays import definition, node_possible
from app.services.quiz_stats import QuestionStats, compute_stats

HISTOGRAM_BINS = 10
DIMENSION_BINS = 5
FAIL_SHARE = 0.5


def get_scenario_any(slug: str) -> Scenario:
    """Return a scenario by slug, published or not, or raise NotFound."""
    scenario = db.session.scalar(sa.select(Scenario).where(Scenario.slug == slug))
    if scenario is None:
        raise NotFound("scenario")
    return scenario


def offered_points(possible: dict) -> float:
    """Return the points a node offered: the best positive points per dimension, summed."""
    return sum(v for v in (possible or {}).values() if v > 0)


def went_wrong(score: dict, possible: dict) -> Optional[bool]:
    """Return whether an answer went wrong (None when the node offered no points).

    Wrong means: it lost points in some dimension, or it earned less than half
    of the points the node offered.
    """
    offered = offered_points(possible)
    if offered <= 0:
        return None
    score = score or {}
    if any(v < 0 for v in score.values()):
        return True
    return sum(score.values()) < FAIL_SHARE * offered


@dataclass
class AnswerStat:
    """How often one answer was given at a node: a choice (by its text) or a typed line (by its SPIN label)."""

    kind: str  # "choice" | "label"
    text: str
    count: int = 0
    share: Optional[float] = None
    points: Optional[dict] = None
    wrong: Optional[bool] = None  # the failure rule applied to this answer's points
    in_version: bool = True  # False for answers of another version no longer in the shown one


@dataclass
class NodeStat:
    """One conversation node: visits, answers, failure rate and how often plays through it were lost."""

    key: str
    customer: str
    kind: str  # "choices" | "free_text" | "missing" (not in the shown version)
    visits: int = 0
    rated: int = 0
    failures: int = 0
    plays_finished: int = 0
    plays_lost: int = 0
    offered: float = 0.0
    answers: list = field(default_factory=list)

    @property
    def fail_rate(self) -> Optional[float]:
        """Return the share of rated visits that went wrong, or None when none were rated."""
        return self.failures / self.rated if self.rated else None

    @property
    def lost_rate(self) -> Optional[float]:
        """Return the share of finished plays through this node that ended lost."""
        return self.plays_lost / self.plays_finished if self.plays_finished else None


@dataclass
class DimensionStat:
    """A rubric dimension read as a quiz item."""

    key: str
    count: int
    facility: Optional[float]
    sd: Optional[float]
    discrimination: Optional[float]
    flags: list
    histogram: list


@dataclass
class ScenarioAnalytics:
    """Everything the analytics page shows for one scenario (all versions or one)."""

    scenario: Scenario
    versions: list  # [(number, plays)]
    version: Optional[int]  # the filter, None for all versions
    definition: Optional[ScenarioDef]  # the version shown (the filter's, else the current one)
    definition_data: Optional[dict]  # the same, as stored (the YAML shape), for the graph picture
    plays: int = 0
    finished: int = 0
    abandoned: int = 0
    active: int = 0
    learners: int = 0
    outcomes: list = field(default_factory=list)  # [(outcome, count)], won first
    mean: Optional[float] = None
    median: Optional[float] = None
    sd: Optional[float] = None
    cic: Optional[float] = None
    won_rate: Optional[float] = None
    histogram: list = field(default_factory=lambda: [0] * HISTOGRAM_BINS)
    dimensions: list = field(default_factory=list)
    nodes: list = field(default_factory=list)

    @property
    def completion_rate(self) -> Optional[float]:
        """Return finished plays / plays started."""
        return self.finished / self.plays if self.plays else None

    def node_stats(self) -> dict:
        """Return {node key: {"fail_rate", "lost_rate", "visits"}} for the graph picture."""
        return {n.key: {"fail_rate": n.fail_rate, "lost_rate": n.lost_rate, "visits": n.visits} for n in self.nodes}


def _bin(value: float, bins: int) -> int:
    """Return the histogram bin of a 0..1 value (1.0 falls in the last bin)."""
    return max(0, min(bins - 1, int(value * bins + 1e-9)))


def _outcome_order(outcome: str) -> tuple:
    return (outcome != "won", outcome == "lost", outcome)


def scenario_analytics(scenario: Scenario, version: Optional[int] = None) -> ScenarioAnalytics:
    """Compute the analytics of a scenario's plays, of every version or of version number ``version``."""
    versions = list(db.session.scalars(
        sa.select(ScenarioVersion).where(ScenarioVersion.scenario_id == scenario.id)
        .options(undefer(ScenarioVersion.definition)).order_by(ScenarioVersion.number)
    ))
    by_number = {v.number: v for v in versions}
    if version is not None and version not in by_number:
        raise NotFound("version")
    shown = by_number.get(version if version is not None else scenario.current_version) or (
        versions[-1] if versions else None)
    defs = {v.id: definition(v) for v in versions}

    stmt = sa.select(Play.id, Play.user_id, Play.version_id, Play.status, Play.outcome, Play.score, Play.scores) \
        .where(Play.scenario_id == scenario.id)
    step_stmt = sa.select(PlayStep.play_id, PlayStep.node, PlayStep.kind, PlayStep.choice_index, PlayStep.label,
                          PlayStep.score, PlayStep.possible) \
        .join(Play, Play.id == PlayStep.play_id).where(Play.scenario_id == scenario.id)
    if version is not None:
        stmt = stmt.where(Play.version_id == by_number[version].id)
        step_stmt = step_stmt.where(Play.version_id == by_number[version].id)
    play_rows = db.session.execute(stmt.order_by(Play.id)).all()
    step_rows = db.session.execute(step_stmt.order_by(PlayStep.play_id, PlayStep.index)).all()

    per_version = dict(db.session.execute(
        sa.select(Play.version_id, sa.func.count(Play.id)).where(Play.scenario_id == scenario.id)
        .group_by(Play.version_id)
    ).all())
    result = ScenarioAnalytics(
        scenario=scenario, version=version, definition=defs[shown.id] if shown else None,
        definition_data=shown.definition if shown else None,
        versions=[(v.number, per_version.get(v.id, 0)) for v in versions],
    )
    _play_figures(result, play_rows, result.definition)
    play_defs = {r.id: defs.get(r.version_id) for r in play_rows}
    result.nodes = _node_figures(result.definition, play_rows, step_rows, play_defs)
    return result


def _play_figures(result: ScenarioAnalytics, play_rows: list, shown: Optional[ScenarioDef]) -> None:
    """Fill in counts, outcomes, the score distribution and the rubric dimensions as items."""
    result.plays = len(play_rows)
    result.learners = len({r.user_id for r in play_rows})
    finished = [r for r in play_rows if r.status == PLAY_FINISHED]
    result.finished = len(finished)
    result.abandoned = sum(1 for r in play_rows if r.status == PLAY_ABANDONED)
    result.active = result.plays - result.finished - result.abandoned
    counts = Counter(r.outcome or "" for r in finished)
    for outcome in (shown.outcomes if shown else []):
        counts.setdefault(outcome, 0)
    result.outcomes = sorted(counts.items(), key=lambda item: _outcome_order(item[0]))
    rubric = list(shown.rubric) if shown else []
    for r in finished:
        rubric += [dim for dim in (r.scores or {}) if dim not in rubric]
    names = {dim: (dim, "dimension", i) for i, dim in enumerate(rubric)}
    rows = [{dim: float(v) for dim, v in (r.scores or {}).items()} for r in finished]
    stats = compute_stats(rows, names, [float(r.score or 0.0) for r in finished],
                          [r.outcome == "won" for r in finished])
    result.mean, result.median, result.sd = stats.mean, stats.median, stats.sd
    # Cronbach's alpha needs every item on every attempt; plays whose path skipped a dimension break that.
    result.cic = stats.cic if all(len(row) == len(rubric) for row in rows) else None
    result.won_rate, result.histogram = stats.pass_rate, stats.histogram
    for q in stats.questions:
        hist = [0] * DIMENSION_BINS
        for row in rows:
            if q.key in row:
                hist[_bin(row[q.key], DIMENSION_BINS)] += 1
        result.dimensions.append(_dimension(q, hist))


def _dimension(q: QuestionStats, histogram: list) -> DimensionStat:
    return DimensionStat(key=q.key, count=q.count, facility=q.facility, sd=q.sd, discrimination=q.discrimination,
                         flags=q.flags, histogram=histogram)


def _node_figures(shown: Optional[ScenarioDef], play_rows: list, step_rows: list, play_defs: dict) -> list:
    """Return the node statistics, the nodes where learners go wrong most often first."""
    nodes: dict[str, NodeStat] = {}
    if shown is not None:
        for key, node in shown.nodes.items():
            if node.is_ending:
                continue
            offered = node_possible(node)
            stat = nodes[key] = NodeStat(key=key, customer=node.customer,
                                         kind="free_text" if node.free_text is not None else "choices",
                                         offered=offered_points(offered))
            if node.free_text is not None:
                stat.answers = [AnswerStat("label", label, points=dict(node.free_text.score_for(label)),
                                           wrong=went_wrong(node.free_text.score_for(label), offered))
                                for label in SPIN_LABELS]
            else:
                stat.answers = [AnswerStat("choice", c.text, points=dict(c.score), wrong=went_wrong(c.score, offered))
                                for c in node.choices]
    outcome_of = {r.id: (r.status, r.outcome) for r in play_rows}
    through: dict[str, set] = defaultdict(set)
    for s in step_rows:
        stat = nodes.get(s.node)
        if stat is None:
            stat = nodes[s.node] = NodeStat(key=s.node, customer="", kind="missing")
        stat.visits += 1
        wrong = went_wrong(s.score, s.possible)
        if wrong is not None:
            stat.rated += 1
            stat.failures += int(wrong)
        through[s.node].add(s.play_id)
        _count_answer(stat, s, play_defs.get(s.play_id))
    for key, play_ids in through.items():
        ends = [outcome_of[pid] for pid in play_ids if pid in outcome_of]
        nodes[key].plays_finished = sum(1 for status, _ in ends if status == PLAY_FINISHED)
        nodes[key].plays_lost = sum(1 for status, outcome in ends if status == PLAY_FINISHED and outcome == "lost")
    for stat in nodes.values():
        total = sum(a.count for a in stat.answers)
        for a in stat.answers:
            a.share = a.count / total if total else None
    return sorted(nodes.values(), key=lambda n: (
        n.fail_rate is None, -(n.fail_rate or 0), -n.failures, n.lost_rate is None, -(n.lost_rate or 0),
        -n.visits, n.key))


def _count_answer(stat: NodeStat, step, play_def: Optional[ScenarioDef]) -> None:
    """Add one step to its node's answer counts: choices by their text, typed lines by SPIN label."""
    if step.kind == "free_text":
        kind, text = "label", step.label or "other"
    else:
        node = play_def.nodes.get(step.node) if play_def else None
        index = step.choice_index
        if node is not None and index is not None and 0 <= index < len(node.choices):
            kind, text = "choice", node.choices[index].text
        else:
            kind, text = "choice", f"#{(index or 0) + 1}"
    for answer in stat.answers:
        if answer.kind == kind and answer.text == text:
            answer.count += 1
            return
    stat.answers.append(AnswerStat(kind, text, count=1, in_version=False))
