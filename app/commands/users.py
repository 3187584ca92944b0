"""`flask users …` and `flask seed-demo`."""

import click
from flask.cli import with_appcontext


@click.group("users", help="Manage user accounts.")
def users_cli():
    """Manage user accounts."""


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Create (or complete) the demo organisation; safe to run twice."""
    from app.services.demo import seed_demo_organisation

    logins = seed_demo_organisation()
    click.echo("Demo organisation ready. Sign in with:")
    for email, password, role in logins:
        click.echo(f"  {role:8} {email:32} {password}")
