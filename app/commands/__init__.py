"""Command-line groups (`flask users …`, `flask content …`); thin wrappers over services."""

from importlib import import_module

# (module, names of click commands or groups in it); each area adds its own line.
COMMANDS = [
    ("app.commands.users", ("users_cli", "seed_demo")),
    ("app.commands.mentor", ("mentor_cli",)),
    ("app.commands.roleplay", ("scenario_cli", "spin_cli")),
    ("app.commands.deals", ("deals_cli", "model_cli")),
    ("app.commands.content", ("content_cli",)),
    ("app.commands.quiz", ("quiz_cli",)),
    ("app.commands.xapi", ("xapi_cli",)),
    ("app.commands.backup", ("export_command", "import_command")),
]


def init_app(app) -> None:
    """Register every command group with the app's CLI."""
    for module_name, names in COMMANDS:
        module = import_module(module_name)
        for name in names:
            app.cli.add_command(getattr(module, name))
