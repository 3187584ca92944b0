"""`flask content check` and `flask content sync`: thin wrappers over app.services.content_sync."""

import sys

import click
from flask.cli import with_appcontext

from app.services import content_sync
from app.services.errors import ImportProblems


@click.group("content", help="Validate and load the bundled course library and scenarios.")
def content_cli():
    """Validate and load content/ and scenarios/."""


def _only(values: tuple[str, ...], table) -> set[str]:
    """Return the chosen step labels, refusing unknown ones."""
    labels = content_sync.step_labels(table)
    unknown = [v for v in values if v not in labels]
    if unknown:
        raise click.ClickException(f"unknown step {', '.join(unknown)} (steps: {', '.join(labels)})")
    return set(values)


@content_cli.command("check")
@click.option("--only", "only", multiple=True, metavar="STEP", help="Run only this step (repeatable).")
@with_appcontext
def check(only):
    """Validate every content file; print each FILE:LINE problem and exit non-zero if any."""
    chosen = _only(only, content_sync.CHECK_STEPS)
    problems = content_sync.check_all(chosen or None)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) found")
    click.echo("All content is valid.")


@content_cli.command("sync")
@click.option("--only", "only", multiple=True, metavar="STEP", help="Run only this step (repeatable).")
@with_appcontext
def sync(only):
    """Load content/ and scenarios/ into the database; running it twice changes nothing."""
    chosen = _only(only, content_sync.SYNC_STEPS)
    for step in content_sync.steps(content_sync.SYNC_STEPS, chosen or None):
        total = content_sync.count_items(step)
        with click.progressbar(length=total or 1, label=f"{step.label:16}", file=sys.stderr) as bar:
            try:
                summary = step.function(step.directory, progress=bar.update)
            except ImportProblems as error:
                for problem in error.problems:
                    click.echo(problem, err=True)
                raise click.ClickException(f"{step.label}: {len(error.problems)} problem(s); nothing was loaded")
            if not total:
                bar.update(1)
        # A list in a summary names the items behind a count, e.g. courses whose folder was deleted.
        parts = ", ".join(f"{key} {len(value) if isinstance(value, list) else value}" for key, value in summary.items())
        click.echo(f"{step.label}: {parts}")
        for name in summary.get("missing from files", []):
            click.echo(f"{step.label}: {name} is in the database but no longer in the files; it was left as it "
                       "is, with its learners' progress. Unpublish it in the browser, or restore its folder.",
                       err=True)
