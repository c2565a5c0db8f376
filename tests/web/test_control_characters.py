"""A control character in any text input is refused with one clear message, never a 500
(PostgreSQL cannot store NUL; SQLite would have accepted it)."""
import pytest
from factories import login

from webapp.models import Order

MESSAGE = "不能包含控制字符"

TENANT_SEARCHES = [
    "/enterprises/?q=a%00b",              # 企业管理
    "/credentials/?q=a%00b",              # 授权信息
    "/entitlements/?q=a%00b",             # 权益查询 (tenant)
    "/requests/?q=a%00b",                 # 我的申请
    "/requests/?after=1%00",
    "/enterprises/autofill?q=%E8%8B%8F%E5%B7%9E%00",
    "/activate/abc%00def",
]
STAFF_SEARCHES = [
    "/entitlements/?q=a%00b",             # 权益查询 (staff)
    "/entitlements/audit?actor=a%00b",    # 操作日志
    "/entitlements/audit?action=a%01b",
    "/support/?q=a%00b",                  # 客服工作台
    "/support/find?customer=a%00b&order_no=SO-1",
    "/support/find?customer=x&order_no=SO%1F1",
]


@pytest.mark.parametrize("url", TENANT_SEARCHES)
def test_tenant_search_boxes_refuse_control_characters(client, admin, url):
    response = client.get(url)
    assert response.status_code == 422
    assert MESSAGE in response.get_data(as_text=True)


@pytest.mark.parametrize("url", STAFF_SEARCHES)
def test_staff_search_boxes_refuse_control_characters(client, make_staff, url):
    login(client, make_staff("ops"))
    response = client.get(url)
    assert response.status_code == 422
    assert MESSAGE in response.get_data(as_text=True)


def test_htmx_search_gets_the_message_as_a_fragment(client, admin):
    response = client.get("/enterprises/?q=%00", headers={"HX-Request": "true"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert MESSAGE in html and "<html" not in html


def test_login_email_with_nul_is_refused(client, make_admin):
    info = make_admin()
    response = client.post("/login", data={"email": info["email"] + "\x00", "password": "x"})
    assert response.status_code == 422
    assert MESSAGE in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["customer", "sales", "order_no"])
def test_new_order_refuses_control_characters_and_saves_nothing(app, client, make_staff, field):
    from factories import count

    login(client, make_staff("ops"))
    data = {"order_no": "SO-NUL", "customer": "苏州示例科技有限公司",
            "contact_email": "buyer@example.com", "sales": "张三", "qty_issue": "3"}
    data[field] = data[field] + "\x00"
    response = client.post("/support/orders/new", data=data)
    assert response.status_code == 422
    assert MESSAGE in response.get_data(as_text=True)
    assert count(app, Order) == 0


def test_the_rule_lets_a_textarea_keep_line_breaks_only():
    from webapp.core.text import bad_character

    assert bad_character("第一行\r\n第二行\t", multiline=True) is None
    assert bad_character("第一行\r\n", multiline=False) == MESSAGE
    assert bad_character("a\x00", multiline=True) == MESSAGE
    assert bad_character("a\x7f") == MESSAGE
    assert bad_character("\ud800") == "不能包含无效的 Unicode 字符"


def test_the_api_uses_the_same_rule(app):
    from webapp.api.payload import PayloadError, parse

    with pytest.raises(PayloadError) as exc:
        parse({"order_no": "SO-1", "customer": "a\x00", "contact_email": "a@b.cn",
               "lines": [{"product": "issue", "quantity": 1}]})
    assert exc.value.errors["customer"] == MESSAGE
