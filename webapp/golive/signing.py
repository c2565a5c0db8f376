"""The 发票云 standard-API arithmetic: token signs and the AES-128-ECB body encryption.

Pure functions of their inputs (no app, no database), shared by the check endpoints, the setup
cards' examples and the tests' client.
"""
import base64
import binascii
import hashlib
import hmac

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from flask_babel import lazy_gettext as _l

SIGN_TYPES = {0: "MD5", 1: "SHA-256", 2: _l("HMAC-SHA256（密钥为 client_secret）")}
SIGN_ORDER = "client_id + client_secret + timestamp"
# Orders integrators get wrong, recognised so the error can say which one was used.
OTHER_ORDERS = {
    "client_secret + client_id + timestamp": lambda i, s, t: s + i + t,
    "timestamp + client_id + client_secret": lambda i, s, t: t + i + s,
    "client_id + timestamp + client_secret": lambda i, s, t: i + t + s,
}


def sign(client_id: str, client_secret: str, timestamp: str, enc_type: int = 0,
         *, message: str | None = None) -> str:
    """Lower-case hex sign of client_id + client_secret + timestamp (or `message`)."""
    text = (client_id + client_secret + timestamp if message is None else message).encode()
    if enc_type == 0:
        return hashlib.md5(text).hexdigest()
    if enc_type == 1:
        return hashlib.sha256(text).hexdigest()
    if enc_type == 2:
        return hmac.new(client_secret.encode(), text, hashlib.sha256).hexdigest()
    raise ValueError(f"unknown encType {enc_type}")


def same(expected: str, given: str) -> bool:
    """Constant-time comparison of a sign, as bytes: `hmac.compare_digest` raises TypeError
    for a str that is not ASCII (a Chinese `sign` was a 500)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))


def matching_type(given: str, client_id: str, client_secret: str, timestamp: str,
                  enc_types) -> int | None:
    """The encType whose sign equals `given` (compared in constant time), else None."""
    found = None
    for enc_type in enc_types:
        if same(sign(client_id, client_secret, timestamp, enc_type), given):
            found = enc_type
    return found


def misordered(given: str, client_id: str, client_secret: str, timestamp: str,
               enc_types) -> str | None:
    """The wrong concatenation order `given` was made with, if it is a common one."""
    for name, join in OTHER_ORDERS.items():
        message = join(client_id, client_secret, timestamp)
        for enc_type in enc_types:
            if same(sign(client_id, client_secret, timestamp, enc_type, message=message),
                    given):
                return name
    return None


def encrypt_body(payload: bytes, encry_key: str) -> str:
    """Base64(AES-128-ECB(payload, PKCS#7)) under the 16-character EncryKey."""
    padder = padding.PKCS7(128).padder()
    padded = padder.update(payload) + padder.finalize()
    encryptor = Cipher(algorithms.AES(encry_key.encode()), modes.ECB()).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


class NotBase64(ValueError):
    pass


class WrongKey(ValueError):
    pass


def decrypt_body(text: bytes | str, encry_key: str) -> bytes:
    """The plaintext of a Base64 AES-128-ECB body; NotBase64 or WrongKey when it is not one."""
    if isinstance(text, str):
        text = text.encode()
    try:
        raw = base64.b64decode(b"".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NotBase64(str(exc)) from None
    if not raw or len(raw) % 16:
        raise NotBase64("length is not a multiple of 16 bytes")
    decryptor = Cipher(algorithms.AES(encry_key.encode()), modes.ECB()).decryptor()
    padded = decryptor.update(raw) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise WrongKey("padding") from None
