"""The connection check: the token call and the echo call through a real server, each as a
ratio to GET /healthz measured in the same run (goal ≥ 0.3×)."""
import logging
import threading
import time
import uuid

import requests
from sqlalchemy import insert, select
from werkzeug.serving import make_server

from bench.common import activated_order, make_app
from webapp.credentials import service as credentials
from webapp.extensions import db
from webapp.golive import signing
from webapp.models import Allocation, AllocationBatch, Enterprise, OrderLine

PASSWORD = "bench-pass-1"
SECONDS = 3.0


def _credential(app) -> dict:
    with app.app_context():
        order, user = activated_order(PASSWORD, order_no="SO-BENCH-GOLIVE", customer="基准上线有限公司",
                                      contact_email="bench-golive@example.com", lines=[("issue", 1)])
        db.session.flush()
        line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == order.id))
        db.session.execute(insert(Enterprise), [dict(tenant_id=user.tenant_id, tax_id="91320500BENCH0001X",
                                                     name="基准上线企业有限公司", source="manual")])
        enterprise = db.session.scalar(select(Enterprise).where(Enterprise.tenant_id == user.tenant_id))
        batch = AllocationBatch(token=uuid.uuid4().hex, line_id=line.id)
        db.session.add(batch)
        db.session.flush()
        db.session.add(Allocation(line_id=line.id, enterprise_id=enterprise.id, batch_id=batch.id))
        line.allocated = 1
        values = credentials.reveal(credentials.ensure_enterprise_credential(enterprise))
        db.session.commit()
        return values


def _rate(call) -> float:
    for _ in range(5):
        call()
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < SECONDS:
        call()
        count += 1
    return count / (time.perf_counter() - started)


def run() -> list[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request
    app = make_app(GOLIVE_TOKEN_LIMIT=1_000_000)
    values = _credential(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    http = requests.Session()
    counter = iter(range(10**9))

    def healthz():
        assert http.get(base + "/healthz").status_code == 200

    def token_call():
        # milliseconds plus a counter: every call a new sign (a replayed one is refused)
        ts = str(int(time.time() * 1000) + next(counter) % 1000)
        answer = http.post(base + "/base/oauth/token", json={
            "client_id": values["client_id"], "timestamp": ts, "encType": 2,
            "sign": signing.sign(values["client_id"], values["client_secret"], ts, 2)})
        assert answer.status_code == 200, answer.text
        return answer.json()["access_token"]

    token = token_call()
    body = signing.encrypt_body(b'{"hello": "world", "n": 1}', values["encry_key"])

    def echo_call():
        reqid = f"{int(time.time() * 1000)}{next(counter) % 1000:03d}"
        answer = http.post(base + "/base/check/echo", params={"access_token": token, "reqid": reqid},
                           data=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 200, answer.text

    try:
        bare = _rate(healthz)
        tokens = _rate(token_call)
        echoes = _rate(echo_call)
        bare_again = _rate(healthz)
    finally:
        server.shutdown()
    baseline = (bare + bare_again) / 2
    return [f"GET /healthz: {baseline:.0f} req/s (baseline, mean of before and after)",
            f"POST /base/oauth/token (HMAC-SHA256): {tokens:.0f} req/s, ratio {tokens / baseline:.2f} "
            f"(goal ≥ 0.3)",
            f"POST /base/check/echo (AES-128-ECB): {echoes:.0f} req/s, ratio {echoes / baseline:.2f} "
            f"(goal ≥ 0.3)"]
