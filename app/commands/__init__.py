"""Command-line groups (`flask users …`, `flask content …`); thin wrappers over services."""

from importlib import import_module

# (module, names of click commands or groups in it); each area adds its own line.
COMMANDS = [
    ("app.commands.users", ("users_cli", "seed_demo")),
]


def init_app(app) -> None:
    """Register every command group with the app's CLI."""
    for module_name, names in COMMANDS:
        module = import_module(module_name)
        for name in names:
            app.cli.add_command(getattr(module, name))
