"""账号管理 (ops): create a staff account, the person sets the password through a one-time link,
change role, disable (sessions end at once)."""
import re

import pytest
from factories import PASSWORD, login, outbox_text
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditEntry, User

LINK = re.compile(r"https?://[^/\s]+(/password/[A-Za-z0-9._-]+)")


@pytest.fixture
def ops(app, make_staff):
    client = app.test_client()
    email = make_staff("ops")
    login(client, email)
    return client


def user(app, email):
    with app.app_context():
        found = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge_all()
        return found


def test_create_then_set_password_once_then_sign_in(app, ops):
    response = ops.post("/staff/", data={"email": "New.Approver@Staff.test", "role": "approver"})
    assert response.status_code == 303
    assert "new.approver@staff.test" in ops.get("/staff/").get_data(as_text=True)
    path = LINK.search(outbox_text(app, kind="staff_password")).group(1)
    anon = app.test_client()
    assert "new.approver@staff.test" in anon.get(path).get_data(as_text=True)
    response = anon.post(path, data={"password": "short", "confirm": "short"})
    assert response.status_code == 422 and "密码长度需为 8–128 位" in response.get_data(as_text=True)
    assert anon.post(path, data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 303
    assert anon.get(path).status_code == 410  # one time only
    assert anon.post(path, data={"password": "other-pass-2", "confirm": "other-pass-2"}).status_code == 410
    login(anon, "new.approver@staff.test")
    assert anon.get("/requests/queue").status_code == 200


@pytest.mark.parametrize("data,status,message", [
    ({"email": "not-an-email", "role": "support"}, 422, "邮箱地址无效"),
    ({"email": "a@staff.test", "role": "tenant_admin"}, 422, "请选择角色"),
    ({"email": "a@staff.test", "role": "\x00"}, 422, "不能包含控制字符"),
])
def test_bad_accounts_are_refused(app, ops, data, status, message):
    response = ops.post("/staff/", data=data)
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert user(app, "a@staff.test") is None


def test_duplicate_account_is_a_conflict(app, ops, make_staff):
    email = make_staff("support")
    response = ops.post("/staff/", data={"email": email, "role": "approver"})
    assert response.status_code == 409 and "已存在" in response.get_data(as_text=True)
    assert user(app, email).role == "support"


def test_change_role_and_disable_end_the_session(app, ops, make_staff):
    email = make_staff("support")
    agent = app.test_client()
    login(agent, email)
    uid = user(app, email).id
    assert ops.post(f"/staff/{uid}/role", data={"role": "approver"}).status_code == 303
    assert user(app, email).role == "approver"
    assert ops.post(f"/staff/{uid}/disable", data={}).status_code == 303
    assert user(app, email).active is False
    response = agent.get("/requests/queue")
    assert response.status_code == 302 and "/login" in response.location
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.target_type == "user", AuditEntry.target_id == uid)))
    assert {"user.role_changed", "user.disabled"} <= actions
    assert ops.post(f"/staff/{uid}/enable", data={}).status_code == 303
    # Enabled again, the account signs in anew; the session from before stays ended.
    response = agent.get("/requests/queue")
    assert response.status_code == 302 and "/login" in response.location
    login(app.test_client(), email)


def test_only_ops_manage_accounts_and_not_themselves(app, ops, make_staff, signed_in):
    support = signed_in("support")
    assert support.get("/staff/").status_code == 403
    assert support.post("/staff/", data={"email": "x@staff.test", "role": "ops"}).status_code == 403
    me = user(app, re.search(r"([\w.-]+@staff\.test) · 运营", ops.get("/staff/").get_data(
        as_text=True)).group(1))
    response = ops.post(f"/staff/{me.id}/disable", data={})
    assert response.status_code == 409 and user(app, me.email).active
    assert ops.post("/staff/999999/disable", data={}).status_code == 404
    assert ops.post("/staff/1/explode", data={}).status_code == 404
