"""Configuration: defaults, then the environment (a `.env` file is read when present)."""
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

REQUIRED_SECRETS = ("SECRET_KEY", "DATA_ENCRYPTION_KEY")


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret(name: str, make) -> str:
    """Read a development secret from instance/, generating it on first run."""
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / f"{name.lower()}.txt"
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def from_environment() -> dict:
    """Build the configuration from the environment, after reading `.env`."""
    load_dotenv(ROOT / ".env")
    env = os.environ
    app_env = env.get("APP_ENV", "production")
    cfg = {
        "APP_ENV": app_env,
        "SECRET_KEY": env.get("SECRET_KEY"),
        "DATA_ENCRYPTION_KEY": env.get("DATA_ENCRYPTION_KEY"),
        "SQLALCHEMY_DATABASE_URI": env.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE / 'webapp.sqlite3'}"
        ),
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(env.get("MAIL_PORT") or 25),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _bool(env.get("MAIL_USE_SSL")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "发票云激活中心 <noreply@localhost>"),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE")),
        "API_TOKEN": env.get("API_TOKEN") or None,
    }
    if env.get("TAX_ID_CHANGE_FEE"):
        cfg["TAX_ID_CHANGE_FEE"] = int(env["TAX_ID_CHANGE_FEE"])
    if app_env == "development":
        if not cfg["SECRET_KEY"]:
            cfg["SECRET_KEY"] = _dev_secret("SECRET_KEY", lambda: secrets.token_urlsafe(48))
        if not cfg["DATA_ENCRYPTION_KEY"]:
            cfg["DATA_ENCRYPTION_KEY"] = _dev_secret(
                "DATA_ENCRYPTION_KEY", lambda: Fernet.generate_key().decode()
            )
    return cfg


class Defaults:
    """Values every configuration starts from."""

    APP_ENV = "production"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_HEADERS = ["X-CSRFToken"]
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead; a long form must not expire mid-way
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    TAX_ID_CHANGE_FEE = 500  # yuan: the default fee of a 开票 tax ID change (the approver may change it)
    ACTIVATION_LINK_MAX_AGE = 30 * 24 * 3600
    ACTIVATION_MAX_WRONG_KEYS = 5
    ACTIVATION_WRONG_KEY_WINDOW = 15 * 60
    LOGIN_MAX_FAILURES = 10
    LOGIN_FAILURE_WINDOW = 15 * 60
    PASSWORD_HASH_METHOD = "scrypt"
    MAIL_TIMEOUT = 10
    OUTBOX_MAX_ATTEMPTS = 8
    OUTBOX_LEASE_SECONDS = 300
    OUTBOX_POLL_SECONDS = 2.0
    # "thread": a background sender inside the web process; "off": only `flask outbox send|work`.
    OUTBOX_SENDER = "thread"
    RATELIMIT_HEADERS_ENABLED = False
