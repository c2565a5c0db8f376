"""The token call's rate limit holds across processes: two apps sharing Redis and the database
count together."""
import os
import time
import uuid

from erp_client import make_sign
from fixtures.database import needs


def _call(app, ip, client_id, secret):
    ts = str(int(time.time() * 1000))
    time.sleep(0.002)
    return app.test_client().post("/base/oauth/token", environ_overrides={"REMOTE_ADDR": ip}, json={
        "client_id": client_id, "timestamp": ts, "sign": make_sign(client_id, secret, ts, 0)})


def _ip() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}"


def test_limit_per_client_and_per_address_is_shared_through_redis(make_app, make_admin, make_batch):
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
        assert _call(app, _ip(), client_id, secret).status_code == 200
    refused = _call(second, _ip(), client_id, secret)
    assert refused.status_code == 429
    assert refused.json["errcode"] == "1009" and int(refused.headers["Retry-After"]) >= 1

    # per address: guessing client ids from one address is cut off as well (failures are
    # counted in Redis)
    ip = _ip()
    for app in (first, second, first, second):
        assert _call(app, ip, f"fpy-e-{uuid.uuid4().hex}", "x").status_code == 401
    assert _call(first, ip, f"fpy-e-{uuid.uuid4().hex}", "x").status_code == 429


def test_without_redis_each_process_counts_alone(make_app, make_admin, make_batch):
    """The contrast that shows the test above measures sharing: memory storage does not share."""
    first = make_app(GOLIVE_FAILURE_LIMIT=2)
    second = make_app(GOLIVE_FAILURE_LIMIT=2)
    ip = _ip()
    for app in (first, first):
        assert _call(app, ip, "fpy-e-unknown", "x").status_code == 401
    assert _call(first, ip, "fpy-e-unknown", "x").status_code == 429
    assert _call(second, ip, "fpy-e-unknown", "x").status_code == 401


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
    statuses = [_call(app, ip, v["client_id"], v["client_secret"]).status_code
                for v in (values[0], values[1], values[0], values[1])]
    assert statuses == [200, 200, 200, 429]
    assert _call(app, _ip(), values[1]["client_id"], values[1]["client_secret"]).status_code == 200
