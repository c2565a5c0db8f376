"""Ops create and deliver orders on a page; bad input re-renders with 422 and writes nothing."""
from datetime import date, timedelta

import pytest
from factories import count, link_and_key, login, outbox_text

from webapp.extensions import db
from webapp.models import AuditEntry, Order, OrderLine, OutboxEmail

GOOD = {"order_no": "SO-900", "customer": "苏州示例科技有限公司", "contact_email": "buyer@example.com",
        "sales": "王销售", "valid_until": (date.today() + timedelta(days=365)).isoformat(),
        "qty_issue": "3", "qty_receive": "2", "qty_image": "", "qty_archive": ""}


@pytest.fixture
def ops(client, make_staff):
    login(client, make_staff("ops"))
    return client


def test_ops_creates_and_delivers_an_order(app, ops):
    page = ops.get("/support/orders/new").get_data(as_text=True)
    for label in ("订单号", "下单企业全称", "联系邮箱", "销售人员", "有效期", "发票云开票", "电子档案"):
        assert label in page
    response = ops.post("/support/orders/new", data=GOOD)
    assert response.status_code == 303
    page = ops.get(response.location).get_data(as_text=True)
    assert "SO-900" in page and "未交付" in page and "王销售" in page
    with app.app_context():
        order = db.session.query(Order).filter_by(order_no="SO-900").one()
        assert sorted((line.product.code, line.quantity) for line in order.lines) == [("issue", 3),
                                                                             ("receive", 2)]
        assert order.lines[0].valid_until == date.fromisoformat(GOOD["valid_until"])
        order_id = order.id
    assert count(app, OutboxEmail) == 0

    response = ops.post(f"/support/orders/{order_id}/deliver")
    assert response.status_code == 303
    assert "已交付" in ops.get(response.location).get_data(as_text=True)
    link, key = link_and_key(outbox_text(app))
    assert app.test_client().post(f"{link}/key", data={"key": key}).status_code == 303
    again = ops.post(f"/support/orders/{order_id}/deliver")
    assert again.status_code == 409 and "已交付" in again.get_data(as_text=True)
    assert count(app, OutboxEmail) == 1
    with app.app_context():
        actions = [e.action for e in db.session.query(AuditEntry).filter(
            AuditEntry.target_type == "order")]
        assert "order.created" in actions and "order.delivered" in actions


def test_ops_creates_a_delivered_order_in_one_step(app, ops):
    response = ops.post("/support/orders/new", data={**GOOD, "delivered": "y"})
    assert response.status_code == 303
    assert count(app, OutboxEmail, OutboxEmail.kind == "activation") == 1


@pytest.mark.parametrize("change, message", [
    ({"order_no": ""}, "请输入订单号"),
    ({"order_no": "SO 1; DROP"}, "订单号只能包含字母、数字"),
    ({"order_no": "S" * 65}, "订单号不超过 64 位"),
    ({"customer": ""}, "请输入下单企业全称"),
    ({"customer": "长" * 201}, "不超过 200 字"),
    ({"contact_email": "not-an-email"}, "邮箱地址无效"),
    ({"contact_email": "<script>x</script>@a.com"}, "邮箱地址无效"),
    ({"sales": "名" * 101}, "不超过 100 字"),
    ({"valid_until": "2020-01-01"}, "有效期不能早于今天"),
    ({"valid_until": "明年"}, "日期格式应为 YYYY-MM-DD"),
    ({"qty_issue": "", "qty_receive": ""}, "订单至少需要一个产品行"),
    ({"qty_issue": "0"}, "数量需为 1–1000000 的整数"),
    ({"qty_issue": "-3"}, "数量需为 1–1000000 的整数"),
    ({"qty_issue": "abc"}, "数量必须是整数"),
    ({"qty_issue": "99999999999"}, "数量需为 1–1000000 的整数"),
])
def test_bad_input_rerenders_with_422_and_writes_nothing(app, ops, change, message):
    response = ops.post("/support/orders/new", data={**GOOD, **change})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "<script>x</script>" not in html
    assert count(app, Order) == 0 and count(app, OrderLine) == 0 and count(app, OutboxEmail) == 0


def test_duplicate_order_no_is_refused(app, ops, make_order):
    make_order(order_no="SO-900")
    response = ops.post("/support/orders/new", data={**GOOD, "delivered": "y"})
    assert response.status_code == 422
    assert "订单号 SO-900 已存在" in response.get_data(as_text=True)
    assert count(app, Order) == 1 and count(app, OutboxEmail) == 1


def test_only_ops_creates_and_delivers(app, client, make_staff, make_order):
    order_id, _ = make_order(delivered=False)
    login(client, make_staff("support"))
    assert client.get("/support/orders/new").status_code == 403
    assert client.post("/support/orders/new", data=GOOD).status_code == 403
    assert client.post(f"/support/orders/{order_id}/deliver").status_code == 403
    assert "标记已交付" not in client.get(f"/support/orders/{order_id}").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Order, order_id).delivered_at is None
