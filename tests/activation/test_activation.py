"""产品激活 through HTTP: the link, the 操作密钥, the ERP choice, the first tenant admin."""
import pytest
from factories import PASSWORD, count, link_and_key, login, outbox_text

from webapp.extensions import db
from webapp.models import AuditEntry, Order, Tenant, User


def _open(client, app):
    link, key = link_and_key(outbox_text(app))
    return link, key


def _activate(client, link, key, erp="xingkong", deployment="public", password=PASSWORD):
    assert client.post(f"{link}/key", data={"key": key}).status_code == 303
    assert client.post(f"{link}/erp", data={"erp": erp, "deployment": deployment}).status_code == 303
    return client.post(f"{link}/complete", data={"password": password, "confirm": password})


def test_full_activation_creates_tenant_and_admin(app, client, make_order):
    order_id, _ = make_order(order_no="SO-100", customer="苏州示例科技有限公司")
    link, key = _open(client, app)

    page = client.get(link).get_data(as_text=True)
    assert '<label for="key">操作密钥</label>' in page

    response = client.post(f"{link}/key", data={"key": key.lower().replace("-", " ")})
    assert response.status_code == 303
    page = client.get(link).get_data(as_text=True)
    assert "选择对接ERP及部署方式" in page and "SO-100" in page and "发票云开票" in page
    for label in ("星瀚", "星空", "EAS", "其他", "公有云", "私有化部署", "确认"):
        assert label in page

    assert client.post(f"{link}/erp", data={"erp": "xingkong", "deployment": "public"}).status_code == 303
    page = client.get(link).get_data(as_text=True)
    assert "星空" in page and "公有云" in page and "设置登录密码" in page

    response = client.post(f"{link}/complete", data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 303
    page = client.get(link).get_data(as_text=True)
    assert "激活完成" in page and "去配置" in page

    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.is_activated and order.erp == "xingkong" and order.deployment == "public"
        assert order.tenant.name == "苏州示例科技有限公司"
        admin = db.session.query(User).filter_by(email="buyer@example.com").one()
        assert admin.role == "tenant_admin" and admin.tenant_id == order.tenant_id
    # signed in: 【去配置】 opens the order
    assert client.get(f"/orders/{order_id}").status_code == 200
    with app.app_context():
        actions = {e.action for e in db.session.query(AuditEntry)}
    assert {"order.delivered", "email.queued", "activation.key_accepted",
            "activation.erp_chosen", "order.activated", "user.created"} <= actions


def test_wrong_key_is_refused_and_counted(app, client, make_order):
    make_order()
    link, key = _open(client, app)
    response = client.post(f"{link}/key", data={"key": "AAAA-BBBB"})
    assert response.status_code == 422
    assert "操作密钥不正确" in response.get_data(as_text=True)
    assert "还可尝试 4 次" in response.get_data(as_text=True)
    # nothing unlocked: the ERP step is not reachable
    assert client.post(f"{link}/erp", data={"erp": "eas", "deployment": "public"}).status_code == 403
    assert count(app, AuditEntry, AuditEntry.action == "activation.key_wrong") == 1


def test_sixth_wrong_key_is_refused_even_with_the_right_key(app, client, make_order):
    order_id, _ = make_order()
    link, key = _open(client, app)
    for _ in range(5):
        assert client.post(f"{link}/key", data={"key": "WRONG"}).status_code == 422
    response = client.post(f"{link}/key", data={"key": key})
    assert response.status_code == 429
    assert "分钟后再试" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Order, order_id).activated_at is None


def test_wrong_keys_are_limited_per_client_address_across_orders(app, make_order):
    make_order(order_no="A-1")
    make_order(order_no="A-2")
    link1, _ = link_and_key(outbox_text(app, index=0))
    link2, key2 = link_and_key(outbox_text(app, index=1))
    client = app.test_client()
    for _ in range(5):
        client.post(f"{link1}/key", data={"key": "WRONG"})
    # the same address trying another order is stopped too
    assert client.post(f"{link2}/key", data={"key": key2}).status_code == 429
    # another address is not
    other = app.test_client()
    response = other.post(f"{link2}/key", data={"key": key2},
                          environ_overrides={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code == 303


def test_expired_link_shows_a_clear_page(make_app, make_order):
    make_order()
    app = make_app(ACTIVATION_LINK_MAX_AGE=-1)
    link, key = link_and_key(outbox_text(app))
    response = app.test_client().get(link)
    assert response.status_code == 410
    assert "激活链接已过期" in response.get_data(as_text=True)
    assert app.test_client().post(f"{link}/key", data={"key": key}).status_code == 410


def test_tampered_link_shows_a_clear_page(app, client, make_order):
    make_order()
    link, _ = _open(client, app)
    response = client.get(link[:-3] + "xyz")
    assert response.status_code == 404
    assert "激活链接无效" in response.get_data(as_text=True)
    assert client.get("/activate/not-a-token").status_code == 404


def test_activated_link_leads_to_login(app, client, make_order):
    make_order()
    link, key = _open(client, app)
    assert _activate(client, link, key).status_code == 303
    other = app.test_client()
    response = other.get(link)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = other.get(response.headers["Location"]).get_data(as_text=True)
    assert "已激活，请登录" in page


def test_password_rules(app, client, make_order):
    order_id, _ = make_order()
    link, key = _open(client, app)
    client.post(f"{link}/key", data={"key": key})
    client.post(f"{link}/erp", data={"erp": "other", "deployment": "private"})
    for password, confirm, message in [("short1", "short1", "8–128"),
                                       ("onlyletters", "onlyletters", "字母和数字"),
                                       ("letters123", "letters124", "不一致")]:
        response = client.post(f"{link}/complete", data={"password": password, "confirm": confirm})
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Order, order_id).activated_at is None
    assert count(app, User) == 0 and count(app, Tenant) == 0


def test_invalid_erp_choice_changes_nothing(app, client, make_order):
    order_id, _ = make_order()
    link, key = _open(client, app)
    client.post(f"{link}/key", data={"key": key})
    response = client.post(f"{link}/erp", data={"erp": "sap", "deployment": "public"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Order, order_id).erp is None


def test_signed_in_admin_adds_a_new_order_to_their_tenant(app, client, make_admin, make_order):
    admin = make_admin(customer="苏州示例科技有限公司")
    make_order(order_no="SO-2", customer="苏州示例科技有限公司（二期）", email="buyer@example.com")
    link, key = link_and_key(outbox_text(app, index=-1))
    login(client, admin["email"])
    client.post(f"{link}/key", data={"key": key})
    client.post(f"{link}/erp", data={"erp": "eas", "deployment": "private"})
    page = client.get(link).get_data(as_text=True)
    assert "加入您的租户" in page
    assert client.post(f"{link}/complete", data={}).status_code == 303
    with app.app_context():
        order = db.session.query(Order).filter_by(order_no="SO-2").one()
        assert order.tenant_id == admin["tenant_id"]
    assert count(app, Tenant) == 1


def test_contact_with_an_account_must_sign_in_first(app, make_admin, make_order):
    make_admin(email="buyer@example.com")
    make_order(order_no="SO-3", email="buyer@example.com", customer="另一家公司")
    link, key = link_and_key(outbox_text(app, index=-1))
    client = app.test_client()
    client.post(f"{link}/key", data={"key": key})
    client.post(f"{link}/erp", data={"erp": "eas", "deployment": "public"})
    response = client.post(f"{link}/complete", data={"password": PASSWORD, "confirm": PASSWORD})
    # The email is taken: a conflict (409), shown on the page with what to do.
    assert response.status_code == 409
    assert "请先登录" in response.get_data(as_text=True)
    assert count(app, Tenant) == 1


def test_staff_cannot_activate_a_customer_order(app, client, make_order, make_staff):
    make_order()
    link, key = _open(client, app)
    login(client, make_staff("support"))
    client.post(f"{link}/key", data={"key": key})
    client.post(f"{link}/erp", data={"erp": "eas", "deployment": "public"})
    response = client.post(f"{link}/complete", data={})
    assert response.status_code == 403
    assert count(app, Tenant) == 0


def test_undelivered_order_link_does_not_exist(app, make_order):
    from webapp.activation import service as activation

    order_id, _ = make_order(delivered=False)
    with app.test_request_context():
        order = db.session.get(Order, order_id)
        order.link_nonce = "x"
        token = activation.link_token(order)
    assert app.test_client().get(f"/activate/{token}").status_code == 404


def test_concurrent_activations_of_one_order_make_one_admin(app, make_order):
    import threading

    order_id, _ = make_order()
    link, key = link_and_key(outbox_text(app))
    clients = [app.test_client() for _ in range(4)]
    for c in clients:
        c.post(f"{link}/key", data={"key": key})
        c.post(f"{link}/erp", data={"erp": "eas", "deployment": "public"})
    codes = []

    def finish(c):
        codes.append(c.post(f"{link}/complete",
                            data={"password": PASSWORD, "confirm": PASSWORD}).status_code)

    threads = [threading.Thread(target=finish, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # One wins; a loser either reads the order already activated (sent on: 302) or loses the
    # race inside the transaction (该订单已激活, a conflict: 409), depending on timing.
    assert codes.count(303) == 1 and all(code in (303, 302, 409) for code in codes), codes
    assert count(app, User) == 1 and count(app, Tenant) == 1
    assert count(app, AuditEntry, AuditEntry.action == "order.activated") == 1


def test_two_orders_of_one_customer_activated_at_once_share_one_tenant(app, make_order):
    import threading

    make_order(order_no="P-1", email="p1@example.com", customer="并发测试有限公司")
    make_order(order_no="P-2", email="p2@example.com", customer="并发测试有限公司")
    links = [link_and_key(outbox_text(app, index=i)) for i in (0, 1)]
    clients = [app.test_client() for _ in links]
    for c, (link, key) in zip(clients, links, strict=True):
        c.post(f"{link}/key", data={"key": key})
        c.post(f"{link}/erp", data={"erp": "eas", "deployment": "public"})
    codes = []

    def finish(c, link):
        codes.append(c.post(f"{link}/complete",
                            data={"password": PASSWORD, "confirm": PASSWORD}).status_code)

    threads = [threading.Thread(target=finish, args=(c, link)) for c, (link, _) in zip(clients, links, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert codes == [303, 303]
    assert count(app, Tenant) == 1 and count(app, User) == 2


@pytest.mark.parametrize("password", ["abcdefgh!", "12345678", "²²²²²²²²a"])
def test_a_password_needs_letters_and_digits(password):
    """The rule says 字母和数字: a password without an ASCII digit or without a letter is refused."""
    from webapp.auth.service import validate_password
    from webapp.core.errors import ServiceError

    with pytest.raises(ServiceError, match="密码需同时包含字母和数字"):
        validate_password(password, password)


def test_activation_email_points_to_the_portals_change_request(app, make_order):
    """【云之家-智能审批】 is for staff only; the customer files a change in the portal."""
    make_order(order_no="SO-PS")
    text = outbox_text(app)
    assert "【查看已分配结果】中，点击该税号旁的【申请变更】" in text and "云之家" not in text
    from webapp.core import outbox
    from webapp.models import OutboxEmail

    with app.app_context():
        html = outbox.body(db.session.scalars(db.select(OutboxEmail)).first())[1]
    assert "【申请变更】" in html and "云之家" not in html
