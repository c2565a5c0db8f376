"""End to end in Chromium: typing a tax ID in 新增企业 reads it aloud in a live region that stays
in the page (updated in place by htmx), next to what the registry holds for it."""
import pytest
from factories import SUZHOU, add_registry
from fixtures.browser import browser_login

from webapp.core import taxid

pytestmark = pytest.mark.browser

SOLE_TRADER = taxid.compose("92320505", "MA1XY2W3")


def test_typing_a_tax_id_reads_it_aloud(live_server, make_admin, page):
    server = live_server()
    admin = make_admin()
    add_registry(server.app, {**SUZHOU, "tax_id": SOLE_TRADER, "name": "苏州虎丘区小李便利店"})
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    browser_login(page, server, admin["email"])
    page.get_by_role("link", name="企业管理").wait_for()
    page.goto(server.url + "/enterprises/new")
    region = page.locator("#taxid-reading")
    assert region.get_attribute("aria-live") == "polite"
    region.evaluate("node => { node.dataset.seen = 'before' }")  # survives only if kept

    page.get_by_label("企业税号").press_sequentially(SOLE_TRADER, delay=20)
    region.get_by_text("工商 · 个体工商户 · 江苏省苏州市虎丘区").wait_for()
    assert "企业类型与税号不符" in region.inner_text()  # the registry says 有限责任公司
    assert page.get_by_role("button", name="苏州虎丘区小李便利店").count() == 1
    assert region.evaluate("node => node.dataset.seen") == "before"
    page.shot("read-aloud")

    wrong = SOLE_TRADER[:16] + ("1" if SOLE_TRADER[16] != "1" else "2")
    page.get_by_label("企业税号").fill("")
    page.get_by_label("企业税号").press_sequentially(wrong + taxid.check_character(wrong), delay=20)
    region.get_by_text("第 9–17 位").wait_for()
    assert region.evaluate("node => node.dataset.seen") == "before"
    page.shot("typo")
    assert not [e for e in errors if "Content Security Policy" in e], errors
