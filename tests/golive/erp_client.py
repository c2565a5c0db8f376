"""A small 发票云 standard-API client, written as an ERP integrator would write it: requests for
HTTP, hashlib/hmac for the sign, `cryptography` for AES-128-ECB. Deliberately independent of
webapp (it must not share the server's arithmetic, or a shared mistake would pass)."""
import base64
import hashlib
import hmac
import json
import random
import time

import requests
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def make_sign(client_id: str, client_secret: str, timestamp: str, enc_type: int) -> str:
    message = (client_id + client_secret + timestamp).encode()
    if enc_type == 0:
        return hashlib.md5(message).hexdigest()
    if enc_type == 1:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(client_secret.encode(), message, hashlib.sha256).hexdigest()


def aes_encrypt(data: dict, key: str) -> str:
    padder = padding.PKCS7(128).padder()
    raw = padder.update(json.dumps(data, ensure_ascii=False).encode()) + padder.finalize()
    enc = Cipher(algorithms.AES(key.encode()), modes.ECB()).encryptor()
    return base64.b64encode(enc.update(raw) + enc.finalize()).decode()


def reqid() -> str:
    return f"{int(time.time() * 1000)}{random.randint(0, 999):03d}"


class ErpClient:
    def __init__(self, base_url: str, client_id: str, client_secret: str, encry_key: str,
                 enc_type: int = 0, millis: bool = False):
        self.base_url, self.client_id = base_url, client_id
        self.client_secret, self.encry_key = client_secret, encry_key
        self.enc_type, self.millis = enc_type, millis
        self.http = requests.Session()

    def timestamp(self, offset: float = 0) -> str:
        now = time.time() + offset
        return str(int(now * 1000)) if self.millis else str(int(now))

    def token_call(self, timestamp: str | None = None, sign: str | None = None,
                   send_enc_type: bool = True) -> requests.Response:
        timestamp = timestamp or self.timestamp()
        body = {"client_id": self.client_id, "timestamp": timestamp,
                "sign": sign or make_sign(self.client_id, self.client_secret, timestamp,
                                          self.enc_type)}
        if send_enc_type:
            body["encType"] = self.enc_type
        return self.http.post(f"{self.base_url}/base/oauth/token", json=body, timeout=10)

    def token(self) -> str:
        answer = self.token_call().json()
        assert answer["errcode"] == "0000", answer
        return answer["access_token"]

    def echo_call(self, token: str, data: dict, key: str | None = None,
                  body: str | None = None) -> requests.Response:
        body = body if body is not None else aes_encrypt(data, key or self.encry_key)
        return self.http.post(f"{self.base_url}/base/check/echo",
                              params={"access_token": token, "reqid": reqid()}, data=body,
                              headers={"Content-Type": "application/json"}, timeout=10)
