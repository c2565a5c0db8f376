"""分配权益 through HTTP: the panel, ticks as a server-side draft, 【下一步】, 分配成功, isolation."""
import re

import pytest
from factories import (add_enterprises, count, counters, first_line, login, outbox_text, row_html,
                       statements_for)
from sqlalchemy import select

from webapp.allocation.drafts import QUOTA_USED_UP
from webapp.extensions import db
from webapp.models import (Allocation, AllocationBatch, AllocationDraft, AuditEntry, OrderLine,
                           OutboxEmail)

HX = {"HX-Request": "true"}


@pytest.fixture
def admin(app, make_admin, client):
    """A signed-in tenant admin with 3 enterprises; the order has issue×3 and receive×2."""
    info = make_admin()
    info["enterprises"] = add_enterprises(app, info["tenant_id"], 3)
    info["issue"] = first_line(app, info["order_id"], "issue")
    info["receive"] = first_line(app, info["order_id"], "receive")
    login(client, info["email"])
    return info


def urls(info, line="issue"):
    base = f"/orders/{info['order_id']}/lines/{info[line]}"
    return {"panel": base + "/allocate", "toggle": base + "/toggle", "draft": base + "/draft",
            "confirm": base + "/confirm", "commit": base + "/commit"}


def tick(client, info, enterprise_id, on=True, line="issue"):
    data = {"enterprise_id": str(enterprise_id)}
    if on:
        data["selected"] = str(enterprise_id)
    return client.post(urls(info, line)["toggle"], data=data, headers=HX)


def commit(client, info, line="issue"):
    html = client.get(urls(info, line)["confirm"]).get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    return client.post(urls(info, line)["commit"], data={"token": token}), token


def test_configure_lands_on_the_allocation_table(app, make_admin, client):
    info = make_admin()
    login(client, info["email"])
    html = client.get(f"/orders/{info['order_id']}").get_data(as_text=True)
    for word in ("分配权益", "产品", "购买数量", "已分配", "可分配", "有效期", "去分配", "发票云开票"):
        assert word in html
    # 新增企业 from here comes back here (a same-site path carried as next)
    assert f'href="/enterprises/new?next=/orders/{info["order_id"]}"' in html and "新增企业" in html
    assert 'aria-current="step">新增企业' in html


def test_panel_lists_the_tenants_enterprises(client, admin):
    html = client.get(urls(admin)["panel"]).get_data(as_text=True)
    assert "勾选税号分配使用组织" in html
    for word in ("企业名称", "企业税号", "本次分配状态", "保存勾选", "全选本页", "下一步"):
        assert word in html
    assert html.count('type="checkbox" name="selected"') == 3
    assert html.count("未分配") == 3
    assert counters(html) == (0, 3)


def test_tick_and_untick_swap_the_row_and_the_counters(client, admin):
    first = admin["enterprises"][0]
    response = tick(client, admin, first)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<tr id="ent-{first}"')
    assert "已分配" in row_html(html, first) and "checked" in row_html(html, first)
    # the counters and the live status keep their elements: only their content is swapped
    assert 'id="alloc-counters" class="counters" hx-swap-oob="innerHTML"' in html
    assert counters(html) == (1, 2)
    status = re.search(r'<p id="alloc-status"[^>]*>([^<]*)</p>', html)
    assert 'role="status" hx-swap-oob="innerHTML"' in status.group(0)
    assert status.group(1) == "【企业00000有限公司】本次分配状态：已分配。已选 1 / 可分配 2。"

    html = tick(client, admin, first, on=False).get_data(as_text=True)
    assert "未分配" in row_html(html, first) and "checked" not in row_html(html, first)
    assert counters(html) == (0, 3)


def test_the_draft_survives_a_new_session(app, client, admin):
    tick(client, admin, admin["enterprises"][1])
    other = app.test_client()
    login(other, admin["email"])
    html = other.get(urls(admin)["panel"]).get_data(as_text=True)
    assert "已分配" in row_html(html, admin["enterprises"][1])
    assert "checked" in row_html(html, admin["enterprises"][1])
    assert counters(html) == (1, 2)


def test_a_tick_past_the_quota_is_refused(app, client, admin):
    a, b, c = admin["enterprises"]
    tick(client, admin, a, line="receive")
    full = tick(client, admin, b, line="receive")
    # The quota filled up: the whole page is redrawn with the rest disabled.
    assert full.headers["HX-Retarget"] == "#alloc-rows"
    assert "disabled" in row_html(full.get_data(as_text=True), c)
    assert counters(full.get_data(as_text=True)) == (2, 0)
    # The used-up quota reads the same on the panel as in the refusal of one more tick.
    assert QUOTA_USED_UP in full.get_data(as_text=True)
    refused = tick(client, admin, c, line="receive")
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert QUOTA_USED_UP in html
    assert "未分配" in row_html(html, c) and "checked" not in row_html(html, c)
    assert count(app, AllocationDraft, AllocationDraft.line_id == admin["receive"]) == 2


def test_the_panel_works_as_a_plain_form(app, client, admin):
    a, b, c = admin["enterprises"]
    page_ids = [str(i) for i in admin["enterprises"]]
    response = client.post(urls(admin, "receive")["draft"],
                           data={"page_ids": page_ids, "selected": [str(a)], "action": "save"})
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已保存勾选" in html and counters(html) == (1, 1)
    # 全选本页 ticks what the quota allows and says what it could not.
    response = client.post(urls(admin, "receive")["draft"],
                           data={"page_ids": page_ids, "action": "select_page"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "可分配数量已用完" in html and "1 家企业未能勾选" in html
    assert counters(html) == (2, 0)
    # Unticking by saving the form without the box.
    client.post(urls(admin, "receive")["draft"],
                data={"page_ids": page_ids, "selected": [str(b)], "action": "save"})
    with app.app_context():
        drafted = set(db.session.scalars(select(AllocationDraft.enterprise_id).where(
            AllocationDraft.line_id == admin["receive"])))
    assert drafted == {b}
    # 【下一步】 saves the ticks and moves on.
    response = client.post(urls(admin, "receive")["draft"],
                           data={"page_ids": page_ids, "selected": [str(b), str(c)],
                                 "action": "next"})
    assert response.headers["Location"].endswith("/confirm")


def test_next_shows_the_draft_then_commits_it_once(app, client, admin):
    a, b, _c = admin["enterprises"]
    tick(client, admin, a)
    tick(client, admin, b)
    html = client.get(urls(admin)["confirm"]).get_data(as_text=True)
    assert "企业00000有限公司" in html and "企业00001有限公司" in html
    assert "不可自行撤销" in html and "【查看已分配结果】中，点击该税号旁的【申请变更】" in html
    assert "云之家" not in html  # staff-only: the portal's own 申请变更 is the customer's way

    response, token = commit(client, admin)
    assert response.status_code == 303
    result_url = response.headers["Location"]
    html = client.get(result_url).get_data(as_text=True)
    assert "分配成功" in html and "立即查看" in html and "查看已分配结果" in html
    assert "企业00000有限公司" in html and "企业00001有限公司" in html
    assert admin["email"] in html and 'href="/credentials/"' in html

    # A replayed submit (double click, back + resubmit) lands on the same result.
    again = client.post(urls(admin)["commit"], data={"token": token})
    assert again.status_code == 303 and again.headers["Location"] == result_url
    with app.app_context():
        line = db.session.get(OrderLine, admin["issue"])
        assert line.allocated == 2
    assert count(app, Allocation) == 2
    assert count(app, AllocationBatch) == 1
    assert count(app, AllocationDraft) == 0
    assert count(app, AuditEntry, AuditEntry.action == "allocation.commit") == 1
    # The authorization email was queued with the allocation, once, to the order's contact.
    assert count(app, OutboxEmail, OutboxEmail.kind == "authorization") == 1
    mail = outbox_text(app, kind="authorization")
    assert "企业00000有限公司" in mail and "企业00001有限公司" in mail
    assert "企业00002有限公司" not in mail

    results = client.get(f"/orders/{admin['order_id']}/allocations").get_data(as_text=True)
    assert "企业00000有限公司" in results and "企业00001有限公司" in results
    assert "发票云开票" in results and admin["email"] in results

    # Allocated enterprises stay ticked and disabled, with their date.
    panel = client.get(urls(admin)["panel"]).get_data(as_text=True)
    row = row_html(panel, a)
    assert "checked" in row and "disabled" in row and "已生效" in row
    assert counters(panel) == (0, 1)
    assert tick(client, admin, a, on=False).status_code == 200
    assert count(app, Allocation) == 2


def test_reopening_confirm_after_the_commit_shows_the_committed_result(client, admin):
    """The back button after 确认分配 (or a second tab): the result, not 请先勾选 over a panel
    that says 请先取消已勾选的企业."""
    confirm = urls(admin, "receive")["confirm"]
    assert client.get(confirm).headers["Location"].endswith("/allocate")  # nothing yet: tick first
    for enterprise_id in admin["enterprises"][:2]:  # 收票 × 2: the line is then full
        tick(client, admin, enterprise_id, line="receive")
    response, _token = commit(client, admin, "receive")
    result_url = response.headers["Location"]

    back = client.get(confirm)
    assert back.status_code == 303 and back.headers["Location"] == result_url
    html = client.get(result_url).get_data(as_text=True)
    assert "本次分配已确认完成" in html and "分配成功" in html
    assert "请先勾选要分配的企业" not in html
    panel = client.get(urls(admin, "receive")["panel"]).get_data(as_text=True)
    assert "本产品的购买数量已全部分配" in panel and QUOTA_USED_UP not in panel
    assert "请先勾选要分配的企业" not in panel
    # while ticks hold the last of the quota, the panel says to untick one
    tick(client, admin, admin["enterprises"][0])
    tick(client, admin, admin["enterprises"][1])
    tick(client, admin, admin["enterprises"][2])
    assert QUOTA_USED_UP in client.get(urls(admin)["panel"]).get_data(as_text=True)


def test_commit_refuses_more_than_the_quota(app, client, admin):
    with app.app_context():  # three ticks on a line of two, as racing tabs could leave them
        for eid in admin["enterprises"]:
            db.session.add(AllocationDraft(line_id=admin["receive"], enterprise_id=eid))
        db.session.commit()
    response, _token = commit(client, admin, "receive")
    assert response.status_code == 409
    assert "可分配数量不足" in response.get_data(as_text=True)
    assert count(app, Allocation) == 0
    assert count(app, AuditEntry, AuditEntry.action == "allocation.commit") == 0


def test_bad_input_is_refused_and_changes_nothing(app, client, admin, make_admin):
    assert client.post(urls(admin)["toggle"], data={"enterprise_id": "abc"},
                       headers=HX).status_code == 400
    assert client.post(urls(admin)["toggle"], data={"enterprise_id": "9" * 40},
                       headers=HX).status_code == 400
    other = make_admin(customer="无锡另一家有限公司", email="other@example.com",
                       order_no="SO-OTHER")
    foreign = add_enterprises(app, other["tenant_id"], 1, name="外租户")[0]
    assert tick(client, admin, foreign).status_code == 404
    long_q = client.get(urls(admin)["panel"], query_string={"q": "长" * 101})
    assert long_q.status_code == 422 and "不能超过 100 个字符" in long_q.get_data(as_text=True)
    hostile = client.get(urls(admin)["panel"], query_string={"q": "<script>alert(1)</script>%_"})
    assert hostile.status_code == 200 and "<script>alert" not in hostile.get_data(as_text=True)
    assert client.get(urls(admin)["panel"], query_string={"after": "!!not-a-cursor"}).status_code == 200
    import base64
    huge = base64.urlsafe_b64encode(b'["x", 99999999999999999999999]').decode().rstrip("=")
    assert client.get(urls(admin)["panel"], query_string={"after": huge}).status_code == 200
    nul = client.get(urls(admin)["panel"], query_string={"q": "企业\x00"})
    assert nul.status_code == 422 and "不能包含控制字符" in nul.get_data(as_text=True)
    nul_cursor = base64.urlsafe_b64encode('["企\\u0000", 5]'.encode()).decode().rstrip("=")
    assert client.get(urls(admin)["panel"], query_string={"after": nul_cursor}).status_code == 200
    bad_token = client.post(urls(admin)["commit"], data={"token": "x"})
    assert bad_token.status_code == 422 and "表单已失效" in bad_token.get_data(as_text=True)
    empty = client.post(urls(admin)["commit"], data={"token": "a" * 32})
    assert empty.status_code == 422 and "请先勾选" in empty.get_data(as_text=True)
    assert count(app, AllocationDraft) == 0 and count(app, Allocation) == 0


def test_another_tenant_gets_404_and_staff_403(app, client, admin, make_admin, make_staff):
    tick(client, admin, admin["enterprises"][0])
    response, _ = commit(client, admin)
    result_url = response.headers["Location"]
    own = urls(admin)
    gets = [f"/orders/{admin['order_id']}", own["panel"], own["confirm"], result_url,
            f"/orders/{admin['order_id']}/allocations"]
    posts = [(own["toggle"], {"enterprise_id": str(admin["enterprises"][1]),
                              "selected": str(admin["enterprises"][1])}),
             (own["draft"], {"page_ids": str(admin["enterprises"][1]), "action": "select_page"}),
             (own["commit"], {"token": "b" * 32})]

    other = make_admin(customer="无锡另一家有限公司", email="other@example.com", order_no="SO-X")
    intruder = app.test_client()
    login(intruder, other["email"])
    for url in gets:
        assert intruder.get(url).status_code == 404, url
    for url, data in posts:
        assert intruder.post(url, data=data, headers=HX).status_code == 404, url

    staff = app.test_client()
    login(staff, make_staff("support"))
    for url in gets:
        assert staff.get(url).status_code == 403, url
    for url, data in posts:
        assert staff.post(url, data=data).status_code == 403, url
    assert count(app, AllocationDraft) == 0 and count(app, Allocation) == 1


def test_toggle_needs_the_csrf_token(make_admin, make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    info = make_admin()
    ids = add_enterprises(app, info["tenant_id"], 1)
    client = app.test_client()
    from factories import csrf_token

    login(client, info["email"], csrf=True)
    line = first_line(app, info["order_id"])
    url = f"/orders/{info['order_id']}/lines/{line}/toggle"
    data = {"enterprise_id": str(ids[0]), "selected": str(ids[0])}
    assert client.post(url, data=data, headers=HX).status_code == 400
    panel_token = csrf_token(client, url.replace("/toggle", "/allocate"))
    ok = client.post(url, data=data, headers={**HX, "X-CSRFToken": panel_token})
    assert ok.status_code == 200
    assert count(app, AllocationDraft) == 1


def test_keyset_pages_and_search(app, client, make_admin):
    info = make_admin()
    add_enterprises(app, info["tenant_id"], 120)
    login(client, info["email"])
    line = first_line(app, info["order_id"])
    panel = f"/orders/{info['order_id']}/lines/{line}/allocate"
    seen = []
    html = client.get(panel).get_data(as_text=True)
    while True:
        seen += re.findall(r'<tr id="ent-(\d+)"', html)
        cursor = re.search(r'name="next_cursor" value="([^"]*)"', html).group(1)
        if not cursor:
            break
        html = client.get(panel, query_string={"after": cursor}).get_data(as_text=True)
    assert len(seen) == 120 and len(set(seen)) == 120
    found = client.get(panel, query_string={"q": "企业00117"}).get_data(as_text=True)
    assert re.findall(r'<tr id="ent-', found) == ['<tr id="ent-'] and "企业00117有限公司" in found
    by_tax = client.get(panel, query_string={"q": "91320500"}).get_data(as_text=True)
    assert len(re.findall(r'<tr id="ent-', by_tax)) == 50
    nothing = client.get(panel, query_string={"q": "不存在"}).get_data(as_text=True)
    assert "未找到" in nothing


def test_panel_statements_do_not_grow_with_enterprises(app, client, make_admin):
    info = make_admin()
    login(client, info["email"])
    line = first_line(app, info["order_id"])
    panel = f"/orders/{info['order_id']}/lines/{line}/allocate"
    add_enterprises(app, info["tenant_id"], 10)
    small = statements_for(app, client, panel)
    add_enterprises(app, info["tenant_id"], 300, start=10)
    large = statements_for(app, client, panel)
    assert small == large <= 6


def test_search_with_htmx_answers_the_panel_fragment(client, admin):
    response = client.get(urls(admin)["panel"], query_string={"q": "00002"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section class="card" id="alloc-panel">')
    assert re.findall(r'<tr id="ent-(\d+)"', html) == [str(admin["enterprises"][2])]


def test_the_whole_flow_without_javascript(app, client, admin):
    """Plain forms only: 保存勾选 → 下一步 → 确认分配 → 分配成功."""
    a, b, c = admin["enterprises"]
    ids = [str(i) for i in admin["enterprises"]]
    response = client.post(urls(admin)["draft"], data={"page_ids": ids, "selected": [str(a), str(c)],
                                                       "action": "next"})
    assert response.status_code == 303
    confirm = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "企业00000有限公司" in confirm and "企业00002有限公司" in confirm
    assert "企业00001有限公司" not in confirm
    token = re.search(r'name="token" value="([^"]+)"', confirm).group(1)
    done = client.post(urls(admin)["commit"], data={"token": token}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "分配成功" in html and "企业00000有限公司" in html and "企业00002有限公司" in html
    with app.app_context():
        assert db.session.get(OrderLine, admin["issue"]).allocated == 2
    page = client.get(f"/orders/{admin['order_id']}").get_data(as_text=True)
    assert re.search(r"<td>发票云开票</td><td>3</td><td>2</td>\s*<td>1</td>", page)


def test_an_overlong_after_is_not_copied_into_the_redirect(client, admin):
    """The no-JS toggle and 【保存勾选】 return to the same page; a 90 KB `after` means page 1."""
    ent = admin["enterprises"][0]
    huge = "A" * 90_000
    tick_plain = client.post(urls(admin)["toggle"], data={"enterprise_id": str(ent),
                                                          "selected": str(ent), "after": huge})
    assert tick_plain.status_code == 303
    assert "after" not in tick_plain.headers["Location"] and len(tick_plain.headers["Location"]) < 200
    saved = client.post(urls(admin)["draft"], data={"page_ids": str(ent), "action": "save",
                                                    "after": huge})
    assert saved.status_code == 303 and "after" not in saved.headers["Location"]


def test_a_readable_after_is_kept_in_the_redirect(client, admin):
    from webapp.allocation.drafts import Row, encode_cursor

    cursor = encode_cursor(Row(id=admin["enterprises"][0], name="企业00000有限公司", tax_id="x",
                               allocated_at=None, drafted=False))
    ent = admin["enterprises"][1]
    response = client.post(urls(admin)["toggle"], data={"enterprise_id": str(ent),
                                                        "after": cursor})
    assert response.status_code == 303 and f"after={cursor}" in response.headers["Location"]
