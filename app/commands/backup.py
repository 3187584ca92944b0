"""`flask export FILE` and `flask import FILE`: back up and restore the whole organisation."""

import os

import click
import sqlalchemy as sa

from app.services import backup


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def export_command(file, force):
    """Write every table to FILE, a zip of one JSON-lines file per table plus manifest.json."""
    if os.path.exists(file) and not force:
        raise click.ClickException(f"{file} exists; pass --force to replace it")
    from app.extensions import db

    total = sum(db.session.execute(db.select(db.func.count()).select_from(t)).scalar_one()
                for t in db.metadata.sorted_tables)
    db.session.rollback()  # do not hold a read transaction beside the export's own snapshot
    try:
        with click.progressbar(length=total, label="Exporting rows") as bar:
            manifest = backup.write_backup(file, progress=bar.update)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"{manifest.total_rows} rows of {len(manifest.tables)} tables written to {file} "
               f"(schema revision {manifest.schema_revision or 'unknown'})")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_command(file):
    """Restore FILE into this empty database, all or nothing."""
    try:
        manifest = backup.read_manifest(file)
        with click.progressbar(length=manifest.total_rows, label="Importing rows") as bar:
            backup.restore_backup(file, progress=bar.update)
    except backup.BackupError as exc:
        raise click.ClickException(f"nothing was imported: {exc}")
    except sa.exc.SQLAlchemyError as exc:
        # The transaction was rolled back; show the database's reason, not the whole statement.
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise click.ClickException(f"nothing was imported: the database refused the data: {reason}")
    click.echo(f"{manifest.total_rows} rows of {len(manifest.tables)} tables imported from {file} "
               f"(taken {manifest.created_at})")
