"""Command-line groups (`flask users …`, `flask content …`); thin wrappers over services."""


def init_app(app) -> None:
    """Register every command group with the app's CLI."""
    from app.commands import users

    for group in (users.users_cli, users.seed_demo):
        app.cli.add_command(group)
