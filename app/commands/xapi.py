"""`flask xapi …`: export learning records as xAPI statements, push them to an LRS, backfill the outbox."""

import json
import os
import sys
import tempfile
from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import Optional

import click
from flask import current_app

from app.services import lrs, xapi_outbox

# This area has no blueprint: its receivers subscribe when the app loads its commands.
xapi_outbox.connect()


def parse_moment(value: Optional[str], name: str) -> Optional[datetime]:
    """Parse YYYY-MM-DD (midnight UTC) or an ISO 8601 date-time (naive means UTC)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD) or ISO 8601 date-time", param_hint=name)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@contextmanager
def output(path: str):
    """Yield a text stream: stdout for '-', else a temporary file renamed over ``path`` on success."""
    if path == "-":
        yield sys.stdout
        return
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".xapi-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as stream:
            yield stream
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _progress(length: int, label: str):
    """Return a progress bar on stderr (stdout may carry the statements)."""
    return click.progressbar(length=length, label=label, file=sys.stderr)


@click.group("xapi")
def xapi_cli():
    """xAPI 1.0.3 learning records: export, push to an LRS, backfill."""


@xapi_cli.command("export")
@click.option("--since", required=True, help="First day (YYYY-MM-DD, UTC) or ISO date-time, inclusive.")
@click.option("--until", default=None, help="End (YYYY-MM-DD, UTC) or ISO date-time, exclusive.")
@click.option("--out", "out", default="-", show_default=True, help="File to write; '-' for stdout.")
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl"]), default="json", show_default=True,
              help="json: one JSON array (the LRS statements shape); jsonl: one statement per line.")
def export_command(since, until, out, fmt):
    """Write the statements whose timestamp is in [--since, --until)."""
    start, end = parse_moment(since, "--since"), parse_moment(until, "--until")
    if end is not None and end <= start:
        raise click.ClickException("--until must be after --since")
    total = xapi_outbox.count_statements(start, end)
    with output(out) as stream, _progress(total, "Exporting statements") as bar:
        if fmt == "json":
            stream.write("[")
        for n, statement in enumerate(xapi_outbox.iter_statements(start, end)):
            text = json.dumps(statement, ensure_ascii=False, sort_keys=True)
            if fmt == "json":
                stream.write(("\n" if n == 0 else ",\n") + text)
            else:
                stream.write(text + "\n")
            bar.update(1)
        if fmt == "json":
            stream.write("\n]\n" if total else "]\n")
    click.echo(f"{total} statements written to {'stdout' if out == '-' else out} ({fmt}).", err=True)


@xapi_cli.command("push")
@click.option("--batch-size", type=click.IntRange(1, 1000), default=None, help="Statements per request.")
@click.option("--retries", type=click.IntRange(0, 20), default=None, help="Retries of a failed batch.")
@click.option("--backoff", type=click.FloatRange(0, 60), default=None, help="First wait in seconds (doubles).")
def push_command(batch_size, retries, backoff):
    """Send the pending statements to the LRS (XAPI_LRS_URL); safe to run from cron on every server."""
    settings = lrs.LrsSettings.from_config(current_app.config, batch_size=batch_size, retries=retries,
                                           backoff=backoff)
    if not settings.url:
        raise click.ClickException("XAPI_LRS_URL is not set: there is no LRS to push to")
    pending = lrs.pending_count()
    with _progress(pending, "Pushing statements") as bar:
        try:
            report = lrs.push_pending(settings, progress=bar.update)
        except lrs.LrsUnavailable as exc:
            raise click.ClickException(
                f"the LRS did not accept a batch ({exc}); {lrs.pending_count()} statements stay pending and "
                "will go with the next push (check XAPI_LRS_URL and the credentials if this is not an outage)"
            )
    click.echo(f"sent {report.sent}, rejected {report.rejected}, pending {lrs.pending_count()}")
    if report.rejected:
        click.echo("rejected statements are kept with the LRS's reason: see `flask xapi status`", err=True)


@xapi_cli.command("status")
def status_command():
    """Show how many statements are pending, sent and rejected."""
    counts = xapi_outbox.outbox_counts()
    click.echo(" ".join(f"{status}={counts[status]}" for status in ("pending", "sent", "rejected")))
    for row in xapi_outbox.recent_errors():
        click.echo(f"{row.status} {row.statement_id} tries={row.tries}: {row.last_error[:200]}")


@xapi_cli.command("backfill")
@click.option("--since", default=None, help="Only work done from this day (YYYY-MM-DD) or date-time on.")
def backfill_command(since):
    """Put statements for recorded work into the outbox (work done before xAPI was on); idempotent."""
    sources = xapi_outbox.backfill_sources(parse_moment(since, "--since"))
    added = 0
    with _progress(len(sources), "Backfilling") as bar:
        for source in sources:
            added += xapi_outbox.backfill_one(source)
            bar.update(1)
    click.echo(f"{added} new statements from {len(sources)} pieces of work")
