"""Go-live on the pages: the tenant overview, 授权信息, 接入指引 per ERP, support's order page."""
import html
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from factories import allocate, login, statements_for

from webapp.credentials import service as credentials
from webapp.entitlements.service import today
from webapp.extensions import db
from webapp.models import ChangeRequest, Enterprise, Order, OutboxEmail


def _verify(client, cred_values):
    """A successful token + echo through the Flask client (the live-server tests use HTTP)."""
    import time

    from erp_client import aes_encrypt, make_sign, reqid

    ts = str(int(time.time() * 1000))
    token = client.post("/base/oauth/token", json={
        "client_id": cred_values["client_id"], "timestamp": ts,
        "sign": make_sign(cred_values["client_id"], cred_values["client_secret"], ts, 1)}).json
    assert token["errcode"] == "0000", token
    echo = client.post(f"/base/check/echo?access_token={token['access_token']}&reqid={reqid()}",
                       data=aes_encrypt({"ping": 1}, cred_values["encry_key"]),
                       content_type="application/json")
    assert echo.json["errcode"] == "0000", echo.json


def _creds(app, enterprise_id, environment="production"):
    with app.app_context():
        return credentials.reveal(credentials.enterprise_credential(enterprise_id, environment))


def test_tenant_overview_moves_to_verified(app, client, admin, make_batch):
    ids = allocate(app, admin, make_batch, count=3)
    with app.app_context():
        order = db.session.get(Order, admin["order_id"])
        order.lines[1].valid_until = today() + timedelta(days=10)
        db.session.add(ChangeRequest(kind="move_enterprise", status="pending",
                                     tenant_id=admin["tenant_id"]))
        db.session.add(ChangeRequest(kind="move_enterprise", status="executed",
                                     tenant_id=admin["tenant_id"]))
        db.session.commit()
    page = client.get("/home").get_data(as_text=True)
    assert "已分配 3 / 购买数量 3" in page and '<rect class="bar-fill" width="100"' in page
    assert "已分配 0 / 购买数量 2" in page and "30 天内到期" in page
    assert str(today() + timedelta(days=10)) in page
    assert re.search(r'id="open-requests">1<', page)
    assert "还有 3 家企业尚未验证连接" in page and page.count('golive-allocated') == 3

    _verify(client, _creds(app, ids[0]))
    page = client.get("/home").get_data(as_text=True)
    assert "还有 2 家企业尚未验证连接" in page and page.count('golive-allocated') == 2
    listing = client.get("/credentials/").get_data(as_text=True)
    assert listing.count("连接已验证") == 1 and "来自 127.0.0.1" in listing

    with app.app_context():  # the authorization email went out: 授权邮件已发送
        db.session.execute(db.update(OutboxEmail).values(status="sent"))
        db.session.commit()
    listing = client.get("/credentials/").get_data(as_text=True)
    assert listing.count("授权邮件已发送") == 2


def test_pages_cost_constant_statements(app, client, admin, make_batch, make_staff):
    allocate(app, admin, make_batch, count=2)
    small = [statements_for(app, client, url) for url in ("/home", "/credentials/")]
    ids = allocate(app, admin, make_batch, count=25)
    for enterprise_id in ids[:5]:
        _verify(client, _creds(app, enterprise_id))
    big = [statements_for(app, client, url) for url in ("/home", "/credentials/")]
    assert small == big
    staff = app.test_client()
    login(staff, make_staff("support"))
    url = f"/support/orders/{admin['order_id']}"
    assert statements_for(app, staff, url) == statements_for(app, staff, url)
    allocate(app, admin, make_batch, count=10)
    before = statements_for(app, staff, url)
    _fail_once(client, _creds(app, ids[6]))
    assert statements_for(app, staff, url) == before


def _fail_once(client, values):
    client.post("/base/oauth/token", json={"client_id": values["client_id"], "timestamp": "1",
                                           "sign": "x"})


def test_support_sees_status_and_last_failures_without_secrets(app, client, admin, make_batch,
                                                              make_staff):
    (enterprise_id,) = allocate(app, admin, make_batch, count=1)
    values = _creds(app, enterprise_id)
    with app.app_context():
        tenant = credentials.reveal(credentials.tenant_credential(admin["tenant_id"]))
    import time
    ts = str(int(time.time()))
    client.post("/base/oauth/token", json={"client_id": values["client_id"], "timestamp": ts,
                                           "sign": "0" * 32})
    client.post("/base/oauth/token", json={"client_id": tenant["client_id"], "timestamp": ts,
                                           "sign": "0" * 32})
    staff = app.test_client()
    login(staff, make_staff("support"))
    page = staff.get(f"/support/orders/{admin['order_id']}").get_data(as_text=True)
    assert "上线状态" in page and "连接已验证 0 / 已分配企业 1" in page
    assert "1003：sign 不匹配" in page and "1005：这是租户授权的 client_id" in page
    for secret in (values["client_secret"], values["encry_key"], tenant["client_secret"]):
        assert secret not in page


@pytest.mark.parametrize("erp, present, absent", [
    # the enterprise holds 开票 only: no 收票 address or section
    ("eas", ["金税互联设置（操作类型：开票）", "通讯基本设置", "组织单元",
             "发票云ID", "发票云密钥", "加密密钥"], ["移动云初始化", "curl", "操作类型：收票", "/base/push/receive"]),
    ("xingkong", ["金税互联设置（操作类型：开票）", "移动云初始化", "星空旗舰版"],
     ["curl", "操作类型：收票", "/base/push/receive"]),
    ("xinghan", ["移动云初始化", "数据中心 id"], ["金税互联设置", "curl"]),
    ("other", ["/base/oauth/token", "HMAC-SHA256", "AES-128-ECB", "curl", "Python"], ["金税互联设置"]),
])
def test_setup_card_per_erp(app, client, admin, make_batch, erp, present, absent):
    (enterprise_id,) = allocate(app, admin, make_batch, count=1)
    with app.app_context():
        db.session.get(Order, admin["order_id"]).erp = erp
        db.session.commit()
        enterprise = db.session.get(Enterprise, enterprise_id)
    values = _creds(app, enterprise_id)
    response = client.get(f"/golive/setup/{enterprise_id}")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    for word in present + ["不要使用租户授权", values["client_id"]]:
        assert word in page, word
    for word in absent:
        assert word not in page, word
    assert values["client_secret"] not in page and values["encry_key"] not in page  # masked
    if erp in ("eas", "xingkong"):
        assert f"/base/push/issue?taxNo={enterprise.tax_id}&clientId={values['client_id']}" in page
    assert 'data-copy="#' in page and "<script>" not in page


def test_setup_card_has_a_section_per_product_the_tax_id_holds(app, client, admin, make_batch):
    """收票 only → the 收票 address alone; 开票 and 收票 → both."""
    from webapp.models import Allocation, OrderLine

    (enterprise_id,) = allocate(app, admin, make_batch, count=1)
    with app.app_context():
        order = db.session.get(Order, admin["order_id"])
        order.erp = "eas"
        issue, receive = order.lines[0], order.lines[1]
        first = db.session.scalar(db.select(Allocation).where(Allocation.enterprise_id == enterprise_id))
        first.line_id = receive.id  # it holds 收票 only
        issue.allocated -= 1
        receive.allocated += 1
        issue_id = issue.id
        db.session.commit()
    page = client.get(f"/golive/setup/{enterprise_id}").get_data(as_text=True)
    assert "操作类型：收票" in page and "/base/push/receive?" in page
    assert "操作类型：开票" not in page and "/base/push/issue?" not in page
    with app.app_context():
        db.session.add(Allocation(line_id=issue_id, enterprise_id=enterprise_id,
                                  allocated_by_id=admin["user_id"]))
        db.session.get(OrderLine, issue_id).allocated += 1
        db.session.commit()
    page = client.get(f"/golive/setup/{enterprise_id}").get_data(as_text=True)
    assert "操作类型：收票" in page and "操作类型：开票" in page


def test_setup_card_is_scoped_to_the_tenant(app, client, admin, make_batch, make_admin):
    other = make_admin(customer="无锡另一家有限公司", email="other@example.com")
    (foreign_id,) = allocate(app, other, make_batch, count=1)
    assert client.get(f"/golive/setup/{foreign_id}").status_code == 404
    assert client.get("/golive/setup/99999999").status_code == 404
    assert client.get("/golive/setup/99999999999999999999").status_code == 404


def test_every_errcode_is_listed_in_openapi_on_the_cards_and_in_the_readme(
        app, client, admin, make_batch):
    from pathlib import Path

    from webapp.golive.check import ERRCODES

    doc = client.get("/api/openapi.json").json
    assert {"/base/oauth/token", "/base/check/echo"} <= set(doc["paths"])
    for path in ("/base/oauth/token", "/base/check/echo", "/test/base/oauth/token",
                 "/test/base/check/echo"):
        assert set(doc["paths"][path]["post"]["responses"]) == {"200"}  # refusals too
    described = doc["components"]["schemas"]["CheckError"]["description"]
    (enterprise_id,) = allocate(app, admin, make_batch, count=1)
    card = client.get(f"/golive/setup/{enterprise_id}").get_data(as_text=True)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for code in ERRCODES:
        assert code in doc["components"]["schemas"]["CheckError"]["properties"]["errcode"]["enum"]
        assert code == "0000" or code in described, code
        assert f"<td>{code}</td>" in card, code
        assert f"| {code} |" in readme, code
    assert "1007" not in ERRCODES and "不作为重放拒绝" in card


def _recipe(page: str, name: str, values: dict) -> str:
    environment = "test" if values["client_id"].startswith("fpy-test-") else "production"
    code = html.unescape(re.search(rf'<pre id="recipe-{name}-{environment}">([\s\S]*?)</pre>',
                                   page).group(1))
    return (code.replace("<client secret>", values["client_secret"])
            .replace("<EncryKey>", values["encry_key"]))


@pytest.mark.parametrize("environment", ["test", "production"])
def test_the_examples_of_the_other_card_work_against_the_check(live_server, make_admin, make_batch,
                                                               environment):
    """Each environment's card has examples that pass that environment's check as pasted."""
    server = live_server()
    server.app.config["PUBLIC_BASE_URL"] = server.url
    admin = make_admin()
    (enterprise_id,) = allocate(server.app, admin, make_batch, count=1)
    with server.app.app_context():
        db.session.get(Order, admin["order_id"]).erp = "other"
        db.session.commit()
    values = _creds(server.app, enterprise_id, environment)
    client = server.app.test_client()
    login(client, admin["email"], csrf=True)
    page = client.get(f"/golive/setup/{enterprise_id}").get_data(as_text=True)
    assert (f'BASE = "{server.url}/test"' in _recipe(page, "python", values)) == (environment == "test")
    ran = subprocess.run([sys.executable, "-c", _recipe(page, "python", values)],
                         capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("0000") and values["client_id"] in ran.stdout
    # the curl example may sign in the same second: the same sign gets the same token
    ran = subprocess.run(["bash", "-c", _recipe(page, "curl", values)], capture_output=True,
                         text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert '"errcode":"0000"' in ran.stdout and '"hello":"world"' in ran.stdout
    with server.app.app_context():
        assert credentials.enterprise_credential(enterprise_id, environment).client_id \
            == values["client_id"]
