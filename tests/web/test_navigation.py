"""Where pages lead back to (a `next` that is only ever a path on this site), and where links
in emails point in development."""
import re

import pytest
from factories import SUZHOU, add_registry, link_and_key, login, outbox_text, tax_id

from webapp.web.navigation import safe_path


@pytest.mark.parametrize("target, expected", [
    ("/orders/3", "/orders/3"),
    ("/orders/3/lines/4/allocate?q=苏州", "/orders/3/lines/4/allocate?q=苏州"),
    ("", None), (None, None), ("orders/3", None),
    ("//evil.example", None), ("/\\evil.example", None), ("https://evil.example/x", None),
    ("/orders/3\r\nSet-Cookie: x=1", None), ("/" + "a" * 600, None),
])
def test_only_same_site_paths_are_followed(target, expected):
    assert safe_path(target) == expected


def test_new_enterprise_opened_from_an_order_returns_to_it(client, admin, app):
    order = f"/orders/{admin['order_id']}"
    form = client.get(f"/enterprises/new?next={order}").get_data(as_text=True)
    assert f'name="next" value="{order}"' in form and f'<a href="{order}">← 返回分配权益</a>' in form
    assert f'<a class="button" href="{order}">取消</a>' in form

    # the autofill carries it into the picked form too
    add_registry(app, SUZHOU)
    hx = {"HX-Request": "true"}
    suggestions = client.get(f"/enterprises/autofill?name=星辰数据&next={order}", headers=hx)
    assert f'hx-get="/enterprises/new?next={order}"' in \
        suggestions.get_data(as_text=True)
    picked = client.get(f"/enterprises/new?pick={SUZHOU['tax_id']}&next={order}", headers=hx)
    assert f'name="next" value="{order}"' in picked.get_data(as_text=True)

    saved = client.post("/enterprises/new", data={"name": "甲", "tax_id": tax_id(31), "next": order})
    assert saved.status_code == 303 and saved.headers["Location"] == order
    saved = client.post("/enterprises/new", headers=hx,
                        data={"name": "乙", "tax_id": tax_id(32), "next": order})
    assert saved.status_code == 204 and saved.headers["HX-Redirect"] == order
    assert "已新增企业：乙" in client.get(order).get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/x", "/\\evil.example"])
def test_a_foreign_next_is_ignored(client, admin, target):
    form = client.get("/enterprises/new", query_string={"next": target}).get_data(as_text=True)
    assert "evil.example" not in form
    saved = client.post("/enterprises/new", data={"name": "丙", "tax_id": tax_id(33), "next": target})
    assert saved.status_code == 303 and saved.headers["Location"] == "/enterprises/"


def test_development_links_follow_the_address_the_app_is_served_on(make_app, make_order,
                                                                   make_staff):
    """No PUBLIC_BASE_URL in development: the resent activation link points where support
    reached the app (here port 5001), not at 127.0.0.1:5000."""
    order_id, _ = make_order(order_no="SO-PORT")
    app = make_app(PUBLIC_BASE_URL=None, APP_ENV="development")
    assert app.config["PUBLIC_BASE_URL_FROM_REQUEST"] is True
    client = app.test_client()
    login(client, make_staff("support"))
    response = client.post(f"/support/orders/{order_id}/resend", data={"reason": "客户未收到"},
                           base_url="http://localhost:5001")
    assert response.status_code == 303
    text = outbox_text(app)
    assert re.search(r"http://localhost:5001/activate/\S+", text)
    link, key = link_and_key(text)
    assert client.post(f"{link}/key", data={"key": key}).status_code == 303

    # PUBLIC_BASE_URL stays authoritative when set
    fixed = make_app(PUBLIC_BASE_URL="https://portal.example.com", APP_ENV="development")
    staff = fixed.test_client()
    login(staff, make_staff("support"))
    staff.post(f"/support/orders/{order_id}/resend", data={"reason": "再次推送"},
               base_url="http://localhost:5001")
    assert "https://portal.example.com/activate/" in outbox_text(fixed)
