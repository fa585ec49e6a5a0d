"""Configuration: one class per environment, every setting overridable from the environment."""

import os
from datetime import timedelta

DEFAULT_SECRET_KEY = "dev-only-not-secret"
MIN_SECRET_KEY_BYTES = 32
MAKE_A_SECRET_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


def _env(name: str, default: str) -> str:
    return os.environ.get(f"FORMULARY_{name}") or default


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


class Config:
    """Settings shared by every environment; development uses them as they are."""

    SECRET_KEY = _env("SECRET_KEY", DEFAULT_SECRET_KEY)
    # A relative SQLite path lands in the instance folder (Flask-SQLAlchemy resolves it there).
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", "sqlite:///formulary.db")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    MAX_CONTENT_LENGTH = _env_int("UPLOAD_LIMIT_MB", 10) * 1024 * 1024
    IMPORT_MAX_ROWS = _env_int("IMPORT_MAX_ROWS", 100_000)
    # How a text date such as 03/04/2027 is read: "DMY" (3 April) or "MDY" (4 March).
    DATE_ORDER = _env("DATE_ORDER", "DMY").upper()
    EXPIRY_WARNING_DAYS = _env_int("EXPIRY_WARNING_DAYS", 30)
    PER_PAGE = _env_int("PER_PAGE", 50)
    CLINIC_NAME = _env("CLINIC_NAME", "formulary demo clinic")
    # How long a prepared syringe may wait before it is administered (USP <797> immediate use:
    # at most 240 minutes; a larger value is refused when a preparation is made).
    PREPARATION_USE_BY_MINUTES = _env_int("PREPARATION_USE_BY_MINUTES", 60)

    PASSWORD_HASH_METHOD = _env("PASSWORD_HASH_METHOD", "scrypt")
    # Wrong passwords for one account from one address: the first LOGIN_FREE_FAILURES are free,
    # each further one makes the next try wait (2 s, then 4 s …), the fifth locks that address out
    # of that account for LOGIN_THROTTLE_MINUTES. An address with 20 failures (any accounts) is
    # locked out of all. Nothing locks an account for everyone: the owner still gets in from
    # elsewhere, and LOGIN_ATTACK_FAILURES failures from all addresses together tell the admins.
    LOGIN_MAX_FAILURES_PER_ACCOUNT = _env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)
    LOGIN_FREE_FAILURES = _env_int("LOGIN_FREE_FAILURES", 2)
    LOGIN_SLOWDOWN_SECONDS = _env_int("LOGIN_SLOWDOWN_SECONDS", 2)
    LOGIN_MAX_FAILURES_PER_ADDRESS = _env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20)
    LOGIN_ATTACK_FAILURES = _env_int("LOGIN_ATTACK_FAILURES", 10)
    LOGIN_THROTTLE_MINUTES = _env_int("LOGIN_THROTTLE_MINUTES", 15)
    IDLE_TIMEOUT = timedelta(minutes=_env_int("IDLE_TIMEOUT_MINUTES", 30))
    SESSION_LIFETIME = timedelta(hours=_env_int("SESSION_LIFETIME_HOURS", 12))
    PERMANENT_SESSION_LIFETIME = SESSION_LIFETIME
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    # How many reverse proxies (TLS terminators) stand in front of the app. Their X-Forwarded-For
    # and X-Forwarded-Proto are believed only then, so that the audit trail and the login throttle
    # see the client's address, not the proxy's; with 0 a forged header changes nothing.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)

    # Purchasing (helper "orders"): an order covers the supplier's lead time plus this review period;
    # recent use is averaged over this many weeks.
    ORDER_REVIEW_DAYS = _env_int("ORDER_REVIEW_DAYS", 7)
    ORDER_HISTORY_WEEKS = _env_int("ORDER_HISTORY_WEEKS", 8)

    WTF_CSRF_TIME_LIMIT = None  # the login session bounds a form's life, not a clock
    BOOTSTRAP_SERVE_LOCAL = True  # clinics can be offline: never a CDN

    # Outgoing mail: the daily digest (`formulary notify`) and orders e-mailed to suppliers; the managers
    # the digest goes to.
    SMTP_HOST = _env("SMTP_HOST", "")
    SMTP_PORT = _env_int("SMTP_PORT", 25)
    SMTP_USER = _env("SMTP_USER", "")
    SMTP_PASSWORD = _env("SMTP_PASSWORD", "")
    SMTP_FROM = _env("SMTP_FROM", "")
    SMTP_STARTTLS = _env("SMTP_STARTTLS", "false").lower() in ("1", "true", "yes", "on")
    DIGEST_TO = _env("DIGEST_TO", "")
    # The clinic's time zone (an IANA name): appointment times are read and shown in it, stored in UTC.
    # An unknown name stops the app at start.
    TIMEZONE = _env("TIMEZONE", "Europe/Paris")
    # Administering a session needs the patient's signed consent (on screen or on paper) first.
    REQUIRE_CONSENT = _env("REQUIRE_CONSENT", "on").lower() not in ("0", "off", "false", "no")

    API_TITLE = "formulary"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_SPEC_OPTIONS = {
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
    }

    # Counting and money (helper "count"): the clinic's currency (ISO 4217) on every cost and value,
    # and how many days a lot may go uncounted before the dashboard calls its count overdue.
    CURRENCY = _env("CURRENCY", "EUR").strip().upper()
    COUNT_INTERVAL_DAYS = _env_int("COUNT_INTERVAL_DAYS", 90)
    # The dashboard keeps its figures per process while nothing is committed (formulary/dashboard/snapshot_cache.py);
    # 0 reads them all on every request.
    DASHBOARD_CACHE = _env("DASHBOARD_CACHE", "1").strip().lower() not in ("0", "off", "false", "no")


class DevelopmentConfig(Config):
    """Local demo: SQLite in the instance folder, the debug toolbar of Flask off."""


class TestingConfig(Config):
    """The test suite: its own database, fast password hashing, CSRF on (tests send tokens)."""

    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("FORMULARY_TEST_DATABASE_URL") or "sqlite://"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    SECRET_KEY = "testing-secret-key"
    # Off so that tests which administer sessions need not sign a consent; consent tests turn it on.
    REQUIRE_CONSENT = False


class ProductionConfig(Config):
    """Production behind gunicorn: secure cookies, and a real secret key or no start."""

    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls) -> None:
        """Refuse to start with the default secret key, or one shorter than 32 bytes."""
        if cls.SECRET_KEY == DEFAULT_SECRET_KEY:
            raise RuntimeError(
                "FORMULARY_SECRET_KEY is not set: production refuses to start with the "
                f"default secret key. Make one with {MAKE_A_SECRET_KEY} and set FORMULARY_SECRET_KEY to it."
            )
        size = len(cls.SECRET_KEY.encode())
        # It signs the login cookies and keys the login throttle: a short one can be guessed offline.
        if size < MIN_SECRET_KEY_BYTES or len(set(cls.SECRET_KEY)) < 8:
            raise RuntimeError(
                f"FORMULARY_SECRET_KEY is too weak ({size} bytes): production needs at least "
                f"{MIN_SECRET_KEY_BYTES} random bytes. Make one with {MAKE_A_SECRET_KEY} "
                "and set FORMULARY_SECRET_KEY to it."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The config class named by FORMULARY_ENV (development by default)."""
    name = _env("ENV", "development").lower()
    if name not in CONFIGS:
        raise RuntimeError(f"FORMULARY_ENV={name!r} is not one of {', '.join(CONFIGS)}")
    return CONFIGS[name]
