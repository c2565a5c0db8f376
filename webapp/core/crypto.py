"""Secrets at rest: Fernet with key rotation (DATA_ENCRYPTION_KEY, the first key encrypts)."""
import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    keys = [k.strip() for k in app.config["DATA_ENCRYPTION_KEY"].split(",") if k.strip()]
    try:
        fernet = MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise RuntimeError("DATA_ENCRYPTION_KEY must be one or more Fernet keys, comma-separated") from exc
    app.extensions["fernet"] = fernet


def encrypt(plaintext: str) -> str:
    """Encrypt with the first key."""
    return current_app.extensions["fernet"].encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt with whichever configured key made the token."""
    return current_app.extensions["fernet"].decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """Re-encrypt a token under the first key (after adding a new key in front)."""
    return current_app.extensions["fernet"].rotate(token.encode()).decode()


def keyed_hash(value: str, purpose: str) -> str:
    """An HMAC of `value` under SECRET_KEY, separated by purpose; for secrets we only compare."""
    key = hashlib.sha256(f"{purpose}:{current_app.config['SECRET_KEY']}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def hash_matches(value: str, expected: str | None, purpose: str) -> bool:
    return expected is not None and hmac.compare_digest(keyed_hash(value, purpose), expected)
