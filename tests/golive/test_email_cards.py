"""The authorization email carries the setup facts of the order's ERP, prefilled per enterprise."""
import pytest
from factories import outbox_text

from webapp.credentials import emails as authorization
from webapp.credentials import service as credentials
from webapp.extensions import db
from webapp.models import AllocationBatch, Enterprise, Order


@pytest.mark.parametrize("erp, present, absent", [
    # a 开票 batch: the 开票 address only (收票 is for tax IDs that hold 收票)
    ("eas", ["金税互联设置", "通讯基本设置", "组织单元", "开票 http 地址"],
     ["移动云初始化", "/base/check/echo", "收票 http 地址"]),
    ("xingkong", ["星空企业版", "星空旗舰版", "移动云初始化", "开票 http 地址"],
     ["/base/check/echo", "收票 http 地址"]),
    ("xinghan", ["移动云初始化", "数据中心 id"], ["http 地址", "金税互联设置"]),
    ("other", ["/base/oauth/token", "/base/check/echo", "hashlib.md5", "openssl enc -aes-128-ecb"],
     ["金税互联设置", "http 地址"]),
])
def test_authorization_email_per_erp(app, make_admin, make_batch, erp, present, absent):
    admin = make_admin()
    batch_id, (enterprise_id, _) = make_batch(admin, count=2)
    with app.app_context():
        order = db.session.get(Order, admin["order_id"])
        order.erp = erp
        authorization.queue_authorization_email(order, db.session.get(AllocationBatch, batch_id))
        db.session.commit()
        enterprise = db.session.get(Enterprise, enterprise_id)
        client_id = credentials.enterprise_credential(enterprise_id).client_id
    text = outbox_text(app, "authorization")
    for word in present + ["不要使用租户授权" if erp != "xinghan" else "企业授权"]:
        assert word in text, word
    for word in absent:
        assert word not in text, word
    if erp in ("eas", "xingkong"):
        assert (f"开票 http 地址：http://portal.test/base/push/issue?taxNo={enterprise.tax_id}"
                f"&clientId={client_id}") in text


def test_push_address_comes_from_the_environment(monkeypatch, make_app):
    from webapp.golive import cards

    monkeypatch.setenv("GOLIVE_PUSH_URL_ISSUE", "https://push.example.com/issue?v=2")
    app = make_app()
    with app.test_request_context():
        assert cards.push_url("issue", "91320500MA00100001", "fpy-e-1") == (
            "https://push.example.com/issue?v=2&taxNo=91320500MA00100001&clientId=fpy-e-1")
        assert cards.push_url("receive", "X", "Y") == "http://portal.test/base/push/receive?taxNo=X&clientId=Y"
