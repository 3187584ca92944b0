"""`flask quiz import-gift` and `flask quiz export-gift`: thin wrappers over the GIFT reader and bank services."""

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.content.gift import GiftError, load_gift


@click.group("quiz", help="Import and export question banks (Moodle GIFT).")
def quiz_cli():
    """Import and export question banks."""


@quiz_cli.command("import-gift")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--bank", "bank_name", help="Bank to add the questions to (default: the file name).")
@click.option("--dry-run", is_flag=True, help="Check the file and report; import nothing.")
@click.option("--json", "as_json", is_flag=True, help='Print {"questions": [...]} as JSON on stdout.')
@with_appcontext
def import_gift(file, bank_name, dry_run, as_json):
    """Import a GIFT FILE into a question bank; all or nothing."""
    from app.services.quiz_bank import import_questions

    try:
        questions = load_gift(file)
    except GiftError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"{len(error.problems)} problem(s) in {file}; nothing was imported")
    if as_json:
        click.echo(json.dumps({"questions": [q.to_dict() for q in questions]}, ensure_ascii=False, indent=2))
    bank_name = bank_name or file.stem
    with click.progressbar(length=len(questions) or 1, label="Importing", file=sys.stderr) as bar:
        summary = import_questions(questions, bank_name, dry_run=dry_run, progress=bar.update)
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(summary["by_type"].items()))
    verb = "would import" if dry_run else "imported"
    click.echo(
        f"{file}: {verb} {summary['created']} new, {summary['updated']} updated, {summary['unchanged']} unchanged "
        f"into bank {summary['bank']!r} ({kinds or 'no questions'})",
        err=as_json,
    )


@quiz_cli.command("export-gift")
@click.option("--bank", "bank_name", required=True, help="Name of the bank to export.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to this file instead of stdout.")
@with_appcontext
def export_gift(bank_name, output):
    """Write a bank's current questions as GIFT."""
    from app.services.quiz_bank import export_bank, find_bank_by_name

    bank = find_bank_by_name(bank_name)
    if bank is None:
        raise click.ClickException(f"no question bank named {bank_name!r}")
    text = export_bank(bank)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
