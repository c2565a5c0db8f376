"""A small 发票云 standard-API client, written as an ERP integrator would write it: requests for
HTTP, hashlib/hmac for the sign, `cryptography` for AES-128-ECB. Deliberately independent of
webapp (it must not share the server's arithmetic, or a shared mistake would pass).

It meets the portal as the public SDKs do (Guzzle and the like): any answer that is not a 2xx
raises NetworkError ("网络异常：…") before the answer's errcode is even read, and an answer
that is not a JSON object raises too. Only a 2xx JSON answer reaches the errcode branch.
"""
import base64
import hashlib
import hmac
import json
import random
import time

import requests
from requests.adapters import HTTPAdapter
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


class NetworkError(Exception):
    """What an SDK raises for a non-2xx answer: the integrator sees only "网络异常"."""


class Refused(Exception):
    """A 2xx answer with errcode ≠ 0000 (what an SDK's own errcode branch raises)."""

    def __init__(self, errcode: str, description: str):
        super().__init__(f"{errcode} {description}")
        self.errcode, self.description = errcode, description


def make_sign(client_id: str, client_secret: str, timestamp: str, enc_type: int) -> str:
    message = (client_id + client_secret + timestamp).encode()
    if enc_type == 0:
        return hashlib.md5(message).hexdigest()
    if enc_type == 1:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(client_secret.encode(), message, hashlib.sha256).hexdigest()


def aes_encrypt(data, key: str, *, raw: bytes | None = None) -> str:
    padder = padding.PKCS7(128).padder()
    plain = raw if raw is not None else json.dumps(data, ensure_ascii=False).encode()
    padded = padder.update(plain) + padder.finalize()
    enc = Cipher(algorithms.AES(key.encode()), modes.ECB()).encryptor()
    return base64.b64encode(enc.update(padded) + enc.finalize()).decode()


def reqid() -> str:
    return f"{int(time.time() * 1000)}{random.randint(0, 999):03d}"


def checked(response: requests.Response) -> requests.Response:
    """The SDK's transport rule: a 2xx answer with a JSON object, or NetworkError."""
    if not 200 <= response.status_code < 300:
        raise NetworkError(f"网络异常：HTTP {response.status_code} {response.text[:300]}")
    try:
        body = response.json()
    except ValueError:
        raise NetworkError(f"无法解析返回：{response.text[:300]}") from None
    if not isinstance(body, dict) or "errcode" not in body:
        raise NetworkError(f"无法解析返回：{response.text[:300]}")
    return response


class SourceAddress(HTTPAdapter):
    """Connect from a given local address (any of 127.0.0.0/8 on Linux loopback): each ERP host
    is a distinct client address to the server's limits."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class ErpClient:
    def __init__(self, base_url: str, client_id: str, client_secret: str, encry_key: str,
                 enc_type: int = 0, millis: bool = False, source: str | None = None):
        self.base_url, self.client_id = base_url, client_id
        self.client_secret, self.encry_key = client_secret, encry_key
        self.enc_type, self.millis = enc_type, millis
        self.http = requests.Session()
        if source:
            self.http.mount("http://", SourceAddress(source))

    def timestamp(self, offset: float = 0) -> str:
        now = time.time() + offset
        return str(int(now * 1000)) if self.millis else str(int(now))

    def post(self, path: str, *, method: str = "POST", **kw) -> requests.Response:
        """Any call, checked as an SDK checks it (raises NetworkError on a non-2xx)."""
        kw.setdefault("timeout", 10)
        return checked(self.http.request(method, f"{self.base_url}{path}",
                                         allow_redirects=False, **kw))

    def token_call(self, timestamp: str | None = None, sign: str | None = None,
                   send_enc_type: bool = True, as_number: bool = False) -> requests.Response:
        timestamp = timestamp or self.timestamp()
        body = {"client_id": self.client_id,
                "timestamp": int(timestamp) if as_number else timestamp,
                "sign": sign or make_sign(self.client_id, self.client_secret, timestamp,
                                          self.enc_type)}
        if send_enc_type:
            body["encType"] = self.enc_type
        return self.post("/base/oauth/token", json=body)

    def token(self, **kw) -> str:
        answer = self.token_call(**kw).json()
        if answer["errcode"] != "0000":
            raise Refused(answer["errcode"], answer["description"])
        return answer["access_token"]

    def echo_call(self, token: str, data: dict, key: str | None = None,
                  body: str | None = None, reqid_value: str | None = None) -> requests.Response:
        body = body if body is not None else aes_encrypt(data, key or self.encry_key)
        return self.post("/base/check/echo",
                         params={"access_token": token, "reqid": reqid_value or reqid()},
                         data=body.encode() if isinstance(body, str) else body,
                         headers={"Content-Type": "application/json"})
