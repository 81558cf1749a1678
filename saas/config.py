"""Settings from the environment, with embedded defaults for a first run."""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

INSTANCE_DIR = Path(os.environ.get("AFTERCARE_INSTANCE", Path(__file__).resolve().parent.parent / "instance"))


def _secret_key() -> str:
    """Use SECRET_KEY from the environment, else a per-instance random key kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _encryption_keys() -> str:
    """ENCRYPTION_KEYS from the environment, else a per-instance Fernet key kept in instance/ (not in production)."""
    if os.environ.get("ENCRYPTION_KEYS"):
        return os.environ["ENCRYPTION_KEYS"]
    from cryptography.fernet import Fernet

    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "encryption_keys"
    if not path.exists():
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return path.read_text().strip()


def _testing_encryption_key() -> str:
    """The test suite's one Fernet key, derived (not stored) so that every process of a run shares it."""
    import base64
    import hashlib

    return base64.urlsafe_b64encode(hashlib.sha256(b"aftercare test suite").digest()).decode()


#: How to make a key for ENCRYPTION_KEYS (error messages and docs/deploy.md say it).
NEW_FERNET_KEY = 'python -c "from cryptography.fernet import Fernet as F; print(F.generate_key().decode())"'
#: SECRET_KEY values that are examples, not secrets: production refuses them.
PLACEHOLDER_SECRET_KEYS = frozenset({"change-me", "changeme", "secret", "secret-key", "dev", "development", "test"})
#: The shortest SECRET_KEY production accepts (`python -c "import secrets; print(secrets.token_urlsafe(48))"`).
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """A setting the app cannot start with; the message says which and what to do."""


def check_production(settings: dict) -> None:
    """Refuse to run in production with a missing or example SECRET_KEY, or without ENCRYPTION_KEYS."""
    key = settings.get("SECRET_KEY") or ""
    if not key:
        raise ConfigError(
            "SECRET_KEY is not set. In production it must come from the environment: "
            'generate one with python -c "import secrets; print(secrets.token_urlsafe(48))" (docs/deploy.md).'
        )
    if key.lower() in PLACEHOLDER_SECRET_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"SECRET_KEY is an example value or shorter than {MIN_SECRET_KEY_LENGTH} characters: "
            'generate one with python -c "import secrets; print(secrets.token_urlsafe(48))" (docs/deploy.md).'
        )
    if not settings.get("ENCRYPTION_KEYS"):
        raise ConfigError(
            "ENCRYPTION_KEYS is not set. In production the secrets kept in the database are sealed with it: "
            f"generate one with {NEW_FERNET_KEY} (docs/deploy.md)."
        )


def _host_list(value: str | None) -> list[str] | None:
    """TRUSTED_HOSTS from the environment: "a.example.com, .example.org" -> a list; unset -> None."""
    if value is None:
        return None
    return [host.strip() for host in value.split(",") if host.strip()]


class Config:
    """Production-safe defaults; every value can be overridden from the environment."""

    ENV_NAME = "production"
    SECRET_KEY = None  # filled lazily by load_config so importing never writes files
    #: Fernet keys, comma-separated, newest first, sealing the secrets kept in the database (saas/core/secrets.py).
    ENCRYPTION_KEYS = None
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'aftercare.db'}")
    #: The role that owns the tables, for `flask db upgrade` only (PostgreSQL); DATABASE_URL is then the app's
    #: own role, which owns nothing, so row-level security applies to it (docs/row-level-security.md).
    MIGRATION_DATABASE_URL = os.environ.get("MIGRATION_DATABASE_URL") or None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    #: "smtp" sends through MAIL_SERVER; "outbox" only keeps mail in the database and the log.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp" if os.environ.get("MAIL_SERVER") else "outbox")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Aftercare <no-reply@aftercare.local>")
    #: The site's public address: every absolute URL (links in mail and documents, the notify and return URLs
    #: given to payment providers) is built on it, never on the request's Host header (saas/core/links.py).
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    #: Host names requests may name (others answer 400); comma-separated. Unset in production: BASE_URL's host.
    TRUSTED_HOSTS = _host_list(os.environ.get("TRUSTED_HOSTS"))

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"en": "English", "zh_Hans_CN": "简体中文"}

    SESSION_COOKIE_NAME = "aftercare_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    PREFERRED_URL_SCHEME = "https"

    #: Argon2id cost (OWASP: m=19 MiB, t=2, p=1 minimum); tuned for a 2-core machine.
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19 * 1024
    ARGON2_PARALLELISM = 1

    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    #: Uploads (request attachments of up to 10 MB) are refused above this with a 413, before being read.
    MAX_CONTENT_LENGTH = 11 * 1024 * 1024
    #: Requests per API token (Flask-Limiter syntax).
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300 per minute")
    INVITATION_MAX_AGE_DAYS = 7
    PAGE_SIZE = 25
    #: Contracts per billing job: hundreds per job, never one job per contract (DESIGN §8).
    BILLING_CHUNK_SIZE = int(os.environ.get("BILLING_CHUNK_SIZE", "500"))
    #: Agreements per evaluation job (§11.2), for the same reason.
    EVALUATION_CHUNK_SIZE = int(os.environ.get("EVALUATION_CHUNK_SIZE", "500"))
    #: Without REDIS_URL, the serving process runs the periodic jobs itself (saas/core/scheduler.py); "0" turns it off.
    EMBEDDED_SCHEDULER = os.environ.get("EMBEDDED_SCHEDULER", "1") != "0"
    #: "json": one JSON object per log line (with the request id); anything else: plain text lines.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    #: The bearer token /metrics asks for; unset, /metrics answers 404 in production (open in development).
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    #: /metrics without a token: open in development, 404 in production.
    METRICS_OPEN = False
    #: How long /readyz keeps its answer (seconds), so a busy probe does not query the database each time.
    READINESS_CACHE_SECONDS = 5
    #: Load the `saas.sandbox_plugins` entry points (stand-in payment gateways): never in production.
    SANDBOX_PLUGINS = False
    #: Let webhook endpoints be private, loopback or link-local addresses (development and tests, for a local
    #: receiver). Never in production: a webhook would let a tenant make this server call its own network (SSRF).
    WEBHOOKS_ALLOW_PRIVATE = os.environ.get("WEBHOOKS_ALLOW_PRIVATE", "") == "1"
    #: Seconds a webhook delivery waits to connect, and then for the answer.
    WEBHOOKS_TIMEOUT = float(os.environ.get("WEBHOOKS_TIMEOUT", "10"))


class DevelopmentConfig(Config):
    """Local `make run`: plain-HTTP cookies so the browser keeps the session on 127.0.0.1."""

    ENV_NAME = "development"
    SANDBOX_PLUGINS = True
    METRICS_OPEN = True
    WEBHOOKS_ALLOW_PRIVATE = True
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    PREFERRED_URL_SCHEME = "http"


class TestingConfig(DevelopmentConfig):
    """The test suite: cheap password hashing, database given by the fixture."""

    ENV_NAME = "testing"
    TESTING = True
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    RATELIMIT_ENABLED = True
    MAIL_BACKEND = "outbox"
    REDIS_URL = None
    ENCRYPTION_KEYS = _testing_encryption_key()
    EMBEDDED_SCHEDULER = False
    METRICS_TOKEN = None
    READINESS_CACHE_SECONDS = 0


CONFIGS = {"production": Config, "development": DevelopmentConfig, "testing": TestingConfig}


def load_config(name: str | None = None, overrides: dict | None = None) -> dict:
    """Return the settings of the named environment (AFTERCARE_ENV by default) merged with overrides."""
    name = name or os.environ.get("AFTERCARE_ENV", "production")
    cls = CONFIGS[name]
    settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
    settings.update(overrides or {})
    production = name == "production"
    if not settings.get("SECRET_KEY"):
        # Production takes its key from the environment only (check_production says so); elsewhere one is made.
        settings["SECRET_KEY"] = os.environ.get("SECRET_KEY") if production else _secret_key()
    if not settings.get("ENCRYPTION_KEYS"):
        settings["ENCRYPTION_KEYS"] = os.environ.get("ENCRYPTION_KEYS") if production else _encryption_keys()
    if settings.get("TRUSTED_HOSTS") is None and production:
        # A request naming another host is refused, so nothing can be built on a Host header the sender chose.
        settings["TRUSTED_HOSTS"] = [urlsplit(settings["BASE_URL"]).hostname]
    return settings
