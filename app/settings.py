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
    if name == "production" and app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        raise RuntimeError("ProductionConfig refuses the default SECRET_KEY: set SECRET_KEY")
    os.makedirs(app.instance_path, exist_ok=True)
