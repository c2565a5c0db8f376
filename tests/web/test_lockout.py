"""Failures are counted per (account or order, client address): a stranger guessing from other
addresses never locks the rightful user out; only a high per-target ceiling stops guessing
spread over many addresses."""
from factories import PASSWORD, link_and_key, outbox_text

ATTACKER = {"REMOTE_ADDR": "203.0.113.7"}
OWNER = {"REMOTE_ADDR": "198.51.100.20"}


def _login(app, email, password, env):
    return app.test_client().post("/login", data={"email": email, "password": password},
                                  environ_base=env)


def test_wrong_logins_from_elsewhere_do_not_lock_the_owner_out(app, make_admin):
    email = make_admin()["email"]
    for _ in range(10):
        assert _login(app, email, "wrong-pass-1", ATTACKER).status_code == 422
    assert _login(app, email, PASSWORD, ATTACKER).status_code == 429  # the attacker is stopped
    assert _login(app, email, PASSWORD, OWNER).status_code == 303     # the owner is not


def test_distributed_wrong_logins_reach_the_account_ceiling(make_app, make_admin):
    app = make_app(LOGIN_ACCOUNT_MAX_FAILURES=4)
    email = make_admin()["email"]
    for n in range(4):
        env = {"REMOTE_ADDR": f"203.0.113.{n + 10}"}
        assert _login(app, email, "wrong-pass-1", env).status_code == 422
    response = _login(app, email, PASSWORD, OWNER)
    assert response.status_code == 429 and "分钟后再试" in response.get_data(as_text=True)


def _key_post(app, link, key, env):
    return app.test_client().post(f"{link}/key", data={"key": key}, environ_base=env)


def test_wrong_keys_from_elsewhere_do_not_lock_the_contact_out(app, make_order):
    make_order()
    link, key = link_and_key(outbox_text(app))
    for _ in range(5):
        assert _key_post(app, link, "WRONG", ATTACKER).status_code == 422
    assert _key_post(app, link, key, ATTACKER).status_code == 429
    assert _key_post(app, link, key, OWNER).status_code == 303


def test_distributed_wrong_keys_reach_the_order_ceiling(make_app, make_order):
    app = make_app(ACTIVATION_ORDER_MAX_WRONG_KEYS=3)
    make_order()
    link, key = link_and_key(outbox_text(app))
    for n in range(3):
        assert _key_post(app, link, "WRONG", {"REMOTE_ADDR": f"203.0.113.{n + 10}"}
                         ).status_code == 422
    response = _key_post(app, link, key, OWNER)
    assert response.status_code == 429 and "分钟后再试" in response.get_data(as_text=True)
