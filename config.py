"""Configuration classes, read from the environment."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_SECRET_KEY = "dev-only-change-me"


def _database_url() -> str:
    """Return the database URL from DATABASE_URL, or the embedded SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if url:
        # Accept the short scheme many hosts hand out and use the psycopg 3 driver.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return f"sqlite:///{BASE_DIR / 'instance' / 'rehearse.db'}"


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    LANGUAGES = ["en", "zh"]
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    CONTENT_DIR = os.environ.get("REHEARSE_CONTENT_DIR", str(BASE_DIR / "content"))
    SCENARIOS_DIR = os.environ.get("REHEARSE_SCENARIOS_DIR", str(BASE_DIR / "scenarios"))
    MODEL_DIR = os.environ.get("REHEARSE_MODEL_DIR", str(BASE_DIR / "instance" / "models"))
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    PER_PAGE = 25


class DevelopmentConfig(Config):
    """Local development on the embedded SQLite database."""

    DEBUG = False


class TestConfig(Config):
    """Settings for the test suite; the database comes from the fixture."""

    TESTING = True
    WTF_CSRF_ENABLED = False
    SECRET_KEY = "test-secret-key"
    RATELIMIT_ENABLED = True
    LOGIN_RATE_LIMIT = "1000 per minute"
    SERVER_NAME = None


class ProductionConfig(Config):
    """Production behind a TLS-terminating proxy, usually on PostgreSQL."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
