"""Closing the loop: from the behaviour ranking to training, recommendations and outcomes.

The other areas (library, role-play, mentoring, quizzes) may be absent or
empty; every reader here then returns "nothing" instead of failing.
"""

import importlib
import math
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Optional

import sqlalchemy as sa

from app.authz import can_mentor
from app.extensions import db
from app.models.deals import Deal, ModelRun, RecommendationDecision
from app.models.people import MentorPairing, User
from app.services.deals import latest_run
from app.services.errors import Conflict, NotFound

MIN_SELLER_DEALS = 3  # a seller needs this many deals before we compare their habits
MIN_WINNER_CLOSED = 5  # a seller needs this many closed deals to count among the winners
MIN_SHORTFALL = 0.2  # recommend only when a seller is at least 20 % off the winners' rate
MAX_GAPS = 3
DUE_IN_DAYS = 14


def _module(name: str):
    """Return another area's module, or None while that area has not landed.

    Model modules are used only once ``app.models`` has registered them: importing
    one late would add tables to the metadata that the database does not have.
    """
    if name.startswith("app.models."):
        return sys.modules.get(name)
    if "app.models" not in sys.modules:
        return None  # services need every area's models registered first
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


# --- what trains a behaviour -------------------------------------------------


@dataclass(frozen=True)
class TrainingItem:
    """A course or scenario that trains a behaviour."""

    kind: str  # course | scenario
    key: str
    title: str
    lang: Optional[str] = None


def training_for(behaviours) -> dict[str, list[TrainingItem]]:
    """Return, per behaviour key, the published courses then scenarios whose ``behaviours`` list it."""
    wanted = set(behaviours)
    found: dict[str, list[TrainingItem]] = {key: [] for key in wanted}
    course = getattr(_module("app.models.library"), "Course", None)
    if course is not None and wanted:
        stmt = sa.select(course).order_by(course.position, course.title)
        if hasattr(course, "published"):
            stmt = stmt.where(course.published.is_(True))
        for c in db.session.scalars(stmt):
            for key in wanted.intersection(c.behaviours or ()):
                found[key].append(TrainingItem("course", c.slug, c.title, getattr(c, "lang", None)))
    roleplay = _module("app.models.roleplay")
    scenario, link = getattr(roleplay, "Scenario", None), getattr(roleplay, "ScenarioBehaviour", None)
    if scenario is not None and link is not None and wanted:
        stmt = (sa.select(link.behaviour, scenario.slug, scenario.title, scenario.lang)
                .join(scenario, link.scenario_id == scenario.id)
                .where(link.behaviour.in_(wanted)).order_by(scenario.title))
        if hasattr(scenario, "published"):
            stmt = stmt.where(scenario.published.is_(True))
        for key, slug, title, lang in db.session.execute(stmt):
            found[key].append(TrainingItem("scenario", slug, title, lang))
    return found


# --- sellers' habits against the winners' ---------------------------------------


@dataclass(frozen=True)
class Gap:
    """A behaviour where a seller falls short of the sellers who win."""

    behaviour: str
    direction: str  # "+" do more, "-" do less
    seller_rate: float  # mean count per deal
    winners_rate: float
    importance: float
    shortfall: float  # 0..1, relative to the winners' (or the seller's, for "-") rate
    n_deals: int

    @property
    def score(self) -> float:
        """Return how much closing this gap should matter: importance × shortfall."""
        return self.importance * self.shortfall


def _per_deal_rates(rows, names) -> dict:
    """Return {owner_id: {"n": deals, "closed": n, "won": n, "rates": {name: mean count}}}."""
    sellers: dict = {}
    for owner_id, behaviours, outcome in rows:
        s = sellers.setdefault(owner_id, {"n": 0, "closed": 0, "won": 0, "sums": dict.fromkeys(names, 0.0)})
        s["n"] += 1
        s["closed"] += outcome != "open"
        s["won"] += outcome == "won"
        for name in names:
            s["sums"][name] += float((behaviours or {}).get(name, 0.0))
    for s in sellers.values():
        s["rates"] = {name: total / s["n"] for name, total in s.pop("sums").items()}
    return sellers


def _winners_rates(sellers: dict, rows, names) -> dict[int, dict]:
    """Return, per seller, the per-deal rates of the *other* sellers who win most.

    Winners are sellers with enough closed deals whose close rate is at or above
    the median of such sellers; with fewer than two of them, won deals stand in.
    """
    eligible = {o: s for o, s in sellers.items() if s["closed"] >= MIN_WINNER_CLOSED}
    if len(eligible) >= 2:
        cut = median(s["won"] / s["closed"] for s in eligible.values())
        winners = {o for o, s in eligible.items() if s["won"] / s["closed"] >= cut}
    else:
        winners = set()
    won_rows = [(b, o) for _, b, o in rows if o == "won"]
    won_rates = {n: sum(float((b or {}).get(n, 0.0)) for b, _ in won_rows) / len(won_rows) for n in names} \
        if won_rows else dict.fromkeys(names, 0.0)
    result = {}
    for owner in sellers:
        others = winners - {owner}
        if len(others) < 1:
            result[owner] = won_rates
            continue
        total = sum(sellers[o]["n"] for o in others)
        result[owner] = {n: sum(sellers[o]["rates"][n] * sellers[o]["n"] for o in others) / total for n in names}
    return result


def compute_seller_gaps(result: dict) -> dict[int, list[Gap]]:
    """Return each seller's most important gaps against the winners for a ranking ``result``.

    Reads every owned deal once; ``fit_run`` calls it when a run on the stored
    deals is saved, so pages read the stored gaps instead of all deals.
    """
    ranked = [b for b in result.get("behaviours", []) if (b.get("ci_low") or 0) > 0]
    names = [b["name"] for b in ranked]
    if not names:
        return {}
    stmt = sa.select(Deal.owner_id, Deal.behaviours, Deal.outcome).where(Deal.owner_id.is_not(None))
    rows = db.session.execute(stmt).all()
    sellers = _per_deal_rates(rows, names)
    winners = _winners_rates(sellers, rows, names)
    gaps: dict[int, list[Gap]] = {}
    for owner, s in sellers.items():
        if s["n"] < MIN_SELLER_DEALS:
            continue
        found = []
        for b in ranked:
            mine, theirs = s["rates"][b["name"]], winners[owner][b["name"]]
            if b["direction"] == "+":
                shortfall = (theirs - mine) / theirs if theirs > 0 else 0.0
            else:
                shortfall = (mine - theirs) / mine if mine > 0 else 0.0
            if shortfall >= MIN_SHORTFALL:
                found.append(Gap(b["name"], b["direction"], round(mine, 2), round(theirs, 2), b["importance"],
                                 round(shortfall, 3), s["n"]))
        found.sort(key=lambda g: -g.score)
        if found:
            gaps[owner] = found[:MAX_GAPS]
    return gaps


def gaps_for_storage(gaps: dict[int, list[Gap]]) -> dict[str, list[dict]]:
    """Return gaps as JSON-ready data (keys become strings in JSON anyway)."""
    return {str(owner): [asdict(g) for g in found] for owner, found in gaps.items()}


def seller_gaps(run: Optional[ModelRun], owner_ids=None) -> dict[int, list[Gap]]:
    """Return sellers' gaps for ``run`` (stored with it when it was fitted), limited to ``owner_ids``.

    ``run`` should be fitted on the stored deals (a run on another file ranks
    behaviours these sellers may not even have).
    """
    if run is None:
        return {}
    stored = (run.params or {}).get("seller_gaps")
    if stored is None:  # a run saved before gaps were stored with it
        gaps = compute_seller_gaps(run.result)
    else:
        gaps = {int(owner): [Gap(**g) for g in found] for owner, found in stored.items()}
    wanted = set(owner_ids) if owner_ids is not None else None
    return {owner: found for owner, found in gaps.items() if wanted is None or owner in wanted}


# --- recommendations for mentors ---------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    """Assign ``item`` to ``mentee`` because of ``gap``."""

    mentee: User
    gap: Gap
    item: TrainingItem


def _assigned_targets(mentee_ids) -> set[tuple[int, str, str]]:
    """Return (mentee, kind, key) already assigned to the mentees (when assignments exist)."""
    assignment = getattr(_module("app.models.mentoring"), "Assignment", None)
    if assignment is None or not mentee_ids:
        return set()
    rows = db.session.execute(sa.select(assignment.assignee_id, assignment.kind, assignment.target_key)
                              .where(assignment.assignee_id.in_(list(mentee_ids))))
    return {tuple(r) for r in rows}


def recommendations_for(mentor: User, run: Optional[ModelRun] = None) -> list[Recommendation]:
    """Return training to assign to ``mentor``'s active mentees, most valuable first."""
    run = run if run is not None else latest_run(imported_only=True)
    mentees = {u.id: u for u in db.session.scalars(
        sa.select(User).join(MentorPairing, MentorPairing.mentee_id == User.id)
        .where(MentorPairing.mentor_id == mentor.id, MentorPairing.ended_on.is_(None)))}
    gaps = seller_gaps(run, mentees)
    if not gaps:
        return []
    training = training_for({g.behaviour for gs in gaps.values() for g in gs})
    decided = {(d.mentee_id, d.behaviour, d.kind, d.target_key) for d in db.session.scalars(
        sa.select(RecommendationDecision).where(RecommendationDecision.mentee_id.in_(list(gaps))))}
    assigned = _assigned_targets(gaps)
    found = []
    for mentee_id, mentee_gaps in gaps.items():
        for gap in mentee_gaps:
            # Courses before scenarios, and the mentee's own language first.
            options = sorted(training.get(gap.behaviour, ()), key=lambda i: (i.kind != "course",
                                                                               i.lang != mentees[mentee_id].locale))
            item = next((i for i in options
                         if (mentee_id, gap.behaviour, i.kind, i.key) not in decided
                         and (mentee_id, i.kind, i.key) not in assigned), None)
            if item is not None:
                found.append(Recommendation(mentees[mentee_id], gap, item))
    found.sort(key=lambda r: (-r.gap.score, r.mentee.name))
    return found


def _find(mentor: User, mentee_id: int, behaviour: str, kind: str, key: str) -> Recommendation:
    """Return the matching current recommendation, or raise NotFound."""
    if not can_mentor(mentor, mentee_id):
        raise NotFound("mentee")
    for rec in recommendations_for(mentor):
        if (rec.mentee.id, rec.gap.behaviour, rec.item.kind, rec.item.key) == (mentee_id, behaviour, kind, key):
            return rec
    raise NotFound("recommendation")


def accept_recommendation(mentor: User, mentee_id: int, behaviour: str, kind: str, key: str,
                          now: datetime, message: str = "") -> Recommendation:
    """Assign the recommended course or scenario to the mentee, due in two weeks, with ``message``; one commit."""
    assignments = _module("app.services.assignments")
    if assignments is None or not hasattr(assignments, "assign"):
        raise Conflict("assignments are not available yet")
    rec = _find(mentor, mentee_id, behaviour, kind, key)
    run = latest_run(imported_only=True)
    db.session.add(RecommendationDecision(
        mentee_id=mentee_id, behaviour=behaviour, kind=kind, target_key=key, decision="accepted",
        decided_by_id=mentor.id, run_id=run.id if run else None, decided_at=now))
    # The assignment service commits, and with it the decision added above: one commit for both.
    assignments.assign(mentor, [mentee_id], kind, key, (now + timedelta(days=DUE_IN_DAYS)).date(),
                       message, now)
    return rec


def dismiss_recommendation(mentor: User, mentee_id: int, behaviour: str, kind: str, key: str,
                           now: datetime) -> Recommendation:
    """Record that the mentor does not want this recommendation; it is not offered again."""
    rec = _find(mentor, mentee_id, behaviour, kind, key)
    run = latest_run(imported_only=True)
    db.session.add(RecommendationDecision(
        mentee_id=mentee_id, behaviour=behaviour, kind=kind, target_key=key, decision="dismissed",
        decided_by_id=mentor.id, run_id=run.id if run else None, decided_at=now))
    db.session.commit()
    return rec


# --- training beside outcomes --------------------------------------------------------


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[Optional[float], Optional[float]]:
    """Return the Wilson 95 % interval of a proportion (None, None when n is 0)."""
    if n == 0:
        return None, None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class SellerOutcome:
    """One seller's training record beside their deals."""

    user: User
    closed: int = 0
    won: int = 0
    open: int = 0
    win_low: Optional[float] = None
    win_high: Optional[float] = None
    courses_enrolled: int = 0
    courses_completed: int = 0
    quizzes_taken: int = 0
    quizzes_passed: int = 0
    quiz_attempts: int = 0
    quiz_mean: Optional[float] = None  # mean of the best score per quiz taken
    plays: int = 0
    play_dimensions: dict = None  # {dimension: (mean 0..1, n)}

    @property
    def win_rate(self) -> Optional[float]:
        """Return won / closed, or None without closed deals."""
        return self.won / self.closed if self.closed else None


def seller_outcomes() -> list[SellerOutcome]:
    """Return every seller with deals: close rate (Wilson interval) beside courses, quizzes and role-plays."""
    counts = db.session.execute(
        sa.select(Deal.owner_id, Deal.outcome, sa.func.count(Deal.id)).where(Deal.owner_id.is_not(None))
        .group_by(Deal.owner_id, Deal.outcome)).all()
    if not counts:
        return []
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_({c[0] for c in counts})))}
    rows = {uid: SellerOutcome(user=u, play_dimensions={}) for uid, u in users.items()}
    for owner, outcome, n in counts:
        if outcome == "open":
            rows[owner].open += n
        else:
            rows[owner].closed += n
            rows[owner].won += n if outcome == "won" else 0
    ids = list(rows)
    _add_courses(rows, ids)
    _add_quizzes(rows, ids)
    _add_plays(rows, ids)
    for row in rows.values():
        row.win_low, row.win_high = wilson(row.won, row.closed)
    return sorted(rows.values(), key=lambda r: (-(r.win_rate or 0), r.user.name))


def _add_courses(rows, ids) -> None:
    """Add course enrolments and completions (library area)."""
    enrolment = getattr(_module("app.models.library"), "Enrolment", None)
    if enrolment is None:
        return
    stmt = (sa.select(enrolment.user_id, sa.func.count(enrolment.id), sa.func.count(enrolment.completed_at))
            .where(enrolment.user_id.in_(ids)).group_by(enrolment.user_id))
    for uid, enrolled, completed in db.session.execute(stmt):
        rows[uid].courses_enrolled, rows[uid].courses_completed = enrolled, completed


def _add_quizzes(rows, ids) -> None:
    """Add quizzes taken and passed and the mean best score (quiz area; practice attempts never count)."""
    quizzes = _module("app.services.quizzes")
    if quizzes is None or not hasattr(quizzes, "quiz_results"):
        return
    quiz_ids = [q.id for q in quizzes.list_quizzes(include_unpublished=True)]
    best: dict = {}
    for (uid, _), result in quizzes.quiz_results(ids, quiz_ids).items():
        row = rows[uid]
        row.quizzes_taken += 1
        row.quizzes_passed += result.passed
        row.quiz_attempts += result.attempts
        best.setdefault(uid, []).append(result.best_score)
    for uid, scores in best.items():
        rows[uid].quiz_mean = sum(scores) / len(scores)


def _add_plays(rows, ids) -> None:
    """Add finished role-plays and the mean score per rubric dimension (role-play area)."""
    plays = _module("app.services.plays")
    if plays is None or not hasattr(plays, "play_results"):
        return
    sums: dict = {}
    for play in plays.play_results(ids):
        uid = play["user_id"]
        rows[uid].plays += 1
        for dim, value in (play.get("scores") or {}).items():
            if isinstance(value, (int, float)):
                total, n = sums.setdefault(uid, {}).get(dim, (0.0, 0))
                sums[uid][dim] = (total + float(value), n + 1)
    for uid, dims in sums.items():
        rows[uid].play_dimensions = {dim: (total / n, n) for dim, (total, n) in sorted(dims.items())}
