"""Deal data use-cases: import CRM files, fit and save behaviour-model runs, compare runs."""

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Optional

import numpy as np
import sqlalchemy as sa
import yaml
from flask import current_app

from app.content.deals_csv import OPEN, DealsFile
from app.extensions import db
from app.models.deals import Deal, DealActivity, ModelRun
from app.models.people import User
from app.services.errors import NotFound, ValidationError

CHUNK = 500  # rows per IN (...) lookup: well under every database's parameter limit
IMPORTED = "imported deals"  # the source of runs fitted on the stored deals (not on a --csv file)


@dataclass
class ImportSummary:
    """What an import did (or, for a dry run, would do)."""

    source: str
    dry_run: bool
    total: int = 0
    created: int = 0
    updated: int = 0
    won: int = 0
    lost: int = 0
    open: int = 0
    activities: int = 0
    owners_matched: int = 0
    behaviours: tuple = ()
    unmatched_emails: list = field(default_factory=list)
    notes: tuple = ()


def _chunks(items: list, size: int = CHUNK):
    """Yield successive slices of ``items``."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def import_deals(deals_file: DealsFile, dry_run: bool = False,
                 progress: Optional[Callable[[int], None]] = None) -> ImportSummary:
    """Insert or update every deal of a validated file (matched on deal_id); one commit.

    Owners are matched to users by email. When the file came with activities,
    each imported deal's stored activities are replaced by the new ones.
    """
    summary = ImportSummary(source=deals_file.name, dry_run=dry_run, total=len(deals_file.deals),
                            behaviours=deals_file.behaviours, notes=deals_file.notes,
                            activities=len(deals_file.activities))
    emails = sorted({d.owner_email for d in deals_file.deals if d.owner_email})
    users = {}
    for part in _chunks(emails):
        users.update(db.session.execute(
            sa.select(sa.func.lower(User.email), User.id).where(sa.func.lower(User.email).in_(part))
        ).all())
    summary.unmatched_emails = [e for e in emails if e not in users][:20]
    by_deal = {}
    for a in deals_file.activities:
        by_deal.setdefault(a.deal_id, []).append(a)
    for part in _chunks(list(deals_file.deals)):
        existing = dict(db.session.execute(
            sa.select(Deal.deal_id, Deal.id).where(Deal.deal_id.in_([r.deal_id for r in part]))).all())
        for row in part:
            setattr(summary, row.outcome, getattr(summary, row.outcome) + 1)
            summary.owners_matched += row.owner_email in users
        summary.updated += len(existing)
        summary.created += len(part) - len(existing)
        if not dry_run:
            _write_chunk(part, existing, users, by_deal, bool(deals_file.activities))
        if progress:
            progress(len(part))
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return summary


def _write_chunk(part: list, existing: dict, users: dict, by_deal: dict, replace_activities: bool) -> None:
    """Insert the new deals and update the known ones of one chunk, in bulk (thousands of rows per second)."""
    values = [{
        "deal_id": r.deal_id, "outcome": r.outcome, "stage": r.stage, "owner_email": r.owner_email,
        "owner_id": users.get(r.owner_email), "amount": r.amount, "created_at": r.created_at,
        "closed_at": r.closed_at, "lead_grade": r.lead_grade, "channel": r.channel,
        "behaviours": dict(r.behaviours),
    } for r in part]
    updates = [{**v, "id": existing[v["deal_id"]]} for v in values if v["deal_id"] in existing]
    inserts = [v for v in values if v["deal_id"] not in existing]
    if updates:
        db.session.execute(sa.update(Deal), updates)
    ids = dict(existing)
    if inserts:
        rows = db.session.execute(
            sa.insert(Deal).returning(Deal.deal_id, Deal.id, sort_by_parameter_order=True), inserts)
        ids.update((deal_id, pk) for deal_id, pk in rows)
    if replace_activities and existing:
        db.session.execute(sa.delete(DealActivity).where(DealActivity.deal_pk.in_(list(existing.values()))))
    activities = [{"deal_pk": ids[r.deal_id], "activity": a.activity, "occurred_at": a.occurred_at}
                  for r in part for a in by_deal.get(r.deal_id, ())]
    if activities:
        db.session.execute(sa.insert(DealActivity), activities)


def deal_matrix(rows: Iterable) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Return counts X, outcomes y (1 won) and behaviour names for the closed deals in ``rows``.

    ``rows`` are (behaviours dict, outcome) pairs; a behaviour missing from a
    deal counts 0; names keep the order they first appear in.
    """
    closed = [(b or {}, o) for b, o in rows if o != OPEN]
    names = tuple(dict.fromkeys(k for b, _ in closed for k in b))
    X = np.array([[float(b.get(k, 0.0)) for k in names] for b, _ in closed], dtype=float)
    X = X.reshape(len(closed), len(names))
    y = np.array([o == "won" for _, o in closed], dtype=int)
    return X, y, names


def stored_deal_matrix() -> tuple[np.ndarray, np.ndarray, tuple]:
    """Return the imported closed deals as a matrix (ordered by deal_id, so runs are reproducible)."""
    rows = db.session.execute(
        sa.select(Deal.behaviours, Deal.outcome).where(Deal.outcome != OPEN).order_by(Deal.deal_id)
    ).all()
    return deal_matrix(rows)


def fit_run(deals_file: Optional[DealsFile] = None, user: Optional[User] = None,
            on_fold: Optional[Callable[[], None]] = None, **options) -> ModelRun:
    """Fit the behaviour model on a file (or on the imported deals) and save the run; one commit."""
    from app.ml.ranking import BehaviourRanker

    if deals_file is not None:
        X, y, names = deal_matrix((d.behaviours, d.outcome) for d in deals_file.deals)
        source = Path(deals_file.name).name
    else:
        X, y, names = stored_deal_matrix()
        source = IMPORTED
    ranker = BehaviourRanker(**options).fit(X, y, names, on_fold=on_fold)
    result = ranker.result_
    if deals_file is None:
        # Sellers' gaps are read on every mentor's home page: work them out once, per run.
        from app.services.deal_coaching import compute_seller_gaps, gaps_for_storage

        ranker.params_["seller_gaps"] = gaps_for_storage(compute_seller_gaps(result))
    run = ModelRun(
        created_by_id=user.id if user is not None else None, source=source[:255],
        data_hash=ranker.params_["data_hash"], n_deals=result["n_deals"], n_won=result["n_won"],
        cv_auc=result["metrics"]["cv_auc"], metrics=result["metrics"], result=result, params=ranker.params_,
    )
    db.session.add(run)
    db.session.commit()
    return run


def list_runs(limit: int = 50) -> list[ModelRun]:
    """Return the latest runs, newest first."""
    return list(db.session.scalars(sa.select(ModelRun).order_by(ModelRun.id.desc()).limit(limit)))


def latest_run(imported_only: bool = False) -> Optional[ModelRun]:
    """Return the newest run (only runs on the stored deals with ``imported_only``), or None."""
    stmt = sa.select(ModelRun).order_by(ModelRun.id.desc()).limit(1)
    if imported_only:
        stmt = stmt.where(ModelRun.source == IMPORTED)
    return db.session.scalar(stmt)


def get_run(run_id: int) -> ModelRun:
    """Return a run or raise NotFound."""
    run = db.session.get(ModelRun, run_id)
    if run is None:
        raise NotFound("model run")
    return run


@dataclass(frozen=True)
class RunComparison:
    """Two runs side by side: metrics and each behaviour's rank and importance in both."""

    a: ModelRun
    b: ModelRun
    rows: list


def compare_runs(a_id: int, b_id: int) -> RunComparison:
    """Return runs ``a_id`` and ``b_id`` compared behaviour by behaviour."""
    if a_id == b_id:
        raise ValidationError("choose two different runs", field="b")
    a, b = get_run(a_id), get_run(b_id)
    ranked = [{r["name"]: (i + 1, r) for i, r in enumerate(run.result.get("behaviours", []))} for run in (a, b)]
    leak = [set(run.result.get("leakage", [])) for run in (a, b)]
    names = list(dict.fromkeys([*ranked[0], *ranked[1], *leak[0], *leak[1]]))
    rows = []
    for name in names:
        cells = []
        for side in (0, 1):
            rank, row = ranked[side].get(name, (None, None))
            cells.append({"rank": rank, "row": row, "leakage": name in leak[side]})
        imp = [c["row"]["importance"] if c["row"] else None for c in cells]
        delta = imp[1] - imp[0] if None not in imp else None
        rows.append({"name": name, "a": cells[0], "b": cells[1], "delta": delta})
    rows.sort(key=lambda r: (r["b"]["rank"] or r["a"]["rank"] or 999, r["name"]))
    return RunComparison(a=a, b=b, rows=rows)


def deal_counts() -> dict:
    """Return how many deals are stored, by outcome, and how many have a known owner."""
    counts = dict(db.session.execute(sa.select(Deal.outcome, sa.func.count(Deal.id)).group_by(Deal.outcome)).all())
    owned = db.session.scalar(sa.select(sa.func.count(Deal.id)).where(Deal.owner_id.is_not(None)))
    return {"won": counts.get("won", 0), "lost": counts.get("lost", 0), "open": counts.get("open", 0),
            "total": sum(counts.values()), "owned": owned or 0}


@lru_cache(maxsize=4)
def _vocabulary(path: str, mtime: float) -> dict:
    """Return behaviours.yaml's mapping (cached per file version)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return data.get("behaviours") or {}


def behaviour_labels(locale: str = "en") -> dict[str, str]:
    """Return {behaviour key: label} from content/behaviours.yaml in ``locale`` (English fallback)."""
    path = Path(current_app.config["CONTENT_DIR"]) / "behaviours.yaml"
    try:
        vocabulary = _vocabulary(str(path), path.stat().st_mtime)
    except (OSError, yaml.YAMLError):
        return {}
    return {key: str(labels.get(locale) or labels.get("en") or key) for key, labels in vocabulary.items()
            if isinstance(labels, dict)}


def label_for(key: str, labels: dict) -> str:
    """Return a behaviour's label, or its column name when the vocabulary has none."""
    return labels.get(key) or key
