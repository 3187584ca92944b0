"""`flask scenario sync` reports scenarios whose file left the folder, and leaves them as they are."""

import shutil

import sqlalchemy as sa

from app.extensions import db
from app.models.roleplay import Scenario
from app.models.types import utcnow
from app.services import plays, studio
from app.services.scenario_sync import sync_scenarios
from tests.factories import make_user
from tests.factories_roleplay import BUDGET, SCENARIOS, SPIN_EN, TWINE


def copy_fixtures(tmp_path):
    """Return a writable copy of the fixture scenarios folder."""
    folder = tmp_path / "scenarios"
    shutil.copytree(SCENARIOS, folder)
    return folder


def test_a_deleted_file_is_reported_not_unpublished(app, tmp_path):
    """The scenario of a deleted file is listed, stays published and playable, and gets no new version."""
    folder = copy_fixtures(tmp_path)
    first = sync_scenarios(folder)
    assert first["missing_files"] == []
    (folder / "spin-discovery-en.yaml").unlink()
    notes = []
    summary = sync_scenarios(folder, report=notes.append)
    assert summary["missing_files"] == [SPIN_EN] and summary["unchanged"] == 2
    assert notes == [f"{SPIN_EN}: missing from files: in the database, but no file in {folder} has this id; "
                     f"left as it is (restore the file, or keep editing it in the studio)"]
    row = db.session.scalar(sa.select(Scenario).where(Scenario.slug == SPIN_EN))
    assert row.published and row.current_version == 1
    assert plays.start_play(make_user(), SPIN_EN).version.number == 1


def test_browser_scenarios_are_not_reported(app, tmp_path):
    """Scenarios created, uploaded or published in the browser have no file to miss; hidden ones are marked."""
    folder = copy_fixtures(tmp_path)
    sync_scenarios(folder)
    trainer = make_user(role="trainer")
    studio.create_scenario(trainer, "browser-only", "Made in the studio", "en", "spin")
    row = db.session.scalar(sa.select(Scenario).where(Scenario.slug == TWINE))
    row.edited_at = utcnow()  # published from the browser since
    budget = db.session.scalar(sa.select(Scenario).where(Scenario.slug == BUDGET))
    budget.published = False
    db.session.commit()
    for name in ("twine-demo.twee", "budget-objection-smb.yaml"):
        (folder / name).unlink()
    assert sync_scenarios(folder)["missing_files"] == [f"{BUDGET} (unpublished)"]


def test_cli_lists_missing_files(app, runner, tmp_path):
    """The command prints one line per missing scenario after the bar and counts them in the summary."""
    folder = copy_fixtures(tmp_path)
    assert runner.invoke(args=["scenario", "sync", "--dir", str(folder)]).exit_code == 0
    (folder / "budget-objection-smb.yaml").unlink()
    result = runner.invoke(args=["scenario", "sync", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    assert f"{BUDGET}: missing from files: in the database, but no file in {folder}" in result.output
    assert "missing_files 1" in result.output and "[" not in result.output
