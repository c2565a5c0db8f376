"""`make serve`: the production layout on one machine.

gunicorn (WEB_WORKERS workers, gunicorn.conf.py) on PostgreSQL, Redis for the rate limits,
OUTBOX_WORKERS `flask --app webapp outbox work` processes (which also run the daily expiry
reminders), and no sender thread in the web processes. Missing SECRET_KEY and
DATA_ENCRYPTION_KEY are generated into instance/ (as development does) and reused afterwards.
Ctrl-C stops everything; an outbox worker that dies is started again.
"""
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/webapp"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def _secrets(env: dict) -> None:
    import secrets

    from cryptography.fernet import Fernet

    from webapp.config import _dev_secret

    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = _dev_secret("SECRET_KEY", lambda: secrets.token_urlsafe(48))
    if not env.get("DATA_ENCRYPTION_KEY"):
        env["DATA_ENCRYPTION_KEY"] = _dev_secret("DATA_ENCRYPTION_KEY",
                                                 lambda: Fernet.generate_key().decode())


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in `url` if it does not exist yet."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if not target.drivername.startswith("postgresql"):
        return
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": target.database})
        if not exists:
            if not re.fullmatch(r"[A-Za-z0-9_]+", target.database or ""):
                sys.exit(f"refusing to create a database named {target.database!r}")
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
            print(f"created database {target.database}")
    admin.dispose()


def _check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        sys.exit(f"Redis at {url} is not reachable ({exc}); start it or set REDIS_URL")


def environment() -> dict:
    env = dict(os.environ)
    env.setdefault("APP_ENV", "production")
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    env.setdefault("REDIS_URL", DEFAULT_REDIS)
    env.setdefault("BIND", "127.0.0.1:8000")
    env.setdefault("PUBLIC_BASE_URL", f"http://{env['BIND']}")
    env["OUTBOX_SENDER"] = "off"  # the outbox workers deliver
    _secrets(env)
    return env


def main() -> None:
    env = environment()
    ensure_database(env["DATABASE_URL"])
    _check_redis(env["REDIS_URL"])
    flask = [sys.executable, "-m", "flask", "--app", "webapp"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True)
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")],
                           cwd=ROOT, env=env)
    outbox_count = int(env.get("OUTBOX_WORKERS", "2"))
    workers = [subprocess.Popen([*flask, "outbox", "work"], cwd=ROOT, env=env)
               for _ in range(outbox_count)]
    print(f"serving on http://{env['BIND']} ({env.get('WEB_WORKERS', '2')} web workers, "
          f"{outbox_count} outbox workers; database {env['DATABASE_URL']})", flush=True)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        while not stopping and web.poll() is None:
            for i, worker in enumerate(workers):
                if worker.poll() is not None:
                    print(f"outbox worker exited ({worker.returncode}); starting another",
                          flush=True)
                    workers[i] = subprocess.Popen([*flask, "outbox", "work"], cwd=ROOT, env=env)
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for proc in [web, *workers]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [web, *workers]:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
