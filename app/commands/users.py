"""`flask users …` and `flask seed-demo`."""

import csv
import os
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.models.people import ROLE_VALUES, TIER_VALUES
from app.services.errors import ImportProblems


@click.group("users", help="Manage user accounts.")
def users_cli():
    """Manage user accounts."""


def _count(n: int, noun: str) -> str:
    """Return "1 user", "2 users"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _open_private(path: Path):
    """Open ``path`` for writing, readable by the current user only; ClickException when impossible."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror}; nothing was imported.")
    return os.fdopen(fd, "w", newline="", encoding="utf-8")


@users_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report what would happen; change nothing.")
@click.option(
    "--passwords-file", type=click.Path(dir_okay=False, path_type=Path),
    help="Write generated passwords to this CSV (mode 0600) instead of printing them.",
)
@click.option("--encoding", default="utf-8-sig", show_default=True, help="Text encoding of FILE, e.g. gb18030.")
@with_appcontext
def import_users(file: Path, dry_run: bool, passwords_file: Path | None, encoding: str):
    """Create the users listed in FILE (CSV), all or nothing.

    Columns: email, name (required); role, tier, team, mentor_email, language,
    password (optional). Rows without a password get a generated one, printed
    at the end (or written to --passwords-file).
    """
    from app.services.user_import import apply_user_import, plan_user_import

    try:
        plan = plan_user_import(file.read_bytes(), str(file), encoding)
    except ImportProblems as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"{_count(len(error.problems), 'problem')} found; nothing was imported.")
    summary = (
        f"{_count(len(plan.rows), 'user')}, {_count(len(plan.new_teams), 'new team')}"
        f"{' (' + ', '.join(plan.new_teams) + ')' if plan.new_teams else ''}, "
        f"{_count(len(plan.pairings), 'mentor pairing')}"
    )
    if dry_run:
        click.echo(f"Dry run: {file} is valid. Would create {summary}; "
                   f"{_count(plan.generated_passwords, 'password')} would be generated. Nothing was changed.")
        return
    if not plan.rows:
        click.echo(f"{file} lists no users; nothing to import.")
        return
    # Open the passwords file first: a file that cannot be written must stop the import, not lose the passwords.
    handle = _open_private(passwords_file) if passwords_file is not None and plan.generated_passwords else None
    try:
        with click.progressbar(length=len(plan.rows), label="Creating users") as bar:
            result = apply_user_import(plan, on_progress=bar.update)
        if handle is not None:
            writer = csv.writer(handle)
            writer.writerow(["email", "password"])
            writer.writerows(result.generated)
    finally:
        if handle is not None:
            handle.close()
    click.echo(f"Imported {summary}.")
    if not result.generated:
        return
    if handle is not None:
        click.echo(f"Generated passwords for {len(result.generated)} users written to {passwords_file}.")
        return
    click.echo("Generated passwords (shown once; hand them out privately):")
    width = max(len(email) for email, _ in result.generated)
    for email, password in result.generated:
        click.echo(f"  {email:{width}}  {password}")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option("--role", type=click.Choice(ROLE_VALUES), default="learner", show_default=True)
@click.option("--tier", type=click.Choice(TIER_VALUES), default="new_hire", show_default=True)
@click.option("--generate-password", is_flag=True, help="Generate a password and print it instead of asking.")
@with_appcontext
def create_user(email: str, name: str, role: str, tier: str, generate_password: bool):
    """Create one account, e.g. the first admin of a new installation.

    Asks for the password twice (hidden) unless --generate-password is given.
    """
    from app.services import accounts
    from app.services.errors import ValidationError

    if generate_password:
        password = accounts.generate_password()
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(email, name, password, role=role, tier=tier)
    except ValidationError as error:
        raise click.ClickException(str(error.message))
    click.echo(f"Created {user.role} {user.email}.")
    if generate_password:
        click.echo(f"Password (shown once): {password}")


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Create (or complete) the demo organisation; safe to run twice."""
    from app.services.demo import seed_demo_organisation

    logins = seed_demo_organisation(on_step=lambda label: click.echo(f"  … {label}"))
    click.echo("Demo organisation ready. Sign in with:")
    for email, password, role in logins:
        click.echo(f"  {role:8} {email:32} {password}")
