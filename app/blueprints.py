"""The list of blueprints: one package per area of the application."""

from importlib import import_module

# (package, url prefix); each area adds its own line.
BLUEPRINTS = [
    ("app.main", ""),
    ("app.auth", "/auth"),
    ("app.quiz", "/quiz"),
    ("app.roleplay", "/roleplay"),
    ("app.learn", "/learn"),
    ("app.admin", "/admin"),
    ("app.mentor", "/mentor"),
    ("app.insights", "/insights"),
    ("app.studio", "/studio"),
    ("app.api", ""),
]


def register_blueprints(app) -> None:
    """Register every area's blueprint."""
    for package, prefix in BLUEPRINTS:
        app.register_blueprint(import_module(package).bp, url_prefix=prefix or None)
