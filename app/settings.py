"""Pick and check the configuration class for an app instance."""

import os

from config import DEFAULT_SECRET_KEY


def load(app, configs, test_config=None) -> None:
    """Load the config named by REHEARSE_CONFIG (or the test mapping) into ``app``."""
    name = "test" if test_config is not None else os.environ.get("REHEARSE_CONFIG", "development")
    if name not in configs:
        raise RuntimeError(f"REHEARSE_CONFIG must be one of {sorted(configs)}, not {name!r}")
    app.config.from_object(configs[name])
    if test_config:
        app.config.update(test_config)
    if name == "production":
        check_production(app.config)
    os.makedirs(app.instance_path, exist_ok=True)


def check_production(config) -> None:
    """Refuse to start in production with a guessable secret key."""
    secret = config.get("SECRET_KEY") or ""
    if secret == DEFAULT_SECRET_KEY or len(secret) < 32:
        raise RuntimeError(
            "ProductionConfig refuses the default or a short SECRET_KEY: set SECRET_KEY to at least 32 random "
            "characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
