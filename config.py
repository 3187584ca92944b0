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
    # pool_pre_ping tests each pooled connection as it is checked out, so after the database restarts
    # (or an admin ends its connections) the next request reconnects instead of failing.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # How long a SQLite write waits for another writer before the request gets the 503 page; below
    # gunicorn's 30 s worker timeout, above the bursts 50 simultaneous learners cause (tests/test_ops_concurrency.py).
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "20000"))
    LANGUAGES = ["en", "zh"]
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    CONTENT_DIR = os.environ.get("REHEARSE_CONTENT_DIR", str(BASE_DIR / "content"))
    SCENARIOS_DIR = os.environ.get("REHEARSE_SCENARIOS_DIR", str(BASE_DIR / "scenarios"))
    MODEL_DIR = os.environ.get("REHEARSE_MODEL_DIR", str(BASE_DIR / "instance" / "models"))
    # Cached home and mentor pages (app/view_cache.py): keys carry view stamps, so any backend is safe.
    # SimpleCache keeps up to CACHE_THRESHOLD fragments per worker; RedisCache (CACHE_REDIS_URL) shares them.
    VIEW_CACHE_ENABLED = os.environ.get("VIEW_CACHE_ENABLED", "1").lower() not in ("0", "false", "no")
    CACHE_TYPE = os.environ.get("CACHE_TYPE", "SimpleCache")
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", "")
    CACHE_THRESHOLD = int(os.environ.get("CACHE_THRESHOLD", "1000"))
    CACHE_DEFAULT_TIMEOUT = int(os.environ.get("CACHE_DEFAULT_TIMEOUT", "3600"))
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
    # Sign-in attempts per client address (an office behind one NAT shares it) and per account.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "30 per minute")
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per minute")
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (0: none, trust nothing).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    PER_PAGE = 25
    # xAPI learning records (docs/ops.md): the IRI activities live under, and the optional LRS.
    XAPI_BASE_IRI = os.environ.get("XAPI_BASE_IRI", "https://rehearse.example/xapi")
    XAPI_LRS_URL = os.environ.get("XAPI_LRS_URL", "")
    XAPI_LRS_USERNAME = os.environ.get("XAPI_LRS_USERNAME", "")
    XAPI_LRS_PASSWORD = os.environ.get("XAPI_LRS_PASSWORD", "")
    XAPI_LRS_TIMEOUT = float(os.environ.get("XAPI_LRS_TIMEOUT", "10"))
    XAPI_PUSH_BATCH_SIZE = int(os.environ.get("XAPI_PUSH_BATCH_SIZE", "50"))
    XAPI_PUSH_RETRIES = int(os.environ.get("XAPI_PUSH_RETRIES", "5"))
    XAPI_PUSH_BACKOFF = float(os.environ.get("XAPI_PUSH_BACKOFF", "1.0"))


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
    LOGIN_ACCOUNT_RATE_LIMIT = "1000 per minute"
    SERVER_NAME = None


class ProductionConfig(Config):
    """Production behind a TLS-terminating proxy, usually on PostgreSQL."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PREFERRED_URL_SCHEME = "https"
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "1"))
    # If the shared limit store (Redis) is down, keep serving sign-ins rather than fail them all.
    RATELIMIT_SWALLOW_ERRORS = True


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
