"""Generated deals with planted behaviour effects, for the demo, the tests and the benchmark."""

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import sqlalchemy as sa

from app.extensions import db

# (behaviour, mean count, planted effect on the log-odds per log1p count)
PLANTED = (
    ("needs_confirmation_call", 0.9, 1.4),
    ("followups_within_24h", 1.5, 0.9),
    ("demos", 1.0, 0.6),
    ("discovery_calls", 2.0, 0.0),
    ("case_studies_shared", 0.8, 0.0),
    ("proposal_revisions", 1.2, 0.0),
    ("discount_offered", 0.6, -1.2),
)
INTERCEPT = -1.0
WON_SPELLINGS = ("won", "Closed Won", "closedwon", "yes", "1", "true", "WON")
LOST_SPELLINGS = ("lost", "Closed Lost", "closed_lost", "no", "0", "false")
OPEN_STAGES = ("open", "", "Negotiation", "Proposal sent")


@dataclass(frozen=True)
class GeneratedDeals:
    """Rows ready for deals.csv, plus the truth the generator planted."""

    rows: list
    columns: list
    true_probability: np.ndarray  # per closed row, in row order
    effects: dict

    def to_csv(self, delimiter: str = ",") -> str:
        """Return the rows as CSV text."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=self.columns, delimiter=delimiter, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        return out.getvalue()


def generate_deals(n: int = 600, seed: int = 0, owners: tuple = (), open_share: float = 0.1,
                   leakage: bool = True, correlated: bool = True, skill: dict | None = None,
                   prefix: str = "D") -> GeneratedDeals:
    """Return ``n`` deals whose outcomes follow the planted effects in ``PLANTED``.

    ``visits`` tracks ``demos`` closely (a correlated pair with no effect of its
    own), ``contract_signed`` is recorded only on won deals (leakage), about
    ``open_share`` of the deals are still open, and outcomes use mixed CRM
    spellings. ``skill`` maps an owner email to a multiplier of their
    behaviour counts, so some sellers do more of everything.
    """
    rng = np.random.default_rng(seed)
    owner_of = [owners[i % len(owners)] for i in range(n)] if owners else [None] * n
    factor = np.array([(skill or {}).get(o, 1.0) for o in owner_of])
    counts, logit = {}, np.full(n, INTERCEPT)
    for name, mean, effect in PLANTED:
        counts[name] = rng.poisson(mean * factor)
        logit += effect * np.log1p(counts[name])
    if correlated:
        counts["visits"] = counts["demos"] + rng.binomial(1, 0.15, n)
    probability = 1 / (1 + np.exp(-logit))
    won = rng.random(n) < probability
    is_open = rng.random(n) < open_share
    if leakage:
        counts["contract_signed"] = np.where(won & ~is_open, 1, 0)
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    rows = []
    for i in range(n):
        created = start + timedelta(days=int(rng.integers(0, 240)))
        if is_open[i]:
            outcome = OPEN_STAGES[i % len(OPEN_STAGES)]
        else:
            outcome = (WON_SPELLINGS if won[i] else LOST_SPELLINGS)[i % (7 if won[i] else 6)]
        row = {
            "deal_id": f"{prefix}{seed:02d}-{i + 1:06d}",
            "outcome": outcome,
            "owner_email": owner_of[i] or "",
            "amount": int(rng.integers(5, 200)) * 500,
            "created_at": created.date().isoformat(),
            "closed_at": "" if is_open[i] else (created + timedelta(days=int(rng.integers(7, 90)))).date().isoformat(),
            "lead_grade": "ABC"[int(rng.integers(0, 3))],
            "channel": ("inbound", "outbound", "partner")[int(rng.integers(0, 3))],
        }
        row.update({name: int(values[i]) for name, values in counts.items()})
        rows.append(row)
    columns = list(rows[0]) if rows else ["deal_id", "outcome"]
    effects = {name: effect for name, _, effect in PLANTED}
    effects.update(visits=0.0) if correlated else None
    return GeneratedDeals(rows=rows, columns=columns, true_probability=probability[~is_open], effects=effects)


DEMO_PREFIX = "DEMO-"
DEMO_DEALS = 720
# Demo sellers' habits: a multiplier of how much of each behaviour they do.
DEMO_SKILL = (1.4, 0.5, 1.1, 0.8, 1.25, 0.6, 1.0, 0.9, 1.3, 0.45, 1.15, 0.7, 1.05, 0.85, 1.2)


def seed_insights_demo(users: dict) -> None:
    """Import generated deals for the demo sellers and fit a first run (idempotent, a few seconds)."""
    from app.content.deals_csv import parse_deals
    from app.models.deals import Deal, ModelRun
    from app.services.deals import fit_run, import_deals

    sellers = sorted(email for email, user in users.items() if user.role in ("learner", "mentor"))
    exists = db.session.scalar(sa.select(Deal.id).where(Deal.deal_id.startswith(DEMO_PREFIX)).limit(1))
    if sellers and exists is None:
        skill = {email: DEMO_SKILL[i % len(DEMO_SKILL)] for i, email in enumerate(sellers)}
        generated = generate_deals(DEMO_DEALS, seed=26, owners=tuple(sellers), skill=skill, prefix=DEMO_PREFIX)
        import_deals(parse_deals(generated.to_csv(), "demo-deals.csv"))
    if db.session.scalar(sa.select(ModelRun.id).limit(1)) is None:
        fit_run(n_splits=5, n_repeats=2, perm_repeats=3)
