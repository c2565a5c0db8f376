"""忘记密码: the same answer for every address, a one-time link that expires and is void once used
or replaced, sessions and sign-in failures ended with the old password, limits a stranger cannot
turn against the owner, and support sending a link it never sees."""
import re
from datetime import timedelta

import pytest
from factories import PASSWORD, count, login, outbox_text
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditEntry, OutboxEmail, User
from webapp.orm import utcnow

LINK = re.compile(r"https?://[^/\s]+(/password/[A-Za-z0-9_-]+)")
NEW = "new-pass-word-2"
OWNER = {"REMOTE_ADDR": "198.51.100.20"}


def _ask(app, email, ip="192.0.2.10"):
    """Ask, and let the answer be sent (closed): the account is looked up after that."""
    answer = app.test_client().post("/password/forgot", data={"email": email},
                                    environ_base={"REMOTE_ADDR": ip})
    answer.close()
    return answer


def _link(app, index=-1) -> str:
    return LINK.search(outbox_text(app, kind="password_reset", index=index)).group(1)


def _emails(app) -> int:
    return count(app, OutboxEmail, OutboxEmail.kind == "password_reset")


def _set(app, path, password=NEW, env=None):
    return app.test_client().post(path, data={"password": password, "confirm": password},
                                  environ_base=env or {})


def _login(app, email, password, env=OWNER):
    return app.test_client().post("/login", data={"email": email, "password": password},
                                  environ_base=env)


def test_the_same_answer_whether_or_not_the_address_has_an_account(app, make_admin):
    email = make_admin()["email"]
    known, unknown = _ask(app, email), _ask(app, "nobody@example.com")
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location) \
        == (303, "/password/forgot")
    pages = [re.sub(r'"X-CSRFToken": "[^"]+"|name="csrf_token" value="[^"]+"', "", app.test_client().post(
        "/password/forgot", data={"email": address}, follow_redirects=True).get_data(as_text=True))
             for address in (email, "nobody@example.com")]
    assert pages[0] == pages[1] and "如该邮箱是本系统的登录账号" in pages[0]
    assert _emails(app) == 2  # one per request for the existing account, none for the other
    with app.app_context():
        outcomes = [e.detail["outcome"] for e in db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "auth.password_reset_requested").order_by(AuditEntry.id))]
    assert outcomes == ["sent", "no_account", "sent", "no_account"]


def test_the_answer_does_the_same_work_for_every_address(app, make_admin):
    """Before the answer is sent, no statement at all for either address: the account is
    looked up, and mailed, only after it (bench/bench_forgot.py measures the times)."""
    from webapp.database import count_statements

    email = make_admin()["email"]
    seen = {}
    for address in (email, "nobody@example.com"):
        with count_statements(app) as statements:
            answer = app.test_client().post("/password/forgot", data={"email": address})
        seen[address] = list(statements)
        answer.close()
    assert seen[email] == seen["nobody@example.com"] == []
    assert _emails(app) == 1


def test_an_answer_the_server_never_closes_still_sends_the_email(app, make_admin):
    """Werkzeug's development server skips closing an answer when the browser resets the
    connection: the work then runs on its own a moment later."""
    import time

    email = make_admin()["email"]
    app.test_client().post("/password/forgot", data={"email": email})  # never closed
    deadline = time.monotonic() + 10
    while _emails(app) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _emails(app) == 1


def test_the_link_sets_the_password_once_ends_every_session_and_expires(app, client, admin):
    other = app.test_client()  # `client` is signed in (the fixture); a second browser too
    login(other, admin["email"])
    _ask(app, admin["email"])
    path = _link(app)
    assert "账号：buyer@example.com" in app.test_client().get(path).get_data(as_text=True)
    weak = _set(app, path, password="short")
    assert weak.status_code == 422 and "密码长度需为 8–128 位" in weak.get_data(as_text=True)
    assert _set(app, path).status_code == 303
    for browser in (client, other):
        assert browser.get("/home").status_code == 302  # signed out everywhere
    again = _set(app, path, password="third-pass-3")
    assert again.status_code == 410 and "已失效" in again.get_data(as_text=True)
    assert app.test_client().get(path).status_code == 410
    assert _login(app, admin["email"], PASSWORD).status_code == 422
    assert _login(app, admin["email"], NEW).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "user.password_set")).target_id == admin["user_id"]

    _ask(app, admin["email"])
    with app.app_context():
        user = db.session.get(User, admin["user_id"])
        user.password_link_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert _set(app, _link(app)).status_code == 410


def test_a_newer_link_voids_the_older_one(app, make_admin):
    email = make_admin()["email"]
    _ask(app, email)
    _ask(app, email)
    first, second = _link(app, 0), _link(app, 1)
    assert first != second
    assert _set(app, first).status_code == 410
    assert _set(app, second).status_code == 303


@pytest.mark.parametrize("path", ["/password/abc", "/password/" + "A" * 43,
                                  "/password/" + "٣" * 43, "/password/" + "x" * 5000])
def test_unknown_links_are_refused(app, path):
    assert app.test_client().get(path).status_code == 410
    assert _set(app, path).status_code == 410


def test_strangers_cannot_flood_the_mailbox_nor_keep_the_owner_from_a_link(app, make_admin):
    """Five requests from five addresses: three emails (the hour's cap), the same answer to
    all; the owner's own request answers alike and the newest email's link still works."""
    email = make_admin()["email"]
    answers = [_ask(app, email, ip=f"203.0.113.{n}") for n in range(5)]
    assert {(a.status_code, a.location) for a in answers} == {(303, "/password/forgot")}
    assert _emails(app) == 3
    owner = _ask(app, email, ip=OWNER["REMOTE_ADDR"])
    assert (owner.status_code, owner.location) == (303, "/password/forgot") and _emails(app) == 3
    assert _set(app, _link(app)).status_code == 303
    assert _login(app, email, NEW).status_code == 303


def test_one_address_asking_too_often_is_told_to_wait(make_app, make_admin):
    app = make_app(PASSWORD_RESET_ADDRESS_LIMIT=2)
    email = make_admin()["email"]
    for target in (email, "nobody@example.com"):
        assert _ask(app, target, ip="203.0.113.99").status_code == 303
    refused = _ask(app, "someone@example.com", ip="203.0.113.99")
    assert refused.status_code == 429 and "分钟后再试" in refused.get_data(as_text=True)
    assert _ask(app, email, ip="203.0.113.100").status_code == 303  # another address


def test_a_disabled_account_gets_the_same_answer_and_no_email(app, make_staff):
    email = make_staff("support")
    with app.app_context():
        db.session.scalar(select(User).where(User.email == email)).active = False
        db.session.commit()
    assert _ask(app, email).status_code == 303 and _emails(app) == 0


def test_past_the_account_ceiling_a_reset_lets_the_owner_in_at_once(make_app, make_admin):
    app = make_app(LOGIN_ACCOUNT_MAX_FAILURES=4)
    email = make_admin()["email"]
    for n in range(4):
        assert _login(app, email, "wrong-pass-1", {"REMOTE_ADDR": f"203.0.113.{n + 10}"}
                      ).status_code == 422
    refused = _login(app, email, PASSWORD)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "忘记密码" in text and "重设密码后立即登录" in text
    _ask(app, email)
    assert _set(app, _link(app)).status_code == 303
    assert _login(app, email, NEW).status_code == 303
    # and the strangers' addresses start from nothing against the new password too
    assert _login(app, email, "wrong-pass-1", {"REMOTE_ADDR": "203.0.113.10"}).status_code == 422


def test_a_password_set_otherwise_voids_an_outstanding_link(app, make_admin):
    from webapp.auth import service as accounts

    admin = make_admin()
    _ask(app, admin["email"])
    with app.app_context():
        accounts.change_password(db.session.get(User, admin["user_id"]), NEW, NEW)  # the CLI's
        db.session.commit()
    assert _set(app, _link(app), password="third-pass-3").status_code == 410


def test_staff_sign_in_with_a_reset_too(app, make_staff):
    email = make_staff("approver")
    _ask(app, email)
    assert _set(app, _link(app)).status_code == 303
    assert _login(app, email, NEW).status_code == 303


def test_a_resent_staff_link_voids_the_first(app, signed_in):
    ops = signed_in("ops")
    assert ops.post("/staff/", data={"email": "new.agent@staff.test", "role": "support"}
                    ).status_code == 303
    first = LINK.search(outbox_text(app, kind="staff_password")).group(1)
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == "new.agent@staff.test"))
    assert ops.post(f"/staff/{uid}/resend", data={}).status_code == 303
    second = LINK.search(outbox_text(app, kind="staff_password")).group(1)
    assert _set(app, first).status_code == 410
    assert _set(app, second).status_code == 303
    assert _login(app, "new.agent@staff.test", NEW).status_code == 303


def test_support_sends_a_link_it_never_sees(app, make_admin, signed_in):
    admin = make_admin()
    support = signed_in("support")
    page = support.get(f"/support/orders/{admin['order_id']}").get_data(as_text=True)
    assert "租户管理员账号" in page and admin["email"] in page
    answer = support.post(f"/support/orders/{admin['order_id']}/password-reset",
                          data={"user_id": str(admin["user_id"])})
    assert answer.status_code == 303
    page = support.get(answer.location).get_data(as_text=True)
    path = _link(app)
    assert path not in page and "重设密码邮件已发送至 buyer@example.com" in page
    assert "发送重设密码邮件" in page  # in the order's 操作记录
    with app.app_context():
        sent = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "password_reset"))
        assert sent.to_addr == admin["email"]
        assert db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "support.password_reset_sent")).target_id == admin["user_id"]
    assert "客服应您的请求" in outbox_text(app, kind="password_reset")
    assert _set(app, path).status_code == 303


def test_support_sends_only_for_the_orders_tenant(app, make_admin, signed_in):
    admin = make_admin()
    other = make_admin(customer="无锡另一家有限公司", email="other@example.com")
    support = signed_in("support")
    url = f"/support/orders/{admin['order_id']}/password-reset"
    for user_id in (str(other["user_id"]), "٣", "99999999999", ""):
        assert support.post(url, data={"user_id": user_id}).status_code == 404, user_id
    assert signed_in("approver").post(url, data={"user_id": str(admin["user_id"])}
                                      ).status_code == 403
    tenant = app.test_client()
    login(tenant, admin["email"])
    assert tenant.post(url, data={"user_id": str(admin["user_id"])}).status_code == 403
    assert _emails(app) == 0
