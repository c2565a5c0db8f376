"""操作日志: tenant admins read their tenant's entries, staff read all; filters, keyset pages, safety."""
import re
from datetime import datetime, timedelta, timezone

import bulk
import pytest
from factories import PASSWORD, login
from sqlalchemy import insert

from webapp.extensions import db
from webapp.models import AuditEntry


def _ids(html):
    return [int(i) for i in re.findall(r'<tr data-entry="(\d+)">', html)]


def _entry(**kw):
    entry = AuditEntry(**{"actor_label": "system", "action": "order.created", **kw})
    db.session.add(entry)
    db.session.flush()
    return entry.id


@pytest.fixture
def log(app):
    with app.app_context():
        a = bulk.tenant("日志甲有限公司")
        b = bulk.tenant("日志乙有限公司")
        bulk.tenant_admin(a, "log-a@example.com", PASSWORD)
        ids = {
            "a_order": _entry(tenant_id=a, actor_label="ops@staff.test", action="order.created",
                              at=datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)),
            # 2026-03-09 23:30 UTC is 2026-03-10 07:30 in China: it belongs to the 10th
            "a_email": _entry(tenant_id=a, actor_label="system", action="email.sent",
                              at=datetime(2026, 3, 9, 23, 30, tzinfo=timezone.utc),
                              detail={"kind": "activation", "note": "<b>粗体</b>",
                                      "client_secret": "S3CR3T-VALUE"}),
            "a_late": _entry(tenant_id=a, actor_label="Log-A@example.com", action="credential.revealed",
                             target_type="order", target_id=42, detail={"reason": None},
                             at=datetime(2026, 3, 20, 4, 0, tzinfo=timezone.utc)),
            "b_order": _entry(tenant_id=b, actor_label="ops@staff.test", action="order.created",
                              at=datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)),
            "global": _entry(tenant_id=None, actor_label="cli", action="user.created",
                             at=datetime(2026, 3, 3, 2, 0, tzinfo=timezone.utc)),
        }
        db.session.commit()
    return {"a": a, "b": b, **ids}


def test_tenant_admin_reads_only_its_tenant(client, log):
    login(client, "log-a@example.com")
    html = client.get("/entitlements/audit").get_data(as_text=True)
    assert set(_ids(html)) >= {log["a_order"], log["a_email"], log["a_late"]}
    assert log["b_order"] not in _ids(html) and log["global"] not in _ids(html)
    assert "日志乙有限公司" not in html


def test_staff_read_everything(client, make_staff, log):
    login(client, make_staff("approver"))
    ids = _ids(client.get("/entitlements/audit").get_data(as_text=True))
    assert {log["a_order"], log["b_order"], log["global"], log["a_email"]} <= set(ids)
    assert ids == sorted(ids, reverse=True)  # newest first


@pytest.mark.parametrize("args, expected", [
    ({"actor": "OPS@staff"}, {"a_order", "b_order"}),
    ({"actor": "log-a"}, {"a_late"}),
    ({"action": "order."}, {"a_order", "b_order"}),
    ({"action": "email.sent"}, {"a_email"}),
    ({"date_from": "2026-03-02", "date_to": "2026-03-03"}, {"b_order", "global"}),
    ({"date_from": "2026-03-10", "date_to": "2026-03-10"}, {"a_email"}),
    ({"date_to": "2026-03-01"}, {"a_order"}),
    ({"date_from": "2026-03-15", "action": "credential."}, {"a_late"}),
])
def test_filters(client, make_staff, log, args, expected):
    login(client, make_staff("support"))
    html = client.get("/entitlements/audit", query_string=args).get_data(as_text=True)
    mine = {k for k, v in log.items() if k not in ("a", "b") and v in _ids(html)}
    assert mine == expected


@pytest.mark.parametrize("args, message", [
    ({"date_from": "2026-02-30"}, "日期格式应为 YYYY-MM-DD"),
    ({"date_to": "yesterday"}, "日期格式应为 YYYY-MM-DD"),
    ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "结束日期不能早于开始日期"),
    ({"actor": "a" * 101}, "操作人不能超过 100 个字符"),
    ({"action": "x" * 61}, "请从列表中选择操作"),
    ({"action": "bulk."}, "请从列表中选择操作"),
])
def test_bad_filters_get_a_clear_message(client, log, args, message):
    login(client, "log-a@example.com")
    response = client.get("/entitlements/audit", query_string=args)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and not _ids(html)
    response = client.get("/entitlements/audit", query_string=args, headers={"HX-Request": "true"})
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_detail_is_escaped_and_secrets_never_shown(client, make_staff, log):
    login(client, make_staff("support"))
    html = client.get("/entitlements/audit", query_string={"action": "email.sent"}).get_data(as_text=True)
    assert "&lt;b&gt;粗体&lt;/b&gt;" in html and "<b>粗体</b>" not in html
    assert "S3CR3T-VALUE" not in html and "client_secret" in html and "******" in html
    # in words: the event's name, the detail's keys and known values
    assert "邮件已发送" in html and "email.sent</" not in html
    assert "类型：</span>激活邮件" in html
    # times are shown in China Standard Time
    assert "2026-03-10 07:30:00" in html


def test_target_and_empty_detail(client, log):
    login(client, "log-a@example.com")
    html = client.get("/entitlements/audit", query_string={"action": "credential."}).get_data(as_text=True)
    assert "订单 #42" in html and "reason" not in html


def test_keyset_pages(app, client, make_staff, log):
    with app.app_context():
        start = datetime(2026, 4, 1, tzinfo=timezone.utc)
        db.session.execute(insert(AuditEntry), [
            {"actor_label": "bulk@staff.test", "action": "reminder.sent", "tenant_id": log["a"],
             "at": start + timedelta(minutes=i)} for i in range(120)])
        db.session.commit()
    login(client, make_staff("ops"))
    seen, url, pages = [], "/entitlements/audit?action=reminder.", 0
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += _ids(html)
        pages += 1
        match = re.search(r'<a href="([^"]+)"[^>]*>更早</a>', html)
        url = match.group(1).replace("&amp;", "&") if match else None
        assert pages < 10
    assert pages == 3 and len(seen) == 120 and len(set(seen)) == 120
    assert seen == sorted(seen, reverse=True)
    # a junk cursor is page one, not an error
    assert client.get("/entitlements/audit?before=abc").status_code == 200


def test_nav_links_for_both_roles(client, make_staff, log):
    login(client, "log-a@example.com")
    html = client.get("/home").get_data(as_text=True)
    assert ">权益查询</a>" in html and ">操作日志</a>" in html
    client.post("/logout")
    login(client, make_staff("support"))
    html = client.get("/home").get_data(as_text=True)
    assert ">权益查询</a>" in html and ">操作日志</a>" in html
    client.post("/logout")
    assert client.get("/entitlements/audit").status_code == 302


def test_every_recorded_event_has_a_chinese_label_and_is_in_the_filter():
    """Read the code for every `audit.record("…")` (and the request steps): each event has a
    name in words, and the 操作 list offers it, so no raw code ever reaches the page."""
    from pathlib import Path

    from webapp.core.audit_labels import ACTION_LABELS, action_values
    from webapp.models.request import EVENT_LABELS
    from webapp.support.service import RESEND_ACTION

    source = "\n".join(p.read_text() for p in Path("webapp").rglob("*.py"))
    recorded = set(re.findall(r'audit\.record\(\s*"([a-z_]+\.[a-z_]+)"', source))
    recorded |= {f"request.{step}" for step in EVENT_LABELS} | {RESEND_ACTION}
    assert len(recorded) > 40
    assert recorded - set(ACTION_LABELS) == set()
    offered = action_values()
    assert recorded <= offered and {"order.", "request.", "credential."} <= offered


def test_details_read_as_words():
    from webapp.core.audit import visible_detail

    assert visible_detail({"order_id": 3, "product": "发票云开票", "count": 2,
                           "tax_ids": ["91320500MA1", "91320500MA2"]}, "allocation.commit") == [
        ("订单", "#3"), ("产品", "发票云开票"), ("数量", "2"), ("企业税号", "91320500MA1、91320500MA2")]
    assert visible_detail({"scope": "enterprise", "field": "encry_key", "client_id": "fpy-1"},
                          "credential.revealed") == [
        ("授权范围", "企业授权"), ("字段", "EncryKey"), ("client id", "fpy-1")]
    assert visible_detail({"reason": "wrong"}, "api.unauthorised") == [("原因", "访问令牌错误")]
    assert visible_detail({"reason": "wrong"}, "support.activation_resent") == [("原因", "wrong")]
    assert visible_detail({"validity_restarted": False, "fee_cents": 50000}) == [
        ("重新计算有效期", "否"), ("费用", "¥500")]


def test_the_action_filter_is_a_list(client, log):
    login(client, "log-a@example.com")
    html = client.get("/entitlements/audit").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="action"[\s\S]*?</select>', html).group(0)
    assert '<option selected value="">全部操作</option>' in select or 'value="">全部操作' in select
    assert '<optgroup label="授权信息">' in select and ">显示密钥</option>" in select
    assert 'value="order.">订单：全部</option>' in select
    assert "例如 order." not in html
