"""`flask mentor …`: the daily flag scan and the assignment-status repair."""

from datetime import datetime, timezone

import click
from flask.cli import with_appcontext

from app.models.types import utcnow


def parse_now(value: str | None) -> datetime:
    """Return ``--now`` as an aware UTC datetime (default: the current time)."""
    if not value:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.ClickException(f"--now: {value!r} is not an ISO date or datetime (e.g. 2026-11-23T08:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@click.group("mentor", help="Mentor workspace: flags, assignment statuses.")
def mentor_cli():
    """Mentor workspace commands."""


@mentor_cli.command("scan-flags")
@click.option("--now", "now_text", help="Evaluate the rules as of this moment (ISO); default now.")
@with_appcontext
def scan_flags(now_text):
    """Put new warning flags (inactive, overdue, failed twice, bottom 10 %, missed target) into mentors' inboxes."""
    from app.services.mentoring import scan_flags as scan

    now = parse_now(now_text)

    def progress(pairings):
        with click.progressbar(pairings, label="Checking mentees", show_pos=True) as bar:
            yield from bar

    added = scan(now, progress=progress)
    click.echo(f"{added} new flag(s) sent to mentors' inboxes.")


@mentor_cli.command("refresh")
@with_appcontext
def refresh():
    """Re-derive every open assignment's status from the recorded work (repairs a missed signal)."""
    from app.services.assignments import refresh_statuses

    changed = refresh_statuses()
    click.echo(f"{changed} assignment(s) updated.")


@mentor_cli.command("rerank")
@click.option("--now", "now_text", help="Rank the periods before this moment (ISO); default now.")
@with_appcontext
def rerank(now_text):
    """Recompute the bottom-10 % standings of the last two periods (after late or backfilled work)."""
    from app.services.mentoring import rerank as recompute

    ranked = recompute(parse_now(now_text))
    click.echo(f"{ranked} learner standing(s) ranked.")
