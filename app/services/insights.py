"""What the deal-insights pages show: a run with labels, sentences' figures, training links, chart data."""

from dataclasses import dataclass, field
from typing import Optional

from app.content.deals_csv import parse_activities, parse_deals
from app.models.deals import ModelRun
from app.services import deal_coaching, deals
from app.services.errors import ImportProblems


@dataclass
class BehaviourView:
    """One ranked behaviour with its label and the training that targets it."""

    row: dict
    label: str
    training: list = field(default_factory=list)

    @property
    def certain(self) -> bool:
        """True when the importance interval lies above zero (the model really uses it)."""
        return (self.row.get("ci_low") or 0) > 0


@dataclass
class RunView:
    """A run ready for the page: ranked behaviours, leakage labels, chart data."""

    run: Optional[ModelRun]
    behaviours: list = field(default_factory=list)
    leakage: list = field(default_factory=list)
    warnings: list = field(default_factory=list)  # (details dict or None, English text)
    labels: dict = field(default_factory=dict)
    chart: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)


def build_run_view(run: Optional[ModelRun], locale: str = "en") -> RunView:
    """Return the page model of ``run`` (None: only the stored-deal counts)."""
    view = RunView(run=run, counts=deals.deal_counts())
    if run is None:
        return view
    labels = deals.behaviour_labels(locale)
    rows = run.result.get("behaviours", [])
    training = deal_coaching.training_for(r["name"] for r in rows)
    view.behaviours = [BehaviourView(r, deals.label_for(r["name"], labels), training.get(r["name"], [])) for r in rows]
    view.leakage = [(name, deals.label_for(name, labels)) for name in run.result.get("leakage", [])]
    texts = run.result.get("warnings", [])
    details = (run.params or {}).get("warning_details") or []
    view.warnings = list(zip(details, texts)) if len(details) == len(texts) else [(None, t) for t in texts]
    # Leaking behaviours have their own box on the page.
    view.warnings = [(d, t) for d, t in view.warnings if not (d and d.get("code") == "leakage")]
    view.labels = labels
    view.chart = {
        "labels": [b.label for b in view.behaviours],
        "datasets": [{
            "label": f"#{run.id}",
            "values": [b.row["importance"] for b in view.behaviours],
            "low": [b.row["ci_low"] for b in view.behaviours],
            "high": [b.row["ci_high"] for b in view.behaviours],
            "directions": [b.row["direction"] for b in view.behaviours],
        }],
    }
    return view


def build_compare_chart(comparison: deals.RunComparison, locale: str = "en") -> dict:
    """Return chart data with one dataset per run over the behaviours of both."""
    labels = deals.behaviour_labels(locale)
    rows = [r for r in comparison.rows if r["a"]["row"] or r["b"]["row"]]
    datasets = []
    for side, run in (("a", comparison.a), ("b", comparison.b)):
        cells = [r[side]["row"] or {} for r in rows]
        datasets.append({
            "label": f"#{run.id}",
            "values": [c.get("importance") for c in cells],
            "low": [c.get("ci_low") for c in cells],
            "high": [c.get("ci_high") for c in cells],
            "directions": [c.get("direction") for c in cells],
        })
    return {"labels": [deals.label_for(r["name"], labels) for r in rows], "datasets": datasets}


def _decode(data: bytes, name: str) -> str:
    """Return uploaded bytes as text, or raise ImportProblems naming the file."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportProblems([f"{name}:1: not UTF-8 text ({error.reason} at byte {error.start})"]) from None


def import_upload(deals_data: bytes, deals_name: str, activities_data: Optional[bytes] = None,
                  activities_name: str = "activities.csv", dry_run: bool = False) -> deals.ImportSummary:
    """Validate uploaded deals (and activities) files and import them; all or nothing."""
    parsed = parse_deals(_decode(deals_data, deals_name), name=deals_name)
    if activities_data:
        parsed = parse_activities(_decode(activities_data, activities_name), parsed, name=activities_name)
    return deals.import_deals(parsed, dry_run=dry_run)
