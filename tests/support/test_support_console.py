"""The support console: who may open it, finding an order, the free search, the order page."""
import re

import pytest
from factories import count, csrf_token, login, statements_for

from webapp.models import OutboxEmail


def test_a_tenant_admin_cannot_open_the_console(client, make_admin):
    admin = make_admin()
    login(client, admin["email"])
    assert client.get("/support/").status_code == 403
    assert client.get(f"/support/orders/{admin['order_id']}").status_code == 403
    assert client.get("/support/find?customer=x&order_no=y").status_code == 403
    assert client.post(f"/support/orders/{admin['order_id']}/resend",
                       data={"reason": "x"}).status_code == 403
    assert client.get("/support/orders/new").status_code == 403
    assert "客服工作台" not in client.get("/home").get_data(as_text=True)


def test_support_cannot_open_tenant_admin_pages(app, client, make_admin, make_staff):
    """A support agent never reaches the pages where credentials are allocated or revealed."""
    admin = make_admin()
    login(client, make_staff("support"))
    assert client.get(f"/orders/{admin['order_id']}").status_code == 403
    page = client.get(f"/support/orders/{admin['order_id']}").get_data(as_text=True)
    assert "client secret" not in page.lower() and "EncryKey" not in page
    # nor the ops pages
    assert client.get("/support/orders/new").status_code == 403
    assert client.post(f"/support/orders/{admin['order_id']}/deliver").status_code == 403


def test_an_approver_may_look_but_not_act(app, client, make_order, make_staff):
    order_id, _ = make_order()
    login(client, make_staff("approver"))
    page = client.get(f"/support/orders/{order_id}")
    assert page.status_code == 200 and "重新推送激活邮件" not in page.get_data(as_text=True)
    assert client.post(f"/support/orders/{order_id}/resend", data={"reason": "x"}).status_code == 403
    assert client.post(f"/support/orders/{order_id}/contact-email",
                       data={"contact_email": "a@b.cn", "reason": "x"}).status_code == 403
    assert count(app, OutboxEmail) == 1


def test_anonymous_is_sent_to_login(client, make_order):
    order_id, _ = make_order()
    response = client.get(f"/support/orders/{order_id}")
    assert response.status_code == 302 and "/login" in response.location


def test_nav_links_for_staff(client, make_staff):
    login(client, make_staff("ops"))
    home = client.get("/home").get_data(as_text=True)
    assert 'href="/support/"' in home and 'href="/support/orders/new"' in home


@pytest.mark.parametrize("customer, order_no", [
    ("苏州示例科技（集团）有限公司", "SO-42"),
    (" 苏州示例 科技(集团)有限公司 ", "so-42"),
    ("苏州示例科技【集团】有限公司", "ＳＯ－４２"),
])
def test_find_by_customer_name_and_order_no(client, make_order, make_staff, customer, order_no):
    order_id, _ = make_order(order_no="SO-42", customer="苏州示例科技（集团）有限公司")
    login(client, make_staff("support"))
    response = client.get("/support/find", query_string={"customer": customer, "order_no": order_no})
    assert response.status_code == 303
    assert response.location.endswith(f"/support/orders/{order_id}")


def test_find_needs_both_to_match(client, make_order, make_staff):
    make_order(order_no="SO-42", customer="苏州示例科技有限公司")
    make_order(order_no="SO-43", customer="杭州另一家有限公司")
    login(client, make_staff("support"))
    for customer, order_no in (("杭州另一家有限公司", "SO-42"), ("苏州示例科技有限公司", "SO-4"),
                               ("苏州示例", "SO-42")):
        response = client.get("/support/find", query_string={"customer": customer,
                                                              "order_no": order_no})
        assert response.status_code == 404
        assert "未找到该订单" in response.get_data(as_text=True)
    response = client.get("/support/find", query_string={"customer": "", "order_no": "SO-42"})
    assert response.status_code == 422 and "请输入下单企业全称" in response.get_data(as_text=True)


def test_order_page_shows_states_lines_and_contact(app, client, make_order, make_admin, make_staff):
    undelivered, _ = make_order(order_no="SO-1", delivered=False, email="wait@example.com")
    admin = make_admin(customer="杭州某某有限公司", order_no="SO-2")
    login(client, make_staff("support"))
    page = client.get(f"/support/orders/{undelivered}").get_data(as_text=True)
    assert "未交付" in page and "未激活" in page and "wait@example.com" in page
    assert "发票云开票" in page and "发票云收票" in page
    assert "还没有发给该订单的邮件" in page
    page = client.get(f"/support/orders/{admin['order_id']}").get_data(as_text=True)
    assert "已交付" in page and "已激活" in page and "杭州某某有限公司" in page
    assert "激活邮件" in page and "待发送" in page
    assert client.get("/support/orders/999999").status_code == 404


def _order_nos(html: str) -> list[str]:
    return re.findall(r'/support/orders/\d+">(SO-[^<]+)</a>', html)


def test_free_search_matches_number_name_and_email(client, make_order, make_staff):
    make_order(order_no="SO-A1", customer="苏州甲公司", email="jia@example.com")
    make_order(order_no="SO-B2", customer="杭州乙公司", email="yi@corp.cn")
    login(client, make_staff("support"))
    for query, expected in (("b2", ["SO-B2"]), ("苏州", ["SO-A1"]), ("corp.cn", ["SO-B2"]),
                            ("", ["SO-B2", "SO-A1"]), ("%", []), ("_", []),
                            ("<script>alert(1)</script>", [])):
        response = client.get("/support/", query_string={"q": query})
        html = response.get_data(as_text=True)
        assert _order_nos(html) == expected, query
        assert "<script>alert(1)</script>" not in html
    fragment = client.get("/support/?q=SO", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="order-results"' in fragment


def test_free_search_pages_by_keyset(client, make_order, make_staff):
    for i in range(25):
        make_order(order_no=f"SO-{i:03d}", delivered=False)
    login(client, make_staff("support"))
    first = client.get("/support/").get_data(as_text=True)
    assert _order_nos(first) == [f"SO-{i:03d}" for i in range(24, 4, -1)]
    next_url = re.search(r'href="(/support/\?after=\d+)">下一页', first).group(1)
    second = client.get(next_url).get_data(as_text=True)
    assert _order_nos(second) == [f"SO-{i:03d}" for i in range(4, -1, -1)]
    assert "下一页" not in second and "回到第一页" in second
    assert client.get("/support/?after=abc").status_code == 200


def test_search_and_order_page_statements_do_not_grow_with_rows(app, client, make_order, make_admin,
                                                                make_staff):
    login(client, make_staff("support"))
    make_admin(order_no="SO-X0")
    for i in range(2):
        make_order(order_no=f"SO-Y{i}")
    few = statements_for(app, client, "/support/")
    for i in range(15):
        make_admin(customer=f"租户{i}", email=f"b{i}@example.com", order_no=f"SO-Z{i}")
    assert statements_for(app, client, "/support/") == few

    order_id, _ = make_order(order_no="SO-W1")
    one_email = statements_for(app, client, f"/support/orders/{order_id}")
    for _ in range(3):
        assert client.post(f"/support/orders/{order_id}/resend",
                           data={"reason": "重发"}).status_code == 303
    assert statements_for(app, client, f"/support/orders/{order_id}") == one_email


def test_console_forms_carry_csrf_and_refuse_without_it(make_app, make_order, make_staff):
    app = make_app(WTF_CSRF_ENABLED=True)
    order_id, _ = make_order()
    client = app.test_client()
    login(client, make_staff("support"), csrf=True)
    assert client.post(f"/support/orders/{order_id}/resend",
                       data={"reason": "无令牌"}).status_code == 400
    token = csrf_token(client, f"/support/orders/{order_id}")
    assert client.post(f"/support/orders/{order_id}/resend",
                       data={"reason": "有令牌", "csrf_token": token}).status_code == 303
    assert count(app, OutboxEmail) == 2


def test_find_when_order_numbers_differ_only_in_case(client, make_order, make_staff):
    make_order(order_no="so-77", customer="甲公司")
    wanted, _ = make_order(order_no="SO-77", customer="乙公司")
    login(client, make_staff("support"))
    response = client.get("/support/find", query_string={"customer": "乙公司", "order_no": "So-77"})
    assert response.status_code == 303 and response.location.endswith(f"/support/orders/{wanted}")


def test_normalise_name():
    from webapp.support.service import normalise_name

    same = ["苏州示例科技（集团）有限公司", "苏州示例科技 (集团) 有限公司", "苏州示例科技【集团】有限公司",
            "　苏州示例科技（集团）有限公司　", "苏州示例科技［集团］有限公司"]
    assert len({normalise_name(name) for name in same}) == 1
    assert normalise_name("ＡＢＣ　Ｌｔｄ．") == normalise_name("abc ltd.")
    assert normalise_name("苏州示例科技有限公司") != normalise_name("苏州示例科技集团有限公司")
