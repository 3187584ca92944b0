"""`flask deals import` and `flask model rank` (DESIGN.md §6)."""

import json
import sys

import click
from flask.cli import with_appcontext

from app.services.errors import ImportProblems


@click.group("deals", help="Import deal data from the CRM.")
def deals_cli():
    """Import deal data from the CRM."""


@deals_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--activities", "activities", type=click.Path(dir_okay=False),
              help="activities.csv: behaviour counts are derived from activities before each close.")
@click.option("--dry-run", is_flag=True, help="Validate and report; change nothing.")
@with_appcontext
def import_command(file, activities, dry_run):
    """Validate FILE (deals.csv) and insert or update its deals; all or nothing."""
    from app.content.deals_csv import load_deals
    from app.services.deals import import_deals

    try:
        deals_file = load_deals(file, activities)
    except ImportProblems as error:
        raise click.ClickException("\n".join(error.problems)) from None
    with click.progressbar(length=len(deals_file.deals), label="Importing deals", file=sys.stderr) as bar:
        summary = import_deals(deals_file, dry_run=dry_run, progress=bar.update)
    verb = "Would import" if dry_run else "Imported"
    click.echo(f"{verb} {summary.total} deals from {summary.source}: {summary.created} new, {summary.updated} updated "
               f"({summary.won} won, {summary.lost} lost, {summary.open} open).")
    click.echo(f"Behaviours: {', '.join(summary.behaviours) or 'none'}")
    if summary.activities:
        click.echo(f"Activities: {summary.activities}")
    click.echo(f"Owners matched to users: {summary.owners_matched} of {summary.total} deals")
    if summary.unmatched_emails:
        click.echo(f"Owner emails with no user: {', '.join(summary.unmatched_emails)}")
    for note in summary.notes:
        click.echo(f"Note: {note}")


@click.group("model", help="The behaviour model: which behaviours go with won deals.")
def model_cli():
    """The behaviour model: which behaviours go with won deals."""


@model_cli.command("rank")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
              help="deals.csv to rank; without it the imported deals are used.")
@click.option("--activities", type=click.Path(dir_okay=False), help="activities.csv for --csv.")
@click.option("--json", "json_out", type=click.File("w"), required=True,
              help="Where to write the ranking ('-': stdout).")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20), help="Cross-validation folds.")
@click.option("--repeats", default=2, show_default=True, type=click.IntRange(1, 20), help="Repeats of the folds.")
@with_appcontext
def rank_command(csv_path, activities, json_out, folds, repeats):
    """Fit the model, rank behaviours on held-out folds, write the JSON and save the run."""
    from app.content.deals_csv import load_deals
    from app.services.deals import fit_run

    if activities and not csv_path:
        raise click.ClickException("--activities needs --csv")
    try:
        deals_file = load_deals(csv_path, activities) if csv_path else None
    except ImportProblems as error:
        raise click.ClickException("\n".join(error.problems)) from None
    with click.progressbar(length=folds * repeats, label="Fitting folds", file=sys.stderr) as bar:
        run = fit_run(deals_file, on_fold=lambda: bar.update(1), n_splits=folds, n_repeats=repeats)
    json.dump(run.result, json_out, ensure_ascii=False, indent=2)
    json_out.write("\n")
    metrics = run.result["metrics"]
    auc = "n/a" if metrics["cv_auc"] is None else f"{metrics['cv_auc']:.3f} ± {metrics['cv_auc_std']:.3f}"
    click.echo(f"Run {run.id}: {run.n_deals} closed deals ({run.n_won} won), cross-validated AUC {auc}", err=True)
    for warning in run.result["warnings"]:
        click.echo(f"Warning: {warning}", err=True)
