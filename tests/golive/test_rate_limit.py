"""Limits of the connection check: failures per calling address only (a correct sign is never
refused because strangers failed), issued tokens per credential and per address; shared across
processes through Redis and the database."""
import os
import time
import uuid

from erp_client import ErpClient, make_sign
from fixtures.database import needs


def _call(app, ip, client_id, secret):
    ts = str(int(time.time() * 1000))
    time.sleep(0.002)
    return app.test_client().post("/base/oauth/token", environ_overrides={"REMOTE_ADDR": ip}, json={
        "client_id": client_id, "timestamp": ts, "sign": make_sign(client_id, secret, ts, 0)})


def _code(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["errcode"]


def _ip() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}"


def test_the_owner_gets_a_token_while_strangers_are_over_their_limits(live_server, issued):
    """Strangers from four addresses send wrong signs for the owner's client id until each
    address is cut off; the owner's ERP, from its own address, is not."""
    server = live_server(GOLIVE_FAILURE_LIMIT=3)
    row = issued(server)
    for n in range(2, 6):
        stranger = ErpClient(server.url, row["client_id"], "guess", row["encry_key"],
                             source=f"127.0.0.{n}", millis=True)
        assert [stranger.token_call().json()["errcode"] for _ in range(4)] == \
            ["1003", "1003", "1003", "1009"]
    owner = ErpClient(server.url, row["client_id"], row["client_secret"], row["encry_key"])
    token = owner.token()
    assert owner.echo_call(token, {"ok": 1}).json()["errcode"] == "0000"


def test_limits_are_shared_through_redis(make_app, make_admin, make_batch):
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        needs("Redis", "TEST_REDIS_URL is not set")
    from factories import allocate

    from webapp.credentials import service as credentials
    from webapp.extensions import db

    limits = dict(GOLIVE_TOKEN_LIMIT=4, GOLIVE_FAILURE_LIMIT=4)
    first = make_app(REDIS_URL=url, **limits)
    second = make_app(REDIS_URL=url, **limits)
    admin = make_admin()
    (enterprise_id,) = allocate(first, admin, make_batch, count=1)
    with first.app_context():
        cred = credentials.reveal(credentials.enterprise_credential(enterprise_id))
        db.session.remove()
    client_id, secret = cred["client_id"], cred["client_secret"]

    # per client id: four tokens to four addresses, through two processes, use it up (issued
    # tokens are counted in the shared database)
    for app in (first, second, first, second):
        assert _code(_call(app, _ip(), client_id, secret)) == "0000"
    refused = _call(second, _ip(), client_id, secret)
    assert _code(refused) == "1009" and int(refused.headers["Retry-After"]) >= 1

    # per address: guessing from one address is cut off as well (failures are counted in
    # Redis), whatever client id it names — even a lone surrogate, hashed into the key
    ip = _ip()
    for app in (first, second, first, second):
        assert _code(_call(app, ip, f"fpy-e-{uuid.uuid4().hex}", "x")) == "1001"
    assert _code(_call(first, ip, f"fpy-e-{uuid.uuid4().hex}", "x")) == "1009"
    surrogate = second.test_client().post(
        "/base/oauth/token", environ_overrides={"REMOTE_ADDR": _ip()},
        data=b'{"client_id": "\\ud800", "sign": "x", "timestamp": "1"}',
        content_type="application/json")
    assert _code(surrogate) == "1008"


def test_without_redis_each_process_counts_alone(make_app, make_admin, make_batch):
    """The contrast that shows the test above measures sharing: memory storage does not share."""
    first = make_app(GOLIVE_FAILURE_LIMIT=2)
    second = make_app(GOLIVE_FAILURE_LIMIT=2)
    ip = _ip()
    for app in (first, first):
        assert _code(_call(app, ip, "fpy-e-unknown", "x")) == "1001"
    assert _code(_call(first, ip, "fpy-e-unknown", "x")) == "1009"
    assert _code(_call(second, ip, "fpy-e-unknown", "x")) == "1001"


def test_one_address_cannot_mint_tokens_without_end(make_app, make_admin, make_batch):
    """Successful calls are limited too: per address, across credentials."""
    from factories import allocate

    from webapp.credentials import service as credentials
    from webapp.extensions import db

    app = make_app(GOLIVE_TOKEN_LIMIT=3)
    admin = make_admin()
    ids = allocate(app, admin, make_batch, count=2)
    with app.app_context():
        values = [credentials.reveal(credentials.enterprise_credential(i)) for i in ids]
        db.session.remove()
    ip = _ip()
    codes = [_code(_call(app, ip, v["client_id"], v["client_secret"]))
             for v in (values[0], values[1], values[0], values[1])]
    assert codes == ["0000", "0000", "0000", "1009"]
    assert _code(_call(app, _ip(), values[1]["client_id"], values[1]["client_secret"])) == "0000"
