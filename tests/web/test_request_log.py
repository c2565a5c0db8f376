"""Structured request logs: one JSON line per request, ids and timing, never a secret."""
import json
import logging
import re

import pytest
from factories import PASSWORD, allocate, link_and_key, login, outbox_text

from webapp.credentials import service as credentials
from webapp.extensions import db
from webapp.models import Credential, Order, User


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())

    def records(self):
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def request_log():
    handler = Lines()
    logger = logging.getLogger("webapp.request")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_one_json_line_per_request_with_ids_status_and_duration(make_app, make_admin,
                                                                request_log):
    app = make_app(LOG_JSON=True)
    admin = make_admin()
    client = app.test_client()
    login(client, admin["email"])
    request_log.lines.clear()
    response = client.get(f"/orders/{admin['order_id']}",
                          headers={"X-Request-ID": "probe-request-0001"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "probe-request-0001"
    [line] = request_log.records()
    assert line["request_id"] == "probe-request-0001"
    assert line["route"] == "/orders/<int:order_id>" and line["ids"] == {"order_id": admin["order_id"]}
    assert (line["status"], line["user_id"], line["tenant_id"]) == (
        200, admin["user_id"], admin["tenant_id"])
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0

    client.get("/orders/999999")
    missing = request_log.records()[-1]
    assert missing["status"] == 404 and missing["request_id"] != "probe-request-0001"
    assert re.fullmatch(r"[0-9a-f]{32}", missing["request_id"])


def test_no_password_key_or_client_secret_reaches_the_log(make_app, make_order, make_batch,
                                                          request_log):
    app = make_app(LOG_JSON=True)
    make_order(email="logs@example.com")
    link, key = link_and_key(outbox_text(app))
    client = app.test_client()
    assert client.post(f"{link}/key", data={"key": key}).status_code == 303
    assert client.post(f"{link}/erp", data={"erp": "xingkong",
                                            "deployment": "public"}).status_code == 303
    assert client.post(f"{link}/complete",
                       data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 303
    client.get(f"/entitlements/?q={PASSWORD}&key={key}")
    client = app.test_client()
    wrong = client.post("/login", data={"email": "logs@example.com",
                                        "password": "wrong-" + PASSWORD})
    assert wrong.status_code == 422
    with app.app_context():
        user = db.session.query(User).filter_by(email="logs@example.com").one()
        admin = {"user_id": user.id, "tenant_id": user.tenant_id, "email": user.email,
                 "order_id": db.session.query(Order.id).filter_by(tenant_id=user.tenant_id).scalar()}
    login(client, admin["email"])
    allocate(app, admin, make_batch)
    with app.app_context():
        cred = db.session.query(Credential).filter(Credential.enterprise_id.isnot(None)).first()
        secret = credentials.reveal(cred)["client_secret"]
        cred_id = cred.id
    shown = client.post(f"/credentials/{cred_id}/reveal/client_secret",
                        headers={"HX-Request": "true"})
    assert shown.status_code == 200 and secret in shown.get_data(as_text=True)

    text = "\n".join(request_log.lines)
    assert len(request_log.lines) == 7  # one line per request
    token = link.rsplit("/", 1)[-1]
    for secret_text in (key, key.replace("-", ""), PASSWORD, secret, token):
        assert secret_text not in text
    assert {"/activate/<token>/key", "/activate/<token>/complete"} <= {
        r["route"] for r in request_log.records()}
