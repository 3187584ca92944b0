"""Script A/B tests: create, split learners between two scenarios, compare the results, stop.

Only learners take part; trainers, admins and mentors always see both
variants. A learner's variant is fixed at first contact (the scenario list or a
scenario page while the test runs) and stored, one row per test and learner: a
random split draws it, a team split takes the variant of the team the learner
is in at that moment. The stored variant holds until the test stops, so a
learner who changes team keeps the script they started with. Learners in
neither team of a team split get no row: they see variant A and are not
counted.

Results are read per learner, on each learner's first finished play of their
variant during the test (later plays are practice on a known script), as
quiz statistics read first attempts. A team-split learner without a row (the
test started before team splits stored variants, or they have not opened the
scenarios yet) counts under their current team. Won rates are compared with a
two-proportion z-test, or Fisher's exact test when an expected cell count is
under five; mean scores with Welch's t-test.
"""

import hashlib
import math
import secrets
import statistics
import warnings
from dataclasses import dataclass, field
from typing import Iterable, Optional

import sqlalchemy as sa
from scipy import stats as scipy_stats
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models.experiments import (
    EXPERIMENT_RUNNING, EXPERIMENT_STOPPED, SPLIT_RANDOM, SPLIT_TEAM, SPLITS, Experiment, ExperimentAssignment,
    ExperimentTeam,
)
from app.models.people import Role, Team, User
from app.models.roleplay import PLAY_FINISHED, Play, Scenario
from app.models.types import utcnow
from app.services.errors import Conflict, NotFound, ValidationError
from app.services.plays import current_version
from app.services.studio import draft_from_definition

ALPHA = 0.05
#: Fewer finished learners than this per variant and the page warns that the test is too small.
MIN_SAMPLE = 30
HISTOGRAM_BINS = 10


# --- managing tests ----------------------------------------------------------------


def list_experiments() -> list[Experiment]:
    """Return every test, running ones first, newest first."""
    return list(db.session.scalars(
        sa.select(Experiment).options(joinedload(Experiment.variant_a), joinedload(Experiment.variant_b))
        .order_by(Experiment.status != EXPERIMENT_RUNNING, Experiment.created_at.desc(), Experiment.id.desc())
    ))


def get_experiment(experiment_id: int) -> Experiment:
    """Return a test with its variants and teams, or raise NotFound."""
    experiment = db.session.get(Experiment, experiment_id, options=[
        joinedload(Experiment.variant_a), joinedload(Experiment.variant_b),
        selectinload(Experiment.teams).joinedload(ExperimentTeam.team)])
    if experiment is None:
        raise NotFound("experiment")
    return experiment


def scenario_choices() -> list[Scenario]:
    """Return the scenarios a test may use (published ones), by title."""
    return list(db.session.scalars(sa.select(Scenario).where(Scenario.published.is_(True)).order_by(Scenario.title)))


def team_choices() -> list[Team]:
    """Return the teams a team split may use, by name."""
    return list(db.session.scalars(sa.select(Team).order_by(Team.name)))


def _running_with(scenario_ids: Iterable[int]) -> Optional[Experiment]:
    ids = list(scenario_ids)
    return db.session.scalar(sa.select(Experiment).where(
        Experiment.status == EXPERIMENT_RUNNING,
        sa.or_(Experiment.variant_a_id.in_(ids), Experiment.variant_b_id.in_(ids))).limit(1))


def create_experiment(user: User, name: str, variant_a_id: int, variant_b_id: int, split: str = SPLIT_RANDOM,
                      teams_a: Iterable[int] = (), teams_b: Iterable[int] = ()) -> Experiment:
    """Start a test of two published scenarios; a scenario takes part in one running test at a time."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("name the test", field="name")
    if split not in SPLITS:
        raise ValidationError("pick how to split learners", field="split")
    if variant_a_id == variant_b_id:
        raise ValidationError("variant B must be another scenario than variant A", field="variant_b")
    found = {s.id: s for s in db.session.scalars(sa.select(Scenario).where(
        Scenario.id.in_([variant_a_id, variant_b_id])))}
    for field_name, scenario_id in (("variant_a", variant_a_id), ("variant_b", variant_b_id)):
        if scenario_id not in found:
            raise ValidationError("pick a scenario", field=field_name)
        if not found[scenario_id].published:
            raise ValidationError("publish this scenario first", field=field_name)
    if _running_with([variant_a_id, variant_b_id]) is not None:
        raise ValidationError("one of these scenarios is already in a running test", field="variant_a")
    teams_a, teams_b = set(teams_a or ()), set(teams_b or ())
    if split == SPLIT_TEAM:
        if not teams_a:
            raise ValidationError("pick at least one team for variant A", field="teams_a")
        if not teams_b:
            raise ValidationError("pick at least one team for variant B", field="teams_b")
        if teams_a & teams_b:
            raise ValidationError("a team cannot see both variants", field="teams_b")
        known = set(db.session.scalars(sa.select(Team.id).where(Team.id.in_(teams_a | teams_b))))
        if known != teams_a | teams_b:
            raise ValidationError("pick existing teams", field="teams_a")
    now = utcnow()
    experiment = Experiment(name=name[:120], variant_a_id=variant_a_id, variant_b_id=variant_b_id, split=split,
                            status=EXPERIMENT_RUNNING, salt=secrets.token_hex(8), created_by_id=user.id,
                            created_at=now, started_at=now)
    if split == SPLIT_TEAM:
        experiment.teams = [ExperimentTeam(team_id=t, variant="a") for t in sorted(teams_a)] + \
                           [ExperimentTeam(team_id=t, variant="b") for t in sorted(teams_b)]
    db.session.add(experiment)
    db.session.commit()
    return experiment


def stop_experiment(experiment: Experiment) -> Experiment:
    """Stop a test: learners see both variants again; the assignments and results stay."""
    if not experiment.is_running:
        raise Conflict("this test has already stopped")
    experiment.status = EXPERIMENT_STOPPED
    experiment.stopped_at = utcnow()
    db.session.commit()
    return experiment


def make_variant(user: User, slug: str) -> Scenario:
    """Copy a scenario's current version into a new unpublished scenario ``<slug>-b`` whose draft is the copy."""
    source = db.session.scalar(sa.select(Scenario).where(Scenario.slug == slug))
    if source is None:
        raise NotFound("scenario")
    version = current_version(source)
    if version is None:
        raise ValidationError("this scenario has no published version to copy", field="scenario")
    taken = set(db.session.scalars(sa.select(Scenario.slug).where(Scenario.slug.like(f"{source.slug[:74]}-b%"))))
    new_slug = next(candidate for candidate in _variant_slugs(source.slug) if candidate not in taken)
    draft = draft_from_definition(version.definition)
    draft["id"] = new_slug
    draft["title"] = f"{version.title} (B)"[:200]
    now = utcnow()
    variant = Scenario(slug=new_slug, title=draft["title"], lang=source.lang, kind=source.kind, tier=source.tier,
                       persona=source.persona, current_version=0, published=False, draft=draft,
                       draft_updated_at=now, draft_by_id=user.id)
    db.session.add(variant)
    db.session.commit()
    return variant


def _variant_slugs(slug: str):
    """Yield ``<slug>-b``, ``<slug>-b2``, … within the 80-character slug limit."""
    yield f"{slug[:78]}-b"
    n = 2
    while True:
        suffix = f"-b{n}"
        yield f"{slug[:80 - len(suffix)]}{suffix}"
        n += 1


# --- what a learner sees ---------------------------------------------------------------


def _draw(experiment: Experiment, user_id: int) -> str:
    """Return a random-looking but reproducible variant for a learner (the test's salt makes each split new)."""
    digest = hashlib.sha256(f"{experiment.salt}:{user_id}".encode()).digest()
    return "a" if digest[0] % 2 == 0 else "b"


def find_assignment(experiment_id: int, user_id: int) -> Optional[ExperimentAssignment]:
    """Return a learner's stored variant of a test, if any."""
    return db.session.scalar(sa.select(ExperimentAssignment).where(
        ExperimentAssignment.experiment_id == experiment_id, ExperimentAssignment.user_id == user_id))


def assign(experiment: Experiment, user: User) -> Optional[str]:
    """Return a learner's variant of a test, storing it at first contact.

    None for a learner in neither team of a team split, who is not stored (and sees variant A).
    """
    variant = _store_assignment(experiment, user)
    db.session.commit()
    return variant


def _first_variant(experiment: Experiment, user: User) -> Optional[str]:
    """Return the variant a learner gets at first contact: drawn, or their current team's (None for neither team)."""
    if experiment.split == SPLIT_TEAM:
        return team_variant(experiment, user.team_id)
    return _draw(experiment, user.id)


def _store_assignment(experiment: Experiment, user: User) -> Optional[str]:
    """Insert a learner's first variant in a savepoint (no commit) and return the stored variant.

    Returns None, storing nothing, for a learner in neither team of a team
    split. Two first contacts at once both try to insert; the unique
    constraint lets one win and the other reads the winner's row.
    """
    found = find_assignment(experiment.id, user.id)
    if found is not None:
        return found.variant
    variant = _first_variant(experiment, user)
    if variant is None:
        return None
    try:
        with db.session.begin_nested():
            db.session.add(ExperimentAssignment(experiment_id=experiment.id, user_id=user.id, variant=variant))
    except sa.exc.IntegrityError:
        found = find_assignment(experiment.id, user.id)
        if found is None:
            raise
        return found.variant
    return variant


def team_variant(experiment: Experiment, team_id: Optional[int]) -> Optional[str]:
    """Return the variant of a team in a team-split test, or None for learners in neither team."""
    for link in experiment.teams:
        if link.team_id == team_id:
            return link.variant
    return None


def variant_redirects(user: User) -> dict[str, str]:
    """Return {slug the learner must not see: slug of their variant} over the running tests.

    Stores the learner's variant of each running test at first contact.
    Empty for trainers, admins and mentors, and for tests whose two scenarios
    are not both published.
    """
    if user.role != Role.LEARNER.value:
        return {}
    running = list(db.session.scalars(
        sa.select(Experiment).where(Experiment.status == EXPERIMENT_RUNNING)
        .options(joinedload(Experiment.variant_a), joinedload(Experiment.variant_b), selectinload(Experiment.teams))
    ))
    running = [e for e in running if e.variant_a.published and e.variant_b.published]
    if not running:
        return {}
    stored = dict(db.session.execute(sa.select(ExperimentAssignment.experiment_id, ExperimentAssignment.variant).where(
        ExperimentAssignment.user_id == user.id,
        ExperimentAssignment.experiment_id.in_([e.id for e in running]))).all())
    redirects, new_rows = {}, False
    for e in running:
        variant = stored.get(e.id)
        if variant is None:
            variant = _store_assignment(e, user)
            new_rows = new_rows or variant is not None
        variant = variant or "a"
        own, other = (e.variant_a, e.variant_b) if variant == "a" else (e.variant_b, e.variant_a)
        redirects[other.slug] = own.slug
    if new_rows:
        db.session.commit()
    return redirects


# --- statistics --------------------------------------------------------------------------


@dataclass
class TestResult:
    """A significance test of a difference between variants A and B."""

    test: Optional[str]  # "z" | "fisher" | "welch" | None when it cannot be computed
    a: Optional[float]
    b: Optional[float]
    statistic: Optional[float] = None
    p_value: Optional[float] = None

    @property
    def leader(self) -> Optional[str]:
        """Return the variant ahead ("a" or "b"), or None when level or unknown."""
        if self.a is None or self.b is None or math.isclose(self.a, self.b, abs_tol=1e-12):
            return None
        return "a" if self.a > self.b else "b"

    @property
    def significant(self) -> bool:
        """Return True when the difference is significant at the 5 % level."""
        return self.p_value is not None and self.p_value < ALPHA


def two_proportion_test(x_a: int, n_a: int, x_b: int, n_b: int) -> TestResult:
    """Compare two proportions: a two-sided pooled z-test, or Fisher's exact test when an expected count is under 5."""
    if not n_a or not n_b:
        return TestResult(None, x_a / n_a if n_a else None, x_b / n_b if n_b else None)
    p_a, p_b = x_a / n_a, x_b / n_b
    pooled = (x_a + x_b) / (n_a + n_b)
    expected = [n * p for n in (n_a, n_b) for p in (pooled, 1 - pooled)]
    if min(expected) < 5:
        statistic, p_value = scipy_stats.fisher_exact([[x_a, n_a - x_a], [x_b, n_b - x_b]])
        return TestResult("fisher", p_a, p_b, float(statistic), float(p_value))
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = (p_a - p_b) / se
    return TestResult("z", p_a, p_b, z, float(2 * scipy_stats.norm.sf(abs(z))))


def welch_test(a: list[float], b: list[float]) -> TestResult:
    """Compare two means with Welch's t-test (unequal variances); no p-value under two values a side."""
    mean_a = sum(a) / len(a) if a else None
    mean_b = sum(b) / len(b) if b else None
    if len(a) < 2 or len(b) < 2:
        return TestResult(None, mean_a, mean_b)
    if statistics.pvariance(a) == 0 and statistics.pvariance(b) == 0:
        return TestResult("welch", mean_a, mean_b)  # neither side varies: no test
    with warnings.catch_warnings():
        # scipy warns about precision loss when one side's scores are all equal; the test is still defined.
        warnings.simplefilter("ignore", RuntimeWarning)
        result = scipy_stats.ttest_ind(a, b, equal_var=False)
    statistic, p_value = float(result.statistic), float(result.pvalue)
    if math.isnan(p_value):
        return TestResult("welch", mean_a, mean_b)
    return TestResult("welch", mean_a, mean_b, statistic, p_value)


def mean_interval(values: list[float], level: float = 0.95) -> Optional[tuple[float, float]]:
    """Return the t-based confidence interval of a mean, clamped to 0..1, or None under two values."""
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    sem = statistics.stdev(values) / math.sqrt(len(values))
    if sem == 0:
        return (mean, mean)
    low, high = scipy_stats.t.interval(level, len(values) - 1, loc=mean, scale=sem)
    return (max(0.0, float(low)), min(1.0, float(high)))


@dataclass
class VariantResult:
    """One variant's figures over the test."""

    variant: str
    scenario: Scenario
    assigned: int = 0  # learners in the group (assigned or in its teams)
    learners: int = 0  # learners who started a play
    plays: int = 0
    finished: int = 0
    completed_learners: int = 0
    won: int = 0  # learners whose first finished play was won
    scores: list = field(default_factory=list)  # first finished play of each learner
    interval: Optional[tuple] = None
    histogram: list = field(default_factory=lambda: [0] * HISTOGRAM_BINS)

    @property
    def completion_rate(self) -> Optional[float]:
        """Return the share of learners who started and finished at least one play."""
        return self.completed_learners / self.learners if self.learners else None

    @property
    def won_rate(self) -> Optional[float]:
        """Return the share of learners whose first finished play was won."""
        return self.won / self.completed_learners if self.completed_learners else None

    @property
    def mean_score(self) -> Optional[float]:
        """Return the mean score of the learners' first finished plays."""
        return sum(self.scores) / len(self.scores) if self.scores else None


@dataclass
class ExperimentResults:
    """Both variants, the two significance tests, and whether the samples are too small."""

    experiment: Experiment
    a: VariantResult
    b: VariantResult
    won: TestResult
    score: TestResult
    too_small: bool


def _unstored_team_members(experiment: Experiment) -> sa.Select:
    """Select (user_id, variant) of the learners in a team split's teams who have no stored variant, by current team.

    Tests started before team splits stored variants have such learners, and
    any test has them until each learner first opens the scenarios.
    """
    stored = sa.select(ExperimentAssignment.id).where(
        ExperimentAssignment.experiment_id == experiment.id, ExperimentAssignment.user_id == User.id).correlate(User)
    return sa.select(User.id.label("user_id"), ExperimentTeam.variant.label("variant")) \
        .join(ExperimentTeam, ExperimentTeam.team_id == User.team_id) \
        .where(ExperimentTeam.experiment_id == experiment.id, User.role == Role.LEARNER.value, ~stored.exists())


def experiment_results(experiment: Experiment) -> ExperimentResults:
    """Compute a test's results in two queries, whatever the number of plays."""
    variant_of_scenario = {experiment.variant_a_id: "a", experiment.variant_b_id: "b"}
    group = sa.select(ExperimentAssignment.user_id.label("user_id"), ExperimentAssignment.variant.label("variant")) \
        .where(ExperimentAssignment.experiment_id == experiment.id)
    if experiment.split == SPLIT_TEAM:
        group = group.union_all(_unstored_team_members(experiment))
    group = group.subquery()
    assigned = dict(db.session.execute(
        sa.select(group.c.variant, sa.func.count()).group_by(group.c.variant)).all())
    window = [Play.started_at >= experiment.started_at]
    if experiment.stopped_at is not None:
        window.append(Play.started_at <= experiment.stopped_at)
    rows = db.session.execute(
        sa.select(Play.user_id, Play.scenario_id, Play.status, Play.outcome, Play.score, group.c.variant)
        .join(group, group.c.user_id == Play.user_id)
        .where(Play.scenario_id.in_(list(variant_of_scenario)), *window)
        .order_by(Play.finished_at.is_(None), Play.finished_at, Play.id)
    ).all()
    results = {"a": VariantResult("a", experiment.variant_a, assigned=assigned.get("a", 0)),
               "b": VariantResult("b", experiment.variant_b, assigned=assigned.get("b", 0))}
    seen, first_done = {}, set()
    for r in rows:
        variant = variant_of_scenario[r.scenario_id]
        if variant != r.variant:
            continue  # the other variant: played before joining a team, or unstored and changed team since
        v = results[variant]
        v.plays += 1
        seen.setdefault((variant, r.user_id), True)
        if r.status != PLAY_FINISHED:
            continue
        v.finished += 1
        if (variant, r.user_id) in first_done:
            continue
        first_done.add((variant, r.user_id))
        v.completed_learners += 1
        v.won += int(r.outcome == "won")
        score = float(r.score or 0.0)
        v.scores.append(score)
        v.histogram[max(0, min(HISTOGRAM_BINS - 1, int(score * HISTOGRAM_BINS + 1e-9)))] += 1
    for variant, _ in seen:
        results[variant].learners += 1
    for v in results.values():
        v.interval = mean_interval(v.scores)
    a, b = results["a"], results["b"]
    return ExperimentResults(
        experiment=experiment, a=a, b=b,
        won=two_proportion_test(a.won, a.completed_learners, b.won, b.completed_learners),
        score=welch_test(a.scores, b.scores),
        too_small=min(a.completed_learners, b.completed_learners) < MIN_SAMPLE,
    )
