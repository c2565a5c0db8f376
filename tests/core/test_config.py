"""Every setting the README names can be set from the environment."""
import pytest
from cryptography.fernet import Fernet

from webapp import create_app

SECRETS = {"SECRET_KEY": "s", "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode()}


@pytest.mark.parametrize("variable, value, expected", [
    ("OUTBOX_SENDER", "off", "off"),
    ("OUTBOX_SENDER", "thread", "thread"),
    ("OUTBOX_LEASE_SECONDS", "20", 20),
    ("OUTBOX_POLL_SECONDS", "0.5", 0.5),
    ("MAIL_TIMEOUT", "3", 3.0),
    ("OUTBOX_BACKOFF_SECONDS", "1", 1.0),
    ("DAILY_JOBS_CHECK_SECONDS", "60", 60.0),
    ("LOG_JSON", "false", False),
    ("REDIS_URL", "redis://127.0.0.1:6379/6", "redis://127.0.0.1:6379/6"),
])
def test_setting_comes_from_the_environment(monkeypatch, variable, value, expected):
    monkeypatch.setenv(variable, value)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app(SECRETS)
    assert app.config[variable] == expected


def test_an_unknown_outbox_sender_refuses_to_start(monkeypatch):
    monkeypatch.setenv("OUTBOX_SENDER", "threads")
    with pytest.raises(RuntimeError, match="OUTBOX_SENDER must be one of thread, off"):
        create_app(SECRETS)


def test_json_logs_are_on_in_production_and_off_in_development(monkeypatch):
    monkeypatch.delenv("LOG_JSON", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    assert create_app(SECRETS).config["LOG_JSON"] is True
    assert create_app({**SECRETS, "APP_ENV": "development"}).config["LOG_JSON"] is False


def test_public_base_url_is_authoritative_when_set(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://portal.example.com/")
    app = create_app({**SECRETS, "APP_ENV": "development"})
    assert app.config["PUBLIC_BASE_URL"] == "https://portal.example.com"
    assert app.config["PUBLIC_BASE_URL_FROM_REQUEST"] is False


def test_without_public_base_url_development_follows_the_served_port(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("FLASK_RUN_PORT", "5001")  # make run PORT=5001
    app = create_app({**SECRETS, "APP_ENV": "development"})
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5001"  # mail queued by the CLI
    assert app.config["PUBLIC_BASE_URL_FROM_REQUEST"] is True
    assert create_app(SECRETS).config["PUBLIC_BASE_URL_FROM_REQUEST"] is False  # production
