"""Configuration: defaults, then the environment (a `.env` file is read when present)."""
import os
import re
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

REQUIRED_SECRETS = ("SECRET_KEY", "DATA_ENCRYPTION_KEY")
# The 工商 registry provider's settings (webapp/registry): taken from the environment as given.
REGISTRY_SETTINGS = (
    "REGISTRY_PROVIDER", "REGISTRY_HTTP_URL", "REGISTRY_HTTP_TOKEN", "REGISTRY_HTTP_TOKEN_HEADER",
    "REGISTRY_HTTP_MAPPING", "REGISTRY_HTTP_QUERY_PARAM", "REGISTRY_HTTP_ITEMS",
    "REGISTRY_HTTP_FIELDS", "REGISTRY_HTTP_TIMEOUT", "REGISTRY_HTTP_CACHE_SECONDS",
)


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _choice(value: str | None, allowed: tuple[str, ...], default: str, name: str) -> str:
    value = (value or "").strip().lower() or default
    if value not in allowed:
        raise RuntimeError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


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
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", DEFAULT_SENDER),
        "PUBLIC_BASE_URL": (env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        "DEV_PORT": env.get("FLASK_RUN_PORT") or "5000",
        "REDIS_URL": env.get("REDIS_URL") or None,
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE")),
        "API_TOKEN": env.get("API_TOKEN") or None,
        **{name: env[name] for name in REGISTRY_SETTINGS if env.get(name)},
        "MAIL_TIMEOUT": float(env.get("MAIL_TIMEOUT") or Defaults.MAIL_TIMEOUT),
        "OUTBOX_SENDER": _choice(env.get("OUTBOX_SENDER"), ("thread", "off"), Defaults.OUTBOX_SENDER,
                                 "OUTBOX_SENDER"),
        "OUTBOX_LEASE_SECONDS": int(env.get("OUTBOX_LEASE_SECONDS")
                                    or Defaults.OUTBOX_LEASE_SECONDS),
        "OUTBOX_POLL_SECONDS": float(env.get("OUTBOX_POLL_SECONDS") or Defaults.OUTBOX_POLL_SECONDS),
        "OUTBOX_BACKOFF_SECONDS": float(env.get("OUTBOX_BACKOFF_SECONDS")
                                        or Defaults.OUTBOX_BACKOFF_SECONDS),
        "DAILY_JOBS_CHECK_SECONDS": float(env.get("DAILY_JOBS_CHECK_SECONDS")
                                          or Defaults.DAILY_JOBS_CHECK_SECONDS),
        # None: on outside development and testing (create_app decides once APP_ENV is final).
        "LOG_JSON": _bool(env.get("LOG_JSON")) if env.get("LOG_JSON") else None,
    }
    # The connection check (webapp/golive): the API's base URL per environment (default: this
    # portal's own check, PUBLIC_BASE_URL and PUBLIC_BASE_URL/test), push addresses and
    # limits, set only when given.
    for name in ("GOLIVE_BASE_URL_TEST", "GOLIVE_BASE_URL_PRODUCTION", "GOLIVE_PUSH_URL_ISSUE",
                 "GOLIVE_PUSH_URL_RECEIVE"):
        if env.get(name):
            cfg[name] = env[name].rstrip("/")
    for name in ("GOLIVE_TOKEN_LIMIT", "GOLIVE_TOKEN_WINDOW", "GOLIVE_FAILURE_LIMIT",
                 "GOLIVE_FAILURE_WINDOW"):
        if re.fullmatch(r"[0-9]{1,9}", env.get(name) or ""):
            cfg[name] = int(env[name])
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


def settle_public_base_url(config) -> None:
    """PUBLIC_BASE_URL, when given, is where every link in an email points. Without it, in
    development links follow the address the app is served on (the request's, at queue time:
    web/navigation.py); mail queued outside a request, and any other environment, use
    http://127.0.0.1:<FLASK_RUN_PORT or 5000>."""
    if config.get("PUBLIC_BASE_URL"):
        config.setdefault("PUBLIC_BASE_URL_FROM_REQUEST", False)
        return
    config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{config.get('DEV_PORT') or 5000}"
    config.setdefault("PUBLIC_BASE_URL_FROM_REQUEST", config.get("APP_ENV") == "development")


DEFAULT_SENDER = "发票云激活中心 <noreply@localhost>"  # i18n: data (a configured address's name)


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
    ACTIVATION_ORDER_MAX_WRONG_KEYS = 50  # per order from all addresses: distributed guessing
    LOGIN_MAX_FAILURES = 10
    LOGIN_FAILURE_WINDOW = 15 * 60
    MOVE_LOOKUP_LIMIT = 30  # /requests/move look-ups per tenant and per address in the window
    MOVE_LOOKUP_WINDOW = 15 * 60
    # Tax IDs of other tenants one tenant may see named (新增企业, the bulk-import preview) per window
    HOLDER_PROBE_LIMIT = 10
    HOLDER_PROBE_WINDOW = 3600
    LOGIN_ACCOUNT_MAX_FAILURES = 100  # per account from all addresses: distributed guessing
    PASSWORD_HASH_METHOD = "scrypt"
    MAIL_TIMEOUT = 10
    OUTBOX_MAX_ATTEMPTS = 8
    # A sender renews its lease before each message, so a dead sender's claims come free this
    # soon while a live one never loses its batch (MAIL_TIMEOUT bounds one message).
    OUTBOX_LEASE_SECONDS = 45
    OUTBOX_POLL_SECONDS = 2.0
    OUTBOX_BACKOFF_SECONDS = 30.0  # the first retry's delay; it doubles, up to an hour
    DAILY_JOBS_CHECK_SECONDS = 300.0  # how often `outbox work` looks for a new day's jobs
    # "thread": a background sender inside the web process; "off": only `flask outbox send|work`.
    OUTBOX_SENDER = "thread"
    PASSWORD_LINK_MAX_AGE = 3 * 24 * 3600  # the link a new staff account sets its password with
    PASSWORD_RESET_MAX_AGE = 3600  # a 忘记密码 link (also one support sends)
    PASSWORD_RESET_EMAILS_PER_HOUR = 3  # 忘记密码 emails per account and hour (more: no email)
    PASSWORD_RESET_ADDRESS_LIMIT = 10  # 忘记密码 requests per client address in the window
    PASSWORD_RESET_ADDRESS_WINDOW = 3600
    REQUEST_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
    API_MAX_TOKEN_FAILURES = 10  # wrong API tokens per address in the window
    API_TOKEN_FAILURE_WINDOW = 15 * 60
    GOLIVE_TOKEN_LIMIT = 30  # tokens per credential and per address in the window
    GOLIVE_TOKEN_WINDOW = 60
    GOLIVE_FAILURE_LIMIT = 30  # refused connection checks in the window
    GOLIVE_FAILURE_WINDOW = 10 * 60
    SQLITE_BUSY_TIMEOUT_MS = 15000  # how long a write waits for SQLite's write lock
    REGISTRY_PROVIDER = "local"
    REGISTRY_HTTP_MAPPING = "generic"
    REGISTRY_HTTP_TOKEN_HEADER = "Authorization"
    REGISTRY_HTTP_TIMEOUT = 2.0
    REGISTRY_HTTP_CACHE_SECONDS = 300.0
