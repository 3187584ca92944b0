"""Factories for deal-insights tests: deal files, stored deals, runs and courses."""

from pathlib import Path

from app.content.deals_csv import parse_deals
from app.extensions import db
from app.models.deals import Deal
from app.services.deals import fit_run, import_deals
from app.services.insights_demo import generate_deals

# Small but enough to rank: fast options for tests (few folds and repeats).
FAST = {"n_splits": 3, "n_repeats": 1, "perm_repeats": 3}


def write_csv(tmp_path: Path, text: str, name: str = "deals.csv", encoding: str = "utf-8") -> Path:
    """Write CSV text to a file and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding=encoding, newline="")
    return path


def make_deal(deal_id: str = "D-1", outcome: str = "won", owner=None, **behaviours) -> Deal:
    """Store one deal with the given behaviour counts."""
    deal = Deal(deal_id=deal_id, outcome=outcome, stage=outcome, owner_id=owner.id if owner else None,
                owner_email=owner.email if owner else None, behaviours=behaviours)
    db.session.add(deal)
    db.session.commit()
    return deal


def import_generated(n: int = 300, seed: int = 0, owners: tuple = (), **options):
    """Generate planted deals, import them and return the generator's result."""
    generated = generate_deals(n, seed=seed, owners=tuple(u.email for u in owners), **options)
    import_deals(parse_deals(generated.to_csv(), "generated.csv"))
    return generated


def make_run(user=None, **options):
    """Fit and save a run on the stored deals with fast settings."""
    return fit_run(user=user, **{**FAST, **options})


def make_course(slug: str, behaviours: list, title: str | None = None):
    """Store a published course that trains ``behaviours``."""
    from app.models.library import Course

    course = Course(slug=slug, title=title or slug.replace("-", " ").title(), tier="new_hire",
                    behaviours=behaviours, published=True)
    db.session.add(course)
    db.session.commit()
    return course
