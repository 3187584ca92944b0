"""`flask deals import` and `flask model rank`: all or nothing, upserts, the JSON contract."""

import json

import sqlalchemy as sa

from app.extensions import db
from app.models.deals import Deal, DealActivity, ModelRun
from app.services.insights_demo import generate_deals
from tests.factories import make_user
from tests.factories_insights import write_csv

DEALS = (
    "deal_id,outcome,owner_email,closed_at,demos,needs_confirmation_call\n"
    "A,Closed Won,Seller@Example.com,2026-03-01,2,1\n"
    "B,lost,nobody@example.com,2026-03-02,0,0\n"
    "C,Negotiation,,,1,0\n"
)


def deal_ids() -> list[str]:
    """Return the stored deal ids."""
    return list(db.session.scalars(sa.select(Deal.deal_id).order_by(Deal.deal_id)))


def test_import_stores_deals_and_matches_owners(runner, tmp_path):
    """Deals are stored with typed fields; owners are matched by email, case-insensitively."""
    seller = make_user(email="seller@example.com")
    result = runner.invoke(args=["deals", "import", str(write_csv(tmp_path, DEALS))])
    assert result.exit_code == 0, result.output
    assert "3 new, 0 updated (1 won, 1 lost, 1 open)" in result.output
    assert "nobody@example.com" in result.output
    a = db.session.scalar(sa.select(Deal).where(Deal.deal_id == "A"))
    assert (a.outcome, a.stage, a.owner_id) == ("won", "Closed Won", seller.id)
    assert a.behaviours == {"demos": 2.0, "needs_confirmation_call": 1.0}
    assert a.closed_at.tzinfo is not None
    assert db.session.scalar(sa.select(Deal.outcome).where(Deal.deal_id == "C")) == "open"


def test_reimport_updates_instead_of_duplicating(runner, tmp_path):
    """Importing the same ids again updates those deals."""
    runner.invoke(args=["deals", "import", str(write_csv(tmp_path, DEALS))])
    changed = DEALS.replace("C,Negotiation,,,1,0", "C,closedwon,,2026-04-01,3,1")
    result = runner.invoke(args=["deals", "import", str(write_csv(tmp_path, changed, "again.csv"))])
    assert result.exit_code == 0, result.output
    assert "0 new, 3 updated" in result.output
    assert deal_ids() == ["A", "B", "C"]
    c = db.session.scalar(sa.select(Deal).where(Deal.deal_id == "C"))
    assert (c.outcome, c.behaviours["demos"]) == ("won", 3.0)


def test_a_bad_row_imports_nothing(runner, tmp_path):
    """One bad row: non-zero exit, FILE:LINE in the message, no deal stored."""
    path = write_csv(tmp_path, DEALS + "D,won,,2026-13-45,1,1\n")
    result = runner.invoke(args=["deals", "import", str(path)])
    assert result.exit_code != 0
    assert f"{path}:5: closed_at '2026-13-45' is not a date" in result.output
    assert deal_ids() == []


def test_dry_run_changes_nothing(runner, tmp_path):
    """--dry-run validates and reports what would happen."""
    result = runner.invoke(args=["deals", "import", str(write_csv(tmp_path, DEALS)), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would import 3 deals" in result.output
    assert deal_ids() == []


def test_missing_file_is_a_user_error(runner, tmp_path):
    """A path that does not exist is reported, not a traceback."""
    result = runner.invoke(args=["deals", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1
    assert "nope.csv: cannot read" in result.output


def test_activities_are_stored_and_replaced_on_reimport(runner, tmp_path):
    """Activities before the close become counts; re-importing replaces a deal's activities."""
    deals = write_csv(tmp_path, DEALS)
    acts = write_csv(tmp_path, "deal_id,activity,occurred_at\nA,visits,2026-02-01\nA,visits,2026-03-05\n", "a.csv")
    result = runner.invoke(args=["deals", "import", str(deals), "--activities", str(acts)])
    assert result.exit_code == 0, result.output
    a = db.session.scalar(sa.select(Deal).where(Deal.deal_id == "A"))
    assert a.behaviours["visits"] == 1.0
    assert db.session.scalar(sa.select(sa.func.count(DealActivity.id))) == 2
    runner.invoke(args=["deals", "import", str(deals), "--activities", str(acts)])
    assert db.session.scalar(sa.select(sa.func.count(DealActivity.id))) == 2


def test_model_rank_on_a_csv_writes_the_contract_and_saves_a_run(runner, tmp_path):
    """--csv ranks the file, writes the DESIGN §6 JSON and records the run."""
    path = write_csv(tmp_path, generate_deals(300, seed=5).to_csv(";"))
    out = tmp_path / "rank.json"
    result = runner.invoke(args=["model", "rank", "--csv", str(path), "--json", str(out), "--folds", "3",
                                 "--repeats", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert set(data) == {"n_deals", "n_won", "metrics", "behaviours", "warnings", "leakage"}
    assert data["leakage"] == ["contract_signed"]
    assert data["behaviours"][0]["importance"] >= data["behaviours"][-1]["importance"]
    run = db.session.scalar(sa.select(ModelRun))
    assert (run.n_deals, run.source, run.result) == (data["n_deals"], "deals.csv", data)
    assert len(run.data_hash) == 64 and run.params["sklearn"]
    assert deal_ids() == []  # --csv does not import


def test_model_rank_without_csv_uses_imported_deals(runner, tmp_path):
    """Without --csv the imported closed deals are ranked; the same data gives the same hash."""
    runner.invoke(args=["deals", "import", str(write_csv(tmp_path, generate_deals(200, seed=6).to_csv()))])
    for _ in range(2):
        result = runner.invoke(args=["model", "rank", "--json", "-", "--folds", "3", "--repeats", "1"])
        assert result.exit_code == 0, result.output
    runs = list(db.session.scalars(sa.select(ModelRun)))
    assert len(runs) == 2 and runs[0].data_hash == runs[1].data_hash
    assert runs[0].source == "imported deals"
    assert runs[0].n_deals == db.session.scalar(sa.select(sa.func.count(Deal.id)).where(Deal.outcome != "open"))


def test_model_rank_with_no_deals_warns(runner, tmp_path):
    """An empty database gives an empty ranking with warnings, not a crash."""
    out = tmp_path / "rank.json"
    result = runner.invoke(args=["model", "rank", "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["n_deals"] == 0 and data["behaviours"] == [] and data["warnings"]
