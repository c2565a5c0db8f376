"""The connection check, driven over HTTP by an ERP-style client that behaves like the public
SDKs: it raises on any non-2xx answer, so every refusal must be an errcode in an HTTP 200."""
import json
import logging
import threading

import pytest
import requests
from erp_client import ErpClient, NetworkError, Refused, aes_encrypt, checked, make_sign

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
    token = erp.token_call().json()
    assert token["errcode"] == "0000" and token["token_type"] == "bearer"
    assert token["expires_in"] == 7200 and len(token["access_token"]) >= 32
    payload = {"hello": "发票云", "n": enc_type}
    echo = erp.echo_call(token["access_token"], payload)
    assert echo.headers["Content-Type"] == "application/json"
    data = echo.json()
    assert data["errcode"] == "0000"
    assert data["data"]["taxNo"] == row["tax_id"] and data["data"]["payload"] == payload


def test_sign_without_enc_type_and_a_numeric_timestamp_are_recognised(live_server, issued):
    """As the PHP SDK sends it: no encType, `timestamp` a JSON number."""
    server = live_server()
    row = issued(server)
    assert _client(server, row, enc_type=2).token(send_enc_type=False)
    assert _client(server, row, enc_type=0).token(send_enc_type=False, as_number=True)


def _refusal(response, code, *words):
    """An SDK's errcode branch: the answer got past the transport check (a 2xx) and names
    its cause."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["errcode"] == code, body
    for word in words:
        assert word in body["description"], body
    return body["description"]


def test_each_cause_is_named_in_an_http_200(live_server, issued):
    server = live_server()
    row = issued(server)
    erp = _client(server, row, millis=True)  # several calls in one second need distinct signs

    unknown = ErpClient(server.url, "fpy-e-nosuchclient", row["client_secret"], row["encry_key"])
    _refusal(unknown.token_call(), "1001", "未知的 client_id")
    with pytest.raises(Refused) as refused:
        unknown.token()
    assert refused.value.errcode == "1001"  # what the SDK's errcode branch raises

    wrong = ErpClient(server.url, row["client_id"], row["client_secret"] + " ", row["encry_key"])
    text = _refusal(wrong.token_call(), "1003", "sign 不匹配", "client_id + client_secret + timestamp")
    assert row["client_secret"] not in text

    ts = erp.timestamp()
    swapped = make_sign(row["client_secret"], row["client_id"], ts, 0)  # secret + id + ts
    _refusal(erp.token_call(timestamp=ts, sign=swapped), "1003",
             "client_secret + client_id + timestamp")

    _refusal(erp.token_call(timestamp=erp.timestamp(-600)), "1004", "5 分钟")
    _refusal(erp.token_call(timestamp=erp.timestamp(+400)), "1004")
    _refusal(erp.token_call(timestamp="yesterday"), "1008", "timestamp")

    tenant = ErpClient(server.url, row["tenant"]["client_id"], row["tenant"]["client_secret"],
                       row["tenant"]["encry_key"])
    _refusal(tenant.token_call(), "1005", "租户授权", "企业授权")

    token = erp.token()
    _refusal(erp.echo_call(token, {"a": 1}, key="0123456789abcdef"), "2002", "EncryKey 错误")
    _refusal(erp.echo_call(token, {}, body="not base64 at all!"), "2002", "Base64")
    _refusal(erp.echo_call("nope", {"a": 1}), "2001", "access_token")
    _refusal(erp.echo_call(token, {"a": 1}, reqid_value="123"), "2003", "reqid")

    with server.app.app_context():
        cred = db.session.get(Credential, row["credential_id"])
        cred.status, cred.disabled_at = DISABLED, utcnow()
        db.session.commit()
    _refusal(erp.token_call(), "1006", "已停用")
    _refusal(erp.echo_call(token, {"a": 1}), "1006", "已停用")


def test_two_workers_signing_in_the_same_second_both_get_the_same_token(live_server, issued):
    """The SDK signs with time() in seconds: two workers starting together send the same sign."""
    server = live_server()
    row = issued(server)
    first, second = _client(server, row), _client(server, row)
    ts = first.timestamp()
    one = first.token_call(timestamp=ts).json()
    two = second.token_call(timestamp=ts).json()
    assert one["errcode"] == two["errcode"] == "0000", (one, two)
    assert one["access_token"] == two["access_token"] and 0 < two["expires_in"] <= 7200
    assert second.echo_call(two["access_token"], {"w": 2}).json()["errcode"] == "0000"

    # at the very same moment, through separate connections: still one token for both
    ts = first.timestamp(-1)
    answers = []
    workers = [threading.Thread(target=lambda: answers.append(
        _client(server, row).token_call(timestamp=ts).json())) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [a["errcode"] for a in answers] == ["0000"] * 4, answers
    assert len({a["access_token"] for a in answers}) == 1


NESTED_ARRAY = "[" * 30_000 + "]" * 30_000
NESTED_OBJECT = '{"a":' * 10_000 + "1" + "}" * 10_000


def test_hostile_calls_are_errcodes_counted_as_failures(live_server, issued):
    """Each of these was a 500 HTML page (or a 4xx an SDK cannot read); each is now a 1008 /
    2002 / 2003 in JSON, counted against the calling address."""
    server = live_server(GOLIVE_FAILURE_LIMIT=1000)
    row = issued(server)
    erp = _client(server, row)
    ts = erp.timestamp()
    good = make_sign(row["client_id"], row["client_secret"], ts, 0)
    token = erp.token(timestamp=erp.timestamp(-2))

    def raw(path, body, **kw):
        return erp.post(path, data=body if isinstance(body, bytes) else body.encode(
            "utf-8", "surrogatepass"), headers={"Content-Type": "application/json"}, **kw)

    token_cases = [
        ("", "1008"), ("[]", "1008"), ("null", "1008"), ('{"client_id": 5}', "1008"),
        ('{"client_id": "x"}', "1008"), ("\x00garbage", "1008"), (b"\xff\xfe{}", "1008"),
        (NESTED_ARRAY, "1008"), (NESTED_OBJECT, "1008"),
        ('{"client_id": "\\ud800", "sign": "x", "timestamp": "%s"}' % ts, "1008"),
        (json.dumps({"client_id": "fpy\x00e", "sign": "x", "timestamp": ts}), "1008"),
        (json.dumps({"client_id": row["client_id"], "sign": "签名" * 16, "timestamp": ts}), "1003"),
        ('{"client_id": "%s", "sign": "\\ud800", "timestamp": "%s"}' % (row["client_id"], ts),
         "1008"),
        (json.dumps({"client_id": "x" * 5000, "sign": good, "timestamp": ts}), "1001"),
    ]
    for body, code in token_cases:
        answer = raw("/base/oauth/token", body)
        _refusal(answer, code)
    _refusal(raw("/base/oauth/token", b"{" + b" " * 70_000 + b"}"), "1008", "请求体过大")
    deep = aes_encrypt(None, row["encry_key"], raw=b"[" * 20_000 + b"]" * 20_000)  # < 64 KB
    echo_cases = [
        (erp.echo_call(token, {}, body=deep), "2002", "嵌套"),
        (erp.echo_call(token, {}, body=aes_encrypt(None, row["encry_key"], raw=b"[" * 40)),
         "2002", "JSON"),
        (erp.echo_call(token, {"a": 1}, reqid_value="١٧٠٠٠٠٠٠٠٠٠٠٠٠٠٠"), "2003", "reqid"),
        (erp.echo_call(token, {"a": 1}, reqid_value="１７００００００００００００００"), "2003", "reqid"),
        (erp.echo_call(token, {"a": 1}, reqid_value="17000000000000²0"), "2003", "reqid"),
        (raw("/base/check/echo", b"x" * 70_000, params={"access_token": token}), "1008",
         "请求体过大"),
        (raw("/base/check/echo", b"x", params={"access_token": "a\x00b"}), "1008", "控制字符"),
    ]
    for answer, code, word in echo_cases:
        _refusal(answer, code, word)
    for method in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"):
        for path in ("/base/oauth/token", "/base/check/echo"):
            answer = erp.post(path, method=method)
            _refusal(answer, "1008", "只接受 POST")
            assert answer.headers["Allow"] == "POST"
    head = requests.head(server.url + "/base/oauth/token")
    assert head.status_code == 200 and head.headers["Allow"] == "POST"

    failures = len(token_cases) + 1 + len(echo_cases) + 12 + 1
    with server.app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        from webapp.golive.routes import _address, _failures
        assert _failures().remaining(_address()) == 1000 - failures


def test_a_sign_replayed_inside_the_window_gets_the_same_token_until_the_secret_changes(
        live_server, issued):
    server = live_server()
    row = issued(server)
    erp = _client(server, row)
    ts = erp.timestamp()
    first = erp.token(timestamp=ts)
    assert erp.token(timestamp=ts) == first
    with server.app.app_context():
        credentials.rotate_secret(db.session.get(Credential, row["credential_id"]), actor=None)
        db.session.commit()
    _refusal(erp.token_call(timestamp=ts), "1002", "重置")
    _refusal(erp.echo_call(first, {"a": 1}), "1002", "重置")


def test_a_rate_limit_is_an_errcode_with_retry_after(live_server, issued):
    server = live_server(GOLIVE_FAILURE_LIMIT=2)
    row = issued(server)
    wrong = ErpClient(server.url, row["client_id"], "guess", row["encry_key"])
    for _ in range(2):
        _refusal(wrong.token_call(), "1003")
    answer = _client(server, row).token_call()
    _refusal(answer, "1009", "秒后再试")
    assert int(answer.headers["Retry-After"]) >= 1


def test_the_old_client_would_have_failed(live_server, issued):
    """The SDK's rule itself: a non-2xx answer never reaches the errcode branch."""
    server = live_server()
    response = requests.get(server.url + "/no-such-page")
    with pytest.raises(NetworkError):
        checked(response)


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
    _refusal(old.token_call(), "1002", "重置", "旧的 client secret")
    _refusal(old.echo_call(token, {"a": 1}), "1002", "重置")
    new = ErpClient(server.url, row["client_id"], fresh["client_secret"], fresh["encry_key"])
    new_token = new.token()
    assert new.echo_call(new_token, {"a": 1}).json()["errcode"] == "0000"
    _refusal(new.echo_call(new_token, {"a": 1}, key=row["encry_key"]), "2002", "随密钥重置")


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
    texts.append(erp.token_call(timestamp=ts, sign=sign).text)  # the same sign again
    server_log = "\n".join(r.getMessage() for r in caplog.records
                           if r.name.startswith(("webapp", "werkzeug", "flask")))
    logged = server_log + "".join(texts)
    assert "errcode=1003" in server_log  # the refusals are logged …
    for secret in (row["client_secret"], row["encry_key"], sign,
                   aes_encrypt({"x": 1}, row["encry_key"])):
        assert secret not in logged  # … without any secret, sign or body
    assert "access_token" in texts[0] and json.loads(texts[-1])["errcode"] == "0000"


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


def test_bad_bodies_write_no_outcome(live_server, issued):
    server = live_server()
    row = issued(server)
    erp = _client(server, row)
    for body in ("", "[]", '{"client_id": "x"}', NESTED_ARRAY):
        _refusal(erp.post("/base/oauth/token", data=body.encode()), "1008")
    with server.app.app_context():
        assert db.session.scalar(db.select(ConnectionCheck).where(
            ConnectionCheck.credential_id == row["credential_id"])) is None


def test_an_unexpected_error_is_still_an_errcode(app, monkeypatch, caplog):
    from webapp.golive import check

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(check, "issue_token", broken)
    answer = app.test_client().post("/base/oauth/token", json={"client_id": "x"})
    assert answer.status_code == 200 and answer.json["errcode"] == "9999"
    assert "database gone" not in answer.get_data(as_text=True)
