"""In Chromium: a tenant admin opens 权益查询 from the menu, filters with htmx, pages, and reads 操作日志."""
from datetime import timedelta
from pathlib import Path

import bulk
import pytest
from factories import PASSWORD
from fixtures.browser import browser_login

from webapp.entitlements import service as entitlements
from webapp.extensions import db

pytestmark = pytest.mark.browser


def test_query_filter_and_audit_in_the_browser(live_server, page):
    server = live_server()
    today = entitlements.today()
    with server.app.app_context():
        t = bulk.tenant("浏览器权益有限公司")
        lines = bulk.order(t, "SO-WEB", {"issue": (80, today + timedelta(days=300)),
                                             "receive": (5, today + timedelta(days=12))})
        ids = bulk.enterprises(t, 60, name="网页企业{:03d}")
        bulk.allocate(lines["issue"], ids)
        bulk.allocate(lines["receive"], ids[:2])
        bulk.tenant_admin(t, "web@example.com", PASSWORD)
        db.session.commit()

    browser_login(page, server, "web@example.com")
    page.get_by_role("link", name="权益查询").click()
    page.get_by_role("heading", name="租户权益查询 · 浏览器权益有限公司").wait_for()
    lines_table = page.locator("#ent-lines")
    assert "即将到期" in lines_table.inner_text() and "生效中" in lines_table.inner_text()
    assert page.locator("#ent-enterprises tbody tr").count() == entitlements.PAGE_SIZE
    page.shot("query")

    page.get_by_role("link", name="下一页").click()
    page.wait_for_url("**after=*")
    assert page.locator("#ent-enterprises tbody tr").count() == 10
    # the last page has no 下一页: the focus goes to the swapped results, not to <body>
    page.wait_for_function("document.activeElement.id === 'ent-results'")  # after htmx settles

    page.get_by_label("产品").select_option("receive")
    page.get_by_role("button", name="查询", exact=True).click()
    page.wait_for_url("**product=receive*")
    page.locator("#ent-enterprises tbody tr").nth(1).wait_for()
    assert page.locator("#ent-enterprises tbody tr").count() == 2
    assert page.locator("#ent-lines tbody tr").count() == 1
    page.shot("filtered")

    with page.expect_download() as download:
        page.get_by_role("link", name="导出 CSV").click()
    data = Path(download.value.path()).read_bytes().decode("utf-8")
    assert data.startswith("\ufeff企业名称,企业税号,产品")
    assert data.count("发票云收票") == 2 and "发票云开票" not in data  # the filter carried over

    # the field itself stops at 100 characters (maxlength from the form's Length rule)
    assert page.get_by_label("企业名称或税号").get_attribute("maxlength") == "100"

    page.get_by_role("link", name="操作日志").click()
    page.get_by_role("heading", name="操作日志 · 浏览器权益有限公司").wait_for()
    entries = page.locator("#audit-entries").inner_text()
    # events and details in words, never raw codes or Python reprs
    assert "导出权益" in entries and "web@example.com" in entries
    assert "entitlements.exported" not in entries and "产品：发票云收票" in entries
    assert "['" not in entries
    page.shot("audit-entries")
    # 操作 is chosen from a list
    page.get_by_label("操作", exact=True).select_option(label="导出权益")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**action=entitlements.exported*")
    page.locator("#audit-entries").get_by_text("导出权益").first.wait_for()
    assert page.locator("#audit-entries tbody tr").count() == 1
    page.wait_for_function("document.activeElement.id === 'audit-submit'")  # focus came back
    page.get_by_label("开始日期").fill("2026-03-10")
    page.get_by_label("结束日期").fill("2026-03-01")
    page.get_by_role("button", name="筛选").click()
    page.get_by_text("结束日期不能早于开始日期").wait_for()
    page.shot("audit")
