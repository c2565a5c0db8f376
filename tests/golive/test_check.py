"""The connection check, driven by a real ERP-style client over HTTP against a live server."""
import json
import logging

import pytest
from erp_client import ErpClient, aes_encrypt, make_sign

from webapp.credentials import service as credentials
from webapp.extensions import db
from webapp.models import ConnectionCheck, Credential
from webapp.models.credential import DISABLED
from webapp.orm import utcnow


def _client(server, issued_row, **kw):
    return ErpClient(server.url, issued_row["client_id"], issued_row["client_secret"],
                     issued_row["encry_key"], **kw)


@pytest.mark.parametrize("enc_type", [0, 1, 2])
@pytest.mark.parametrize("millis", [False, True])
def test_sign_token_encrypt_echo_decrypt(live_server, issued, enc_type, millis):
    server = live_server()
    row = issued(server)
    erp = _client(server, row, enc_type=enc_type, millis=millis)
    answer = erp.token_call()
    assert answer.status_code == 200
    token = answer.json()
    assert token["errcode"] == "0000" and token["token_type"] == "bearer"
    assert token["expires_in"] == 7200 and len(token["access_token"]) >= 32
    payload = {"hello": "发票云", "n": enc_type}
    echo = erp.echo_call(token["access_token"], payload)
    assert echo.status_code == 200 and echo.headers["Content-Type"] == "application/json"
    data = echo.json()
    assert data["errcode"] == "0000"
    assert data["data"]["taxNo"] == row["tax_id"] and data["data"]["payload"] == payload


def test_sign_without_enc_type_is_recognised(live_server, issued):
    server = live_server()
    row = issued(server)
    erp = _client(server, row, enc_type=2)
    assert erp.token_call(send_enc_type=False).json()["errcode"] == "0000"


def _refusal(response, status, code, *words):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errcode"] == code, body
    for word in words:
        assert word in body["description"], body
    return body["description"]


def test_each_cause_is_named(live_server, issued):
    server = live_server()
    row = issued(server)
    erp = _client(server, row, millis=True)  # several calls in one second need distinct signs

    unknown = ErpClient(server.url, "fpy-e-nosuchclient", row["client_secret"], row["encry_key"])
    _refusal(unknown.token_call(), 401, "1001", "未知的 client_id")

    wrong = ErpClient(server.url, row["client_id"], row["client_secret"] + " ", row["encry_key"])
    text = _refusal(wrong.token_call(), 401, "1003", "sign 不匹配", "client_id + client_secret + timestamp")
    assert row["client_secret"] not in text

    ts = erp.timestamp()
    swapped = make_sign(row["client_secret"], row["client_id"], ts, 0)  # secret + id + ts
    _refusal(erp.token_call(timestamp=ts, sign=swapped), 401, "1003",
             "client_secret + client_id + timestamp")

    _refusal(erp.token_call(timestamp=erp.timestamp(-600)), 400, "1004", "5 分钟")
    _refusal(erp.token_call(timestamp=erp.timestamp(+400)), 400, "1004")
    _refusal(erp.token_call(timestamp="yesterday"), 400, "1008", "timestamp")

    tenant = ErpClient(server.url, row["tenant"]["client_id"], row["tenant"]["client_secret"],
                       row["tenant"]["encry_key"])
    _refusal(tenant.token_call(), 403, "1005", "租户授权", "企业授权")

    ts = erp.timestamp()
    assert erp.token_call(timestamp=ts).json()["errcode"] == "0000"
    _refusal(erp.token_call(timestamp=ts), 401, "1007", "重放")

    token = erp.token()
    _refusal(erp.echo_call(token, {"a": 1}, key="0123456789abcdef"), 400, "2002", "EncryKey 错误")
    _refusal(erp.echo_call(token, {}, body="not base64 at all!"), 400, "2002", "Base64")
    _refusal(erp.echo_call("nope", {"a": 1}), 401, "2001", "access_token")

    with server.app.app_context():
        cred = db.session.get(Credential, row["credential_id"])
        cred.status, cred.disabled_at = DISABLED, utcnow()
        db.session.commit()
    _refusal(erp.token_call(), 403, "1006", "已停用")
    _refusal(erp.echo_call(token, {"a": 1}), 403, "1006", "已停用")


def test_bad_bodies_are_4xx_and_write_nothing(live_server, issued):
    import requests

    server = live_server()
    row = issued(server)
    url = server.url + "/base/oauth/token"
    for body in ("", "[]", "null", '{"client_id": 5}', '{"client_id": "x"}', "\x00garbage"):
        answer = requests.post(url, data=body.encode(), headers={"Content-Type": "application/json"})
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["errcode"] == "1008"
    answer = requests.post(server.url + "/base/check/echo", data=b"x" * 70_000)
    assert answer.status_code == 413
    assert requests.get(url).status_code == 405
    with server.app.app_context():
        assert db.session.scalar(db.select(ConnectionCheck).where(
            ConnectionCheck.credential_id == row["credential_id"])) is None


def test_after_reset_the_old_secret_says_secret_reset(live_server, issued):
    server = live_server()
    row = issued(server)
    old = _client(server, row)
    token = old.token()
    with server.app.app_context():
        cred = db.session.get(Credential, row["credential_id"])
        credentials.rotate_secret(cred, actor=None)
        db.session.commit()
        fresh = credentials.reveal(cred)
    _refusal(old.token_call(), 401, "1002", "重置", "旧的 client secret")
    _refusal(old.echo_call(token, {"a": 1}), 401, "1002", "重置")
    new = ErpClient(server.url, row["client_id"], fresh["client_secret"], fresh["encry_key"])
    new_token = new.token()
    assert new.echo_call(new_token, {"a": 1}).json()["errcode"] == "0000"
    _refusal(new.echo_call(new_token, {"a": 1}, key=row["encry_key"]), 400, "2002", "随密钥重置")


def test_never_logs_or_echoes_a_secret(live_server, issued, caplog):
    caplog.set_level(logging.DEBUG)
    server = live_server()
    row = issued(server)
    erp = _client(server, row, enc_type=2, millis=True)
    texts = []
    token_answer = erp.token_call()
    texts.append(token_answer.text)
    token = token_answer.json()["access_token"]
    texts.append(erp.echo_call(token, {"x": 1}).text)
    texts.append(erp.echo_call(token, {"x": 1}, key="0123456789abcdef").text)
    wrong = ErpClient(server.url, row["client_id"], "guess", row["encry_key"])
    texts.append(wrong.token_call().text)
    ts = erp.timestamp()
    sign = make_sign(row["client_id"], row["client_secret"], ts, 2)
    texts.append(erp.token_call(timestamp=ts, sign=sign).text)
    texts.append(erp.token_call(timestamp=ts, sign=sign).text)  # replay
    server_log = "\n".join(r.getMessage() for r in caplog.records
                           if r.name.startswith(("webapp", "werkzeug", "flask")))
    logged = server_log + "".join(texts)
    assert "errcode=1007" in server_log  # the refusals are logged …
    for secret in (row["client_secret"], row["encry_key"], sign,
                   aes_encrypt({"x": 1}, row["encry_key"])):
        assert secret not in logged  # … without any secret, sign or body
    assert "access_token" in texts[0] and "重放" in json.loads(texts[-1])["description"]


def test_status_records_first_verification_and_last_failure(live_server, issued):
    server = live_server()
    row = issued(server)
    erp = _client(server, row)
    ErpClient(server.url, row["client_id"], "wrong", row["encry_key"]).token_call()
    with server.app.app_context():
        outcome = db.session.scalar(db.select(ConnectionCheck).where(
            ConnectionCheck.credential_id == row["credential_id"]))
        assert outcome.failure_code == "1003" and outcome.verified_at is None
    token = erp.token()
    erp.echo_call(token, {"a": 1})
    erp.echo_call(token, {"a": 2})
    with server.app.app_context():
        outcome = db.session.scalar(db.select(ConnectionCheck).where(
            ConnectionCheck.credential_id == row["credential_id"]))
        assert outcome.verified_at is not None and outcome.verified_ip == "127.0.0.1"
