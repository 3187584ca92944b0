"""Back up and restore the whole organisation: a zip of one JSON-lines file per table plus a manifest.

Generic over ``db.metadata.sorted_tables``, so a new model is covered without
touching this module. The format (version 1) is described in docs/ops.md:

    manifest.json          {"format": "rehearse-backup", "format_version": 1, "created_at", "schema_revision",
                            "source_dialect", "tables": [{"name", "rows", "columns", "sha256"}, …]}
    tables/<table>.jsonl   one JSON object per row, in primary-key order

Values: datetimes and dates as ISO 8601 (with their offset, microseconds
kept), floats as JSON numbers (non-finite ones as "nan"/"inf"/"-inf"),
binary as base64, decimals as strings, JSON columns as JSON. A JSON column
holding the JSON literal ``null`` (rather than SQL NULL) is written as
``{"__json_null__": true}`` so both restore exactly.

A restore goes into an empty database with the same schema, in one
transaction (all or nothing). Foreign keys that close a cycle (``use_alter``)
or point into their own table are filled in after every row is in, so the
order of rows never matters; PostgreSQL sequences are moved past the restored
ids at the end.
"""

import base64
import hashlib
import io
import json
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Callable, Iterator, Optional

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models.types import utcnow

FORMAT = "rehearse-backup"
FORMAT_VERSION = 1
JSON_NULL = {"__json_null__": True}
CHUNK = 1000


class BackupError(Exception):
    """The backup cannot be written or restored; the message says why and what to do."""


@dataclass
class TableInfo:
    """One table of a backup, as the manifest lists it."""

    name: str
    rows: int
    columns: list
    sha256: str = ""


@dataclass
class Manifest:
    """What a backup holds."""

    schema_revision: Optional[str]
    source_dialect: str
    created_at: str
    tables: list = field(default_factory=list)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def as_json(self) -> dict:
        """Return the manifest.json document."""
        return {"format": self.format, "format_version": self.format_version, "created_at": self.created_at,
                "schema_revision": self.schema_revision, "source_dialect": self.source_dialect,
                "tables": [vars(t) for t in self.tables]}

    @property
    def total_rows(self) -> int:
        """Return the number of rows in every table."""
        return sum(t.rows for t in self.tables)


# --- values --------------------------------------------------------------------------------------

def _python_type(column: sa.Column):
    """Return the Python type a column's values have, or None when SQLAlchemy cannot say."""
    kind = column.type
    while isinstance(kind, sa.types.TypeDecorator):  # e.g. UTCDateTime: the stored type decides
        kind = kind.impl_instance
    try:
        return kind.python_type
    except NotImplementedError:
        return None


def _is_json(column: sa.Column) -> bool:
    """Return True for JSON columns (whose values are written as they are)."""
    kind = column.type
    while isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, sa.JSON)


def encode(value):
    """Return a JSON-ready form of a column value (see the module docstring)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return [value.days, value.seconds, value.microseconds]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if hasattr(value, "value"):  # an enum member
        return value.value
    raise BackupError(f"cannot write a value of type {type(value).__name__}")


def decoder(column: sa.Column) -> Callable:
    """Return the function that turns a written value back into the column's Python value."""
    if _is_json(column):
        return lambda v: sa.JSON.NULL if v == JSON_NULL else v
    kind = _python_type(column)
    if kind is datetime:
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if kind is date:
        return lambda v: None if v is None else date.fromisoformat(v)
    if kind is time:
        return lambda v: None if v is None else time.fromisoformat(v)
    if kind is timedelta:
        return lambda v: None if v is None else timedelta(days=v[0], seconds=v[1], microseconds=v[2])
    if kind is float:
        return lambda v: float(v) if isinstance(v, str) else v
    if kind is Decimal:
        return lambda v: None if v is None else Decimal(v)
    if kind is bytes:
        return lambda v: None if v is None else base64.b64decode(v)
    return lambda v: v


# --- schema revision -------------------------------------------------------------------------------

def database_revision(conn) -> Optional[str]:
    """Return the Alembic revision(s) the database is at, or None when it was not made by migrations."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    revisions = sorted(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    return ",".join(revisions) or None


def migrations_head() -> Optional[str]:
    """Return the head revision(s) of the migrations folder, or None without one."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions.get("migrate")
    folder = getattr(migrate, "directory", None) or "migrations"
    if not os.path.isdir(folder):
        return None
    config = Config()
    config.set_main_option("script_location", folder)
    return ",".join(sorted(ScriptDirectory.from_config(config).get_heads())) or None


# --- export --------------------------------------------------------------------------------------

def _ordered_select(table: sa.Table) -> sa.Select:
    """Return SELECT of every column (plus the SQL-NULL flag of JSON columns) in primary-key order."""
    flags = [c.is_(None).label(f"__null__{c.name}") for c in table.columns if _is_json(c)]
    order = list(table.primary_key.columns) or list(table.columns)
    return sa.select(*table.columns, *flags).order_by(*order)


def _row_json(table: sa.Table, row) -> dict:
    """Return one row as the object written to the table's file."""
    out = {}
    mapping = row._mapping
    for column in table.columns:
        value = mapping[column]
        if _is_json(column):
            out[column.name] = None if mapping[f"__null__{column.name}"] else (JSON_NULL if value is None else value)
        else:
            out[column.name] = encode(value)
    return out


def write_backup(path: str, progress: Optional[Callable[[int], None]] = None) -> Manifest:
    """Write every table to a new backup file at ``path`` (atomically) and return its manifest.

    On PostgreSQL the tables are read in one REPEATABLE READ transaction, so the
    backup is a consistent snapshot while the app keeps running.
    """
    tables = db.metadata.sorted_tables
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".rehearse-backup-", suffix=".zip", dir=folder)
    os.close(fd)
    try:
        with db.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                manifest = Manifest(schema_revision=database_revision(conn) or migrations_head(),
                                    source_dialect=conn.dialect.name,
                                    created_at=utcnow().isoformat(timespec="seconds"))
                with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                    for table in tables:
                        manifest.tables.append(_write_table(conn, archive, table, progress))
                    archive.writestr("manifest.json", json.dumps(manifest.as_json(), indent=2) + "\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return manifest


def _write_table(conn, archive: zipfile.ZipFile, table: sa.Table, progress) -> TableInfo:
    """Write one table's rows to ``tables/<name>.jsonl`` and return its manifest entry."""
    digest, rows = hashlib.sha256(), 0
    entry = zipfile.ZipInfo(f"tables/{table.name}.jsonl", date_time=utcnow().timetuple()[:6])
    entry.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(entry, "w") as raw:
        result = conn.execution_options(yield_per=CHUNK).execute(_ordered_select(table))
        for chunk in result.partitions():
            data = "".join(json.dumps(_row_json(table, row), ensure_ascii=False, sort_keys=True) + "\n"
                           for row in chunk).encode("utf-8")
            digest.update(data)
            raw.write(data)
            rows += len(chunk)
            if progress:
                progress(len(chunk))
    return TableInfo(table.name, rows, [c.name for c in table.columns], digest.hexdigest())


# --- import --------------------------------------------------------------------------------------

def read_manifest(path: str) -> Manifest:
    """Open a backup and return its manifest, or raise BackupError saying what is wrong with the file."""
    try:
        with zipfile.ZipFile(path) as archive:
            document = json.loads(archive.read("manifest.json"))
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file")
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BackupError(f"{path}: not a Rehearse backup ({exc})")
    if document.get("format") != FORMAT:
        raise BackupError(f"{path}: not a Rehearse backup (format {document.get('format')!r})")
    if document.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{path}: backup format version {document.get('format_version')} is not supported "
                          f"by this version of Rehearse (it reads version {FORMAT_VERSION})")
    return Manifest(schema_revision=document.get("schema_revision"), source_dialect=document["source_dialect"],
                    created_at=document["created_at"], tables=[TableInfo(**t) for t in document["tables"]])


def check_target(conn, manifest: Manifest) -> None:
    """Refuse a target that has data, lacks tables, or has another schema than the backup."""
    inspector = sa.inspect(conn)
    ours = {t.name: t for t in db.metadata.sorted_tables}
    missing = [name for name in ours if not inspector.has_table(name)]
    if missing:
        raise BackupError(f"the database has no table {', '.join(missing[:5])}: create the schema first "
                          "(flask db upgrade), then import")
    revision = database_revision(conn)
    if revision and manifest.schema_revision and revision != manifest.schema_revision:
        raise BackupError(f"the backup was taken at schema revision {manifest.schema_revision} but the database "
                          f"is at {revision}: restore into a database upgraded to {manifest.schema_revision} "
                          f"(flask db upgrade {manifest.schema_revision}), then run flask db upgrade")
    for info in manifest.tables:
        table = ours.get(info.name)
        if table is None:
            raise BackupError(f"the backup has a table {info.name!r} this version of Rehearse does not know")
        unknown = set(info.columns) - set(table.columns.keys())
        if unknown:
            raise BackupError(f"table {info.name}: the backup has columns {sorted(unknown)} the database lacks")
        for column in table.columns:
            if column.name not in info.columns and not (column.nullable or column.default is not None
                                                        or column.server_default is not None):
                raise BackupError(f"table {info.name}: the backup has no value for required column {column.name}")
    non_empty = []
    for table in ours.values():
        count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        if count:
            non_empty.append(f"{table.name} ({count} rows)")
    if non_empty:
        raise BackupError("import only goes into an empty database, and this one has data: "
                          + ", ".join(non_empty[:8]) + (f" and {len(non_empty) - 8} more" if len(non_empty) > 8 else "")
                          + ". Create a new database, run flask db upgrade, and import there.")


def _deferred_columns(table: sa.Table) -> list[str]:
    """Return the nullable foreign-key columns filled in after all inserts (cycles and self-references)."""
    names = []
    for fk in table.foreign_keys:
        if (fk.use_alter or fk.constraint.use_alter or fk.column.table is table) and fk.parent.nullable:
            names.append(fk.parent.name)
    return names


def verify_files(archive: zipfile.ZipFile, manifest: Manifest) -> None:
    """Check every table file against the manifest's checksum and row count before anything is written."""
    for info in manifest.tables:
        name = f"tables/{info.name}.jsonl"
        digest, count = hashlib.sha256(), 0
        try:
            with archive.open(name) as raw:
                for line in io.BufferedReader(raw):
                    digest.update(line)
                    count += bool(line.strip())
        except KeyError:
            raise BackupError(f"{name} is missing from the backup")
        except zipfile.BadZipFile as exc:
            raise BackupError(f"{name} is damaged ({exc})")
        if digest.hexdigest() != info.sha256 or count != info.rows:
            raise BackupError(f"{name} is damaged: its checksum or row count differs from the manifest")


def _read_rows(archive: zipfile.ZipFile, info: TableInfo) -> Iterator[tuple[int, dict]]:
    """Yield (line number, row) of one table file."""
    with archive.open(f"tables/{info.name}.jsonl") as raw:
        for number, line in enumerate(io.BufferedReader(raw), 1):
            if line.strip():
                yield number, json.loads(line)


def restore_backup(path: str, progress: Optional[Callable[[int], None]] = None) -> Manifest:
    """Load a backup into the empty database in one transaction and return its manifest."""
    manifest = read_manifest(path)
    infos = {t.name: t for t in manifest.tables}
    patches: list[tuple[sa.Table, list[dict]]] = []
    with zipfile.ZipFile(path) as archive, db.engine.begin() as conn:
        check_target(conn, manifest)
        verify_files(archive, manifest)
        for table in db.metadata.sorted_tables:
            info = infos.get(table.name)
            if info is not None:
                patches.append((table, _insert_table(conn, archive, table, info, progress)))
        for table, rows in patches:
            _apply_patches(conn, table, rows)
        if conn.dialect.name == "postgresql":
            reset_sequences(conn)
    return manifest


def _insert_statement(table: sa.Table, columns: list[str]) -> sa.Insert:
    """Return an INSERT where None in a JSON column means SQL NULL (JSON null comes as JSON.NULL)."""
    values = {}
    for name in columns:
        column = table.columns[name]
        if _is_json(column):
            values[name] = sa.bindparam(f"json_{name}", type_=sa.JSON(none_as_null=True))
    return table.insert().values(values) if values else table.insert()


def _insert_table(conn, archive, table: sa.Table, info: TableInfo, progress) -> list[dict]:
    """Insert one table's rows in chunks; return the deferred foreign keys to set afterwards."""
    deferred = _deferred_columns(table)
    json_columns = [name for name in info.columns if _is_json(table.columns[name])]
    decoders = {name: decoder(table.columns[name]) for name in info.columns}
    statement = _insert_statement(table, info.columns)
    pk = [c.name for c in table.primary_key.columns]
    keep = [c.name for c in table.columns if c.onupdate is not None and c.name in info.columns]
    patches, chunk = [], []
    for number, record in _read_rows(archive, info):
        try:
            row = {name: decoders[name](record.get(name)) for name in info.columns}
        except (TypeError, ValueError, IndexError) as exc:
            raise BackupError(f"tables/{info.name}.jsonl:{number}: unreadable value ({exc})")
        later = {name: row[name] for name in deferred if row.get(name) is not None}
        if later:
            # Restate onupdate columns (updated_at) too, or the UPDATE would stamp them with now().
            later.update({name: row[name] for name in keep})
            patches.append({**{f"pk_{k}": row[k] for k in pk}, **{f"v_{k}": v for k, v in later.items()}})
            row.update({name: None for name in deferred})
        for name in json_columns:
            row[f"json_{name}"] = row.pop(name)
        chunk.append(row)
        if len(chunk) >= CHUNK:
            _insert_chunk(conn, statement, chunk, progress)
            chunk = []
    if chunk:
        _insert_chunk(conn, statement, chunk, progress)
    return patches


def _insert_chunk(conn, statement: sa.Insert, rows: list[dict], progress) -> None:
    """Insert a chunk of rows with one executemany and report progress."""
    conn.execute(statement, rows)
    if progress:
        progress(len(rows))


def _apply_patches(conn, table: sa.Table, patches: list[dict]) -> None:
    """Set the deferred foreign keys, now that every row they point to exists."""
    pk = list(table.primary_key.columns)
    by_columns: dict = {}
    for patch in patches:
        by_columns.setdefault(tuple(sorted(k[2:] for k in patch if k.startswith("v_"))), []).append(patch)
    for names, rows in by_columns.items():
        statement = (table.update().where(*(c == sa.bindparam(f"pk_{c.name}") for c in pk))
                     .values({name: sa.bindparam(f"v_{name}") for name in names}))
        conn.execute(statement, rows)


def reset_sequences(conn) -> None:
    """Move each PostgreSQL sequence behind an integer primary key past the largest restored id."""
    preparer = conn.dialect.identifier_preparer
    for table in db.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or _python_type(pk[0]) is not int:
            continue
        qualified = preparer.format_table(table)
        column = preparer.quote(pk[0].name)
        sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                {"t": qualified, "c": pk[0].name}).scalar()
        if sequence:
            conn.execute(sa.text(f"SELECT setval(:s, COALESCE((SELECT MAX({column}) FROM {qualified}), 1), "
                                 f"(SELECT MAX({column}) FROM {qualified}) IS NOT NULL)"), {"s": sequence})
