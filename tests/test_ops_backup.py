"""`flask export FILE` / `flask import FILE`: every row of every table survives SQLite → SQLite and → PostgreSQL."""

import hashlib
import json
import os
import re
import zipfile
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models.people import User
from app.services import backup, library
from app.services import quiz_attempts as qa
from tests.factories import make_pairing, make_team, make_user
from tests.factories_insights import make_deal
from tests.factories_library import make_course
from tests.factories_quiz import make_quiz
from tests.factories_roleplay import BUDGET, play_through, sync_fixture_scenarios, use_small_corpus

PG_ADMIN_URL = os.environ.get("OPS_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_TARGET = "rehearse_ops_restore"
WIN = [0, ("implication", "这会带来什么影响？"), 0]


def seed_organisation(app) -> None:
    """Put awkward data in many tables: cycles, self-references, JSON null vs SQL NULL, floats, dates, Chinese."""
    use_small_corpus(app)
    sync_fixture_scenarios()
    team = make_team("华东区 · 零售")
    mentor = make_user("mentor", team=team, name="王经理")
    learner = make_user(team=team, name="Zoë O'Brien", last_seen_at=datetime(2026, 3, 4, 5, 6, 7, 891011,
                                                                             tzinfo=timezone.utc))
    make_user(active=False, locale="zh")
    make_pairing(mentor, learner)
    make_course(slug="spin-basics", lessons=2, lang="zh", tags=["SPIN", "提问"])
    library.complete_lesson(learner, "spin-basics", "01-part")
    quiz = make_quiz()
    attempt = qa.start_attempt(quiz, learner)
    done = qa.submit_attempt(attempt.id, learner, attempt.submit_token, {})
    qa.start_practice(done, learner)  # practice_of_id points into its own table
    finished = play_through(learner, BUDGET, WIN)
    unfinished = play_through(mentor, BUDGET, [0])
    play = db.metadata.tables["play"]
    db.session.execute(sa.update(play).where(play.c.id == finished.id).values(score=0.1 + 0.2))
    db.session.execute(sa.update(play).where(play.c.id == unfinished.id).values(scores=sa.JSON.NULL, score=5e-324))
    db.session.commit()
    make_deal("D-1", "won", owner=learner, discovery_calls=3, demos=1)
    make_deal("D-2", "lost", owner=learner, discovery_calls=0, demos=0)


def snapshot() -> dict:
    """Return every row of every table (with the SQL-NULL flags of JSON columns), in primary-key order."""
    return {table.name: [tuple(row) for row in db.session.execute(backup._ordered_select(table))]
            for table in db.metadata.sorted_tables}


def fresh_app(url: str):
    """Return an app on ``url`` whose schema is freshly created and empty."""
    target = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with target.app_context():
        db.drop_all()
        db.create_all()
        db.session.remove()
    return target


def restore_into(target, path) -> tuple[object, dict]:
    """Run `flask import` on ``target`` and return (result, snapshot of the target)."""
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["import", str(path)])
        rows = snapshot()
        db.session.remove()
        db.engine.dispose()
    return result, rows


@pytest.fixture
def exported(app, runner, tmp_path):
    """Seed the source database, export it, and return (backup path, source snapshot)."""
    seed_organisation(app)
    path = tmp_path / "backup.zip"
    result = runner.invoke(args=["export", str(path)])
    assert result.exit_code == 0, result.output
    return path, snapshot()


@pytest.fixture
def pg_url():
    """Return the URL of an empty PostgreSQL database of our own, or skip when PostgreSQL is unreachable."""
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": PG_TARGET}).scalar()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{PG_TARGET}"'))
    except sa.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL is unreachable ({str(exc.orig).splitlines()[0]})")
    finally:
        engine.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_TARGET


def test_the_backup_has_a_manifest_and_one_json_lines_file_per_table(exported):
    """manifest.json lists format, schema revision and row counts matching the files."""
    path, source = exported
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["format"] == "rehearse-backup" and manifest["format_version"] == 1
        assert manifest["schema_revision"]
        names = [t["name"] for t in manifest["tables"]]
        assert names == [t.name for t in db.metadata.sorted_tables]
        for table in manifest["tables"]:
            lines = archive.read(f"tables/{table['name']}.jsonl").decode("utf-8").splitlines()
            assert len(lines) == table["rows"] == len(source[table["name"]])
    assert manifest["tables"][names.index("play")]["rows"] == 2


def test_round_trip_sqlite_to_sqlite_keeps_every_row(exported, tmp_path):
    """Every row of every table is equal after the restore: datetimes, dates, JSON, booleans, floats."""
    path, source = exported
    result, restored = restore_into(fresh_app(f"sqlite:///{tmp_path / 'restored.db'}"), path)
    assert result.exit_code == 0, result.output
    assert restored == source
    assert any(source[name] for name in ("play", "attempt", "course", "xapi_statement", "deal", "mentor_pairing"))


def test_round_trip_sqlite_to_postgresql_keeps_every_row_and_fixes_sequences(exported, pg_url):
    """The same backup restores into PostgreSQL identically, and new rows get fresh ids after it."""
    path, source = exported
    target = fresh_app(pg_url)
    result, restored = restore_into(target, path)
    assert result.exit_code == 0, result.output
    assert restored == source
    with target.app_context():
        user = User(email="new@example.com", name="New", role="learner", tier="new_hire", password_hash="x")
        db.session.add(user)
        db.session.commit()
        assert user.id == max(row[0] for row in source["user"]) + 1
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def test_json_null_and_sql_null_stay_apart(exported, tmp_path):
    """A JSON column holding JSON null is not turned into SQL NULL (or the other way round)."""
    path, source = exported
    target = fresh_app(f"sqlite:///{tmp_path / 'r.db'}")
    restore_into(target, path)
    with target.app_context():
        play = db.metadata.tables["play"]
        nulls = db.session.execute(sa.select(play.c.id, play.c.scores.is_(None)).order_by(play.c.id)).all()
        assert [flag for _, flag in nulls] == [False, False]
        raw = db.session.execute(sa.text("SELECT scores FROM play ORDER BY id")).scalars().all()
        assert raw[1] == "null"
        db.engine.dispose()


def test_import_refuses_a_database_with_data_and_changes_nothing(app, exported):
    """Importing into the non-empty source database is refused with a clear message."""
    path, source = exported
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "nothing was imported" in result.output and "empty database" in result.output
    assert snapshot() == source


def rewrite(path, out, table: str, edit) -> None:
    """Copy a backup, passing one table's file through ``edit`` and keeping the manifest consistent."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        manifest = json.loads(source.read("manifest.json"))
        for item in source.infolist():
            data = source.read(item)
            if item.filename == f"tables/{table}.jsonl":
                data = edit(data)
                entry = next(t for t in manifest["tables"] if t["name"] == table)
                entry["rows"], entry["sha256"] = len(data.splitlines()), hashlib.sha256(data).hexdigest()
            if item.filename != "manifest.json":
                target.writestr(item, data)
        target.writestr("manifest.json", json.dumps(manifest))


def test_a_damaged_file_is_found_before_anything_is_written(exported, tmp_path):
    """A table file that does not match the manifest's checksum is refused up front."""
    path, source = exported
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(damaged, "w") as out:
        for item in original.infolist():
            data = original.read(item)
            out.writestr(item, data.replace(b"spin", b"SPIN") if item.filename == "tables/course.jsonl" else data)
    result, restored = restore_into(fresh_app(f"sqlite:///{tmp_path / 'r.db'}"), damaged)
    assert result.exit_code == 1 and "tables/course.jsonl is damaged" in result.output
    assert all(rows == [] for rows in restored.values())


def test_a_failure_half_way_imports_nothing_at_all(exported, tmp_path):
    """The database refusing a row of a late table rolls back every table inserted before it."""
    path, source = exported
    last = [t.name for t in db.metadata.sorted_tables if source[t.name]][-1]
    broken = tmp_path / "broken.zip"
    rewrite(path, broken, last, lambda data: data + data.splitlines(keepends=True)[0])  # a duplicate id
    result, restored = restore_into(fresh_app(f"sqlite:///{tmp_path / 'r.db'}"), broken)
    assert result.exit_code == 1 and "the database refused the data" in result.output
    assert all(rows == [] for rows in restored.values())


def test_an_unreadable_value_names_the_file_and_line(exported, tmp_path):
    """A value that cannot be a date-time is reported as FILE:LINE, and nothing is imported."""
    path, _ = exported
    broken = tmp_path / "broken.zip"
    rewrite(path, broken, "team", lambda data: re.sub(rb'"created_at": "[^"]+"', b'"created_at": "soon"', data))
    result, restored = restore_into(fresh_app(f"sqlite:///{tmp_path / 'r.db'}"), broken)
    assert result.exit_code == 1 and "tables/team.jsonl:1: unreadable value" in result.output
    assert all(rows == [] for rows in restored.values())


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(format_version=99), "format version 99 is not supported"),
    (lambda m: m.update(format="something-else"), "not a Rehearse backup"),
    (lambda m: m["tables"].append({"name": "ghost", "rows": 0, "columns": ["id"], "sha256": ""}),
     "table 'ghost' this version of Rehearse does not know"),
])
def test_import_refuses_backups_it_cannot_read_faithfully(exported, tmp_path, change, message):
    """Another format, a newer format version, or an unknown table: refused before anything is written."""
    path, _ = exported
    edited = tmp_path / "edited.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(edited, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
            out.writestr(item, data)
    result, restored = restore_into(fresh_app(f"sqlite:///{tmp_path / 'r.db'}"), edited)
    assert result.exit_code == 1 and message in result.output
    assert all(rows == [] for rows in restored.values())


def test_import_refuses_another_schema_revision(exported, tmp_path):
    """A database migrated to another revision than the backup's is refused, with the way out."""
    path, _ = exported
    target = fresh_app(f"sqlite:///{tmp_path / 'r.db'}")
    with target.app_context():
        db.session.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        db.session.execute(sa.text("INSERT INTO alembic_version VALUES ('9999_future')"))
        db.session.commit()
        db.session.remove()
    result, _ = restore_into(target, path)
    assert result.exit_code == 1 and "9999_future" in result.output and "flask db upgrade" in result.output


def test_export_and_import_user_errors(app, runner, tmp_path):
    """An existing FILE needs --force; a file that is not a backup is named as such."""
    existing = tmp_path / "b.zip"
    existing.write_text("x")
    result = runner.invoke(args=["export", str(existing)])
    assert result.exit_code == 1 and "--force" in result.output
    assert runner.invoke(args=["export", "--force", str(existing)]).exit_code == 0
    junk = tmp_path / "junk.zip"
    junk.write_text("not a zip")
    result = runner.invoke(args=["import", str(junk)])
    assert result.exit_code == 1 and "not a Rehearse backup" in result.output
