"""The portal in zh_CN and en (Flask-Babel): no Chinese outside a translation call in the areas
done, a complete en catalogue, pages and emails really in English.

The scan reads Python string literals (docstrings, log lines and translation calls excepted) and
template text (Jinja comments and translation calls excepted). A literal that is data, not words
shown to a user (a table of region names, a pattern matching Chinese input), carries
`# i18n: data` on its statement's first line.
"""
import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from factories import login

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]")
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# Every user-facing string of the portal is translated: the scan covers all of webapp/ and
# every entry of templates/ (a new package or template folder is scanned without being listed).
SCANNED = {"python": ["webapp"], "templates": sorted(p.name for p in (ROOT / "templates").iterdir())}

TRANSLATING = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "pgettext",
               "lazy_pgettext", "npgettext", "N_"}
LOGGING = {"debug", "info", "warning", "error", "exception", "critical"}
PRAGMA = "# i18n: data"


# Command-line tools speak to operators in a terminal, in the seed's words: not the portal.
NOT_UI = {"cli.py"}
# Modules that are data in Chinese, not words of the portal.
DATA_MODULES = {
    "webapp/registry/demo.py": "synthetic 工商 records, Chinese like the real registry's",
}


def _files(entries, base: Path, pattern: str):
    for entry in entries:
        path = base / entry
        found = sorted(path.rglob(pattern)) if path.is_dir() else [path]
        yield from (p for p in found if p.name not in NOT_UI
                    and str(p.relative_to(ROOT)) not in DATA_MODULES)


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else None)


def python_offences(path: Path) -> list[str]:
    """Literals holding Chinese outside a translation call, as "path:line: text"."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    skip: set[int] = set()

    def skip_all(node):
        skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                skip_all(body[0])
        if isinstance(node, ast.Call):
            name = _call_name(node)
            is_log = (isinstance(node.func, ast.Attribute) and name in LOGGING
                      and isinstance(node.func.value, ast.Name)
                      and node.func.value.id in ("log", "logger", "logging"))
            if name in TRANSLATING or is_log:
                skip_all(node)
        if isinstance(node, ast.stmt) and PRAGMA in lines[node.lineno - 1]:
            skip_all(node)
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and HAN.search(node.value):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:40]!r}")
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if HAN.search(text):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: f{text[:40]!r}")
            skip_all(node)
    return found


JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
TRANS_BLOCK = re.compile(r"\{%-?\s*trans\b.*?%\}.*?\{%-?\s*endtrans\s*-?%\}", re.S)
# A translation call's string arguments: _("…"), gettext('…'), ngettext("…", "…", n).
TRANS_CALL = re.compile(r"\b(?:_|gettext|ngettext|pgettext)\(\s*(?:\"[^\"]*\"|'[^']*')"
                        r"(?:\s*,\s*(?:\"[^\"]*\"|'[^']*'))*")


def template_offences(path: Path) -> list[str]:
    """Template text or literals holding Chinese outside a translation call."""
    text = path.read_text(encoding="utf-8")

    def blank(match):  # keep line numbers
        return "\n" * match.group(0).count("\n")

    for pattern in (JINJA_COMMENT, TRANS_BLOCK, TRANS_CALL):
        text = pattern.sub(blank, text)
    return [f"{path.relative_to(ROOT)}:{number}: {line.strip()[:60]!r}"
            for number, line in enumerate(text.splitlines(), 1) if HAN.search(line)]


def test_no_chinese_outside_a_translation_call():
    offences = []
    for path in _files(SCANNED["python"], ROOT, "*.py"):
        offences += python_offences(path)
    for path in _files(SCANNED["templates"], ROOT / "templates", "*.*"):
        offences += template_offences(path)
    assert not offences, "Chinese outside a translation call:\n" + "\n".join(offences)


# Chinese may stay in an English string only in parentheses: the words a Chinese-only screen
# shows (an ERP's menu "Golden Tax connection settings (金税互联设置)").
PARENTHESISED = re.compile(r"\([^()]*\)")


def _catalogue(locale: str):
    path = ROOT / "webapp" / "translations" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def test_the_en_catalogue_translates_every_marked_string():
    with (ROOT / "webapp" / "translations" / "messages.pot").open("rb") as fh:
        template = read_po(fh)
    en = _catalogue("en")
    problems = []
    for message in template:
        if not message.id:
            continue
        entry = en.get(message.id, message.context)
        strings = () if entry is None else (
            entry.string if isinstance(entry.string, tuple) else (entry.string,))
        if entry is None:
            problems.append(f"missing: {message.id!r}")
        elif entry.fuzzy or not all(strings):
            problems.append(f"{'fuzzy' if entry.fuzzy else 'empty'}: {message.id!r}")
        elif any(HAN.search(PARENTHESISED.sub("", s)) for s in strings):
            problems.append(f"Chinese left in: {message.id!r}")
    assert not problems, "\n".join(problems)


def test_the_catalogue_template_is_up_to_date():
    """Every string marked in the code is in messages.pot (`make messages` was run)."""
    from babel.messages.frontend import CommandLineInterface

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "now.pot"
        CommandLineInterface().run(
            ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k",
             "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "lazy_pgettext:1c,2", "-k", "N_",
             "--no-location", "-o", str(out), str(ROOT / "webapp"), str(ROOT / "templates")])
        with out.open("rb") as fh:
            now = {(m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(fh) if m.id}
    with (ROOT / "webapp" / "translations" / "messages.pot").open("rb") as fh:
        kept = {(m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(fh) if m.id}
    assert not now - kept, f"run `make messages`: {sorted(now - kept)[:10]}"


# --- pages in English -------------------------------------------------------------------------

EN = {"Accept-Language": "en-US,en;q=0.9"}


def test_chinese_is_the_default_and_accept_language_chooses_english(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "发票云激活中心" in page
    response = client.get("/login", headers=EN)
    varies = [name.strip() for name in response.headers["Vary"].split(",")]
    assert varies.count("Accept-Language") == 1 and "Cookie" in varies  # each once, kept
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page and "Invoice Cloud Activation Center" in page
    assert "发票云激活中心" not in page
    page = client.get("/login", headers={"Accept-Language": "fr-FR, zh-TW;q=0.8"}).get_data(
        as_text=True)
    assert '<html lang="zh-CN">' in page  # nothing the portal speaks: the default


def test_the_switch_is_remembered_for_the_user_across_sessions(app, client, admin):
    from webapp.models import User

    response = client.post("/language", data={"locale": "en", "next": "/enterprises/"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/enterprises/")
    with app.app_context():
        assert db_get(User, admin["user_id"]).locale == "en"
    assert '<html lang="en">' in client.get("/", follow_redirects=True).get_data(as_text=True)

    other = app.test_client()  # another browser: no cookie, a Chinese Accept-Language
    login(other, admin["email"])
    page = other.get("/", headers={"Accept-Language": "zh-CN"}, follow_redirects=True)
    assert '<html lang="en">' in page.get_data(as_text=True)

    other.post("/language", data={"locale": "zh_CN"})
    with app.app_context():
        assert db_get(User, admin["user_id"]).locale == "zh_CN"


def test_the_switch_works_before_signing_in_and_refuses_what_it_does_not_know(client):
    response = client.post("/language", data={"locale": "en", "next": "//evil.example/x"})
    assert response.status_code == 303 and "evil" not in response.headers["Location"]
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)
    assert client.post("/language", data={"locale": "fr"}).status_code == 400
    # Back where it was pressed: a page only POST answers returns by its Referer instead.
    response = client.post("/language", data={"locale": "zh_CN", "next": "/logout"},
                           headers={"Referer": "http://localhost/login?next=/x"})
    assert response.headers["Location"].endswith("/login?next=/x")


def test_dates_and_amounts_follow_the_locale(app):
    from datetime import datetime, timezone

    from flask_babel import force_locale

    from webapp.web.i18n import format_datetime, format_money

    moment = datetime(2026, 3, 5, 6, 7, 8, tzinfo=timezone.utc)
    with app.test_request_context("/"):
        assert format_datetime(moment) == "2026-03-05 14:07"
        assert format_money(50000) == "¥500.00"
        with force_locale("en"):
            assert format_datetime(moment) == "5 Mar 2026, 14:07"
            assert format_datetime(moment, "%Y-%m-%d") == "5 Mar 2026"
            assert format_money(123456) == "CN¥1,234.56"


def db_get(model, ident):
    from webapp.extensions import db

    return db.session.get(model, ident)


def test_an_email_goes_out_in_its_recipients_language(app, client, admin, smtp_server,
                                                      make_app):
    """忘记密码 for an account whose user chose English: subject and body in English, delivered
    through the real SMTP server; an account that never chose gets Chinese."""
    from fixtures.smtp import text_of

    from webapp.core.outbox import sender
    from webapp.models import User

    client.post("/language", data={"locale": "en"})
    anonymous = app.test_client()
    anonymous.post("/password/forgot", data={"email": admin["email"]}).close()
    mailer = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    with mailer.app_context():
        sender.send_due()
    resets = [m for m in smtp_server.inbox.messages if "激活邮件" not in m["Subject"]]
    message = resets[-1]
    assert message["Subject"] == "[Invoice Cloud Activation Center] Reset your sign-in password"
    body = text_of(message)
    assert "Open this link to set a new password" in body and "您好" not in body

    with app.app_context():
        db_get(User, admin["user_id"]).locale = None
        from webapp.extensions import db

        db.session.commit()
    app.test_client().post("/password/forgot", data={"email": admin["email"]},
                           headers=EN).close()  # the page in English, the account's unknown
    with mailer.app_context():
        sender.send_due()
    assert "重设登录密码" in smtp_server.inbox.messages[-1]["Subject"]


def test_the_activation_page_and_email_speak_english(app, client, make_order):
    """产品激活 in English: the page by Accept-Language, and the activation email of a contact
    without an account in the language of whoever sent it (here: the CLI's zh_CN default)."""
    from factories import link_and_key, outbox_text

    make_order()
    text = outbox_text(app)
    assert "激活链接" in text  # queued outside a request: zh_CN
    path, _key = link_and_key(text)
    page = client.get(path, headers=EN).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Product activation" in page and "Enter the operation key" in page
    assert not HAN.search(re.sub(r"<title>.*?</title>", "", page.split("<main", 1)[1], flags=re.S)
                          .replace("苏州示例科技有限公司", ""))


def test_the_erp_facing_json_keeps_its_fields_and_its_description_follows_accept_language(
        client):
    body = {"client_id": "nobody", "sign": "x", "timestamp": "1"}
    chinese = client.post("/base/oauth/token", json=body).get_json()
    english = client.post("/base/oauth/token", json=body, headers=EN).get_json()
    assert chinese["errcode"] == english["errcode"] == "1004"
    assert set(chinese) == set(english)
    assert "timestamp 超出允许范围" in chinese["description"]
    assert english["description"].startswith("timestamp outside the allowed window")


def test_a_tax_id_is_read_aloud_in_english(app):
    """The reading's words follow the locale; what it compares stays the seed's words."""
    from flask_babel import force_locale

    from webapp.core import taxid

    with app.test_request_context("/"):
        chinese = taxid.read("91350211M0000XUF46")
        assert chinese.summary.startswith("工商 · 企业 · ")
        with force_locale("en"):
            english = taxid.read("91350211M0000XUF46")
            assert english.summary.startswith("Industry and commerce · Enterprise · ")
            assert english.notes[0].startswith("The 18th character does not follow")
            assert english.category == "企业"  # data, compared with what registries write
            assert taxid.read("94320500MA1AAAAA1").problem.startswith("A tax ID has 18")


def test_an_activation_email_to_an_english_account_is_in_english(app, make_admin, make_order):
    """The contact already has an account whose user chose English: a new order's activation
    email (queued outside any request) goes out in English, both parts."""
    from factories import outbox_text

    from webapp.core import outbox
    from webapp.extensions import db
    from webapp.models import OutboxEmail, User

    admin = make_admin()
    with app.app_context():
        db_get(User, admin["user_id"]).locale = "en"
        db.session.commit()
    make_order(order_no="SO-EN-2", email=admin["email"])
    text = outbox_text(app)
    assert "Activation link (valid for" in text and "操作密钥" not in text
    with app.app_context():
        email = db.session.query(OutboxEmail).order_by(OutboxEmail.id.desc()).first()
        assert email.subject == "[Invoice Cloud] Activation email for order SO-EN-2"
        html = outbox.body(email)[1]
    assert '<html lang="en">' in html and "Invoice Cloud Issuing" in html


def _main_text(html: str) -> str:
    """A page's <main> without the data it shows (customer and enterprise names are Chinese)."""
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"<[^>]+>", " ", main)


DATA_WORDS = ("苏州示例科技有限公司",)


@pytest.mark.parametrize("role,paths", [
    ("ops", ["/support/", "/support/orders/new", "/staff/", "/support/orders/{order_id}"]),
])
def test_staff_pages_are_english(client, make_staff, make_order, role, paths):
    order_id, _key = make_order()
    login(client, make_staff(role))
    client.post("/language", data={"locale": "en"})
    for path in paths:
        response = client.get(path.format(order_id=order_id))
        assert response.status_code == 200, path
        text = _main_text(response.get_data(as_text=True))
        for word in DATA_WORDS:
            text = text.replace(word, "")
        assert not HAN.search(text), (path, HAN.findall(text)[:20], text[:2000])


def test_anonymous_pages_are_english(client):
    for path in ("/login", "/password/forgot", "/password/" + "A" * 43, "/no-such-page"):
        page = client.get(path, headers=EN).get_data(as_text=True)
        assert not HAN.search(_main_text(page).replace("\u4e2d\u6587", "")), path


def test_a_request_page_and_its_step_email_speak_english(app, client, admin, make_batch,
                                                        signed_in):
    """权益税号变更 filed by an admin who chose English: the request page, the approver's page in
    Chinese beside it, and the step email to the admin in English (rendered per recipient)."""
    from factories import outbox_text, tax_id
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import Allocation, ChangeRequest, OutboxEmail

    names = [("苏州原税号一有限公司", tax_id(11))]
    _batch, ids = make_batch(admin, line_index=0, names=names)
    with app.app_context():
        alloc = db.session.scalar(select(Allocation.id).where(Allocation.enterprise_id == ids[0]))
    client.post("/language", data={"locale": "en"})
    form = {"kind": "tax_change_issue", "change_case": "wrong_tax_id",
            "new_name": "杭州新税号科技有限公司", "new_tax_id": tax_id(501, "91330100"),
            "reason": "typed wrongly at activation"}
    page = client.post(f"/requests/tax/{alloc}", data={**form, "action": "preview"})
    text = _main_text(page.get_data(as_text=True))
    assert "Data that will move" in text and "Submit request" in text
    assert client.post(f"/requests/tax/{alloc}", data={**form, "action": "submit"}).status_code == 303
    with app.app_context():
        req_id = db.session.scalar(select(ChangeRequest.id))
        email = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "request")).one()
        assert email.subject.startswith(f"[Invoice Cloud] Request #{req_id} Invoice Cloud Issuing")
    for path in (f"/requests/{req_id}", "/requests/"):
        text = _main_text(client.get(path).get_data(as_text=True))
        for word in DATA_WORDS + tuple(n for n, _t in names) + ("杭州新税号科技有限公司",):
            text = text.replace(word, "")
        assert not HAN.search(text), (path, HAN.findall(text)[:20], text[:2000])
    body = outbox_text(app, kind="request")
    assert "Pending approval" in body and "Awaiting the approver" in body
    assert "您好" not in body and "下一步" not in body

    chinese = signed_in("approver").get(f"/requests/{req_id}").get_data(as_text=True)
    assert "待审批人确定（默认 ¥" in chinese and "提交时的预览" in chinese


def test_the_home_pages_speak_english(app, client, admin, signed_in):
    """首页 of a tenant admin (its orders, what waits for its consent) and of each staff role
    (the approver's queue, support's failed emails, stuck requests), in English."""
    client.post("/language", data={"locale": "en"})
    pages = [client.get("/home")]
    for role in ("approver", "support", "ops"):
        staff = signed_in(role)
        staff.post("/language", data={"locale": "en"})
        pages.append(staff.get("/home"))
    for response in pages:
        assert response.status_code == 200
        text = _main_text(response.get_data(as_text=True))
        for word in DATA_WORDS:
            text = text.replace(word, "")
        assert not HAN.search(text), (HAN.findall(text)[:20], text[:2000])
    assert "Activated orders" in _main_text(pages[0].get_data(as_text=True))
    assert "Open the approval queue" in pages[1].get_data(as_text=True) or (
        "No requests pending approval." in pages[1].get_data(as_text=True))


def test_the_openapi_description_follows_accept_language(client):
    """Same document, same errcodes and fields; only the words follow the reader."""
    chinese = client.get("/api/openapi.json").get_json()
    english = client.get("/api/openapi.json", headers=EN).get_json()
    assert chinese["info"]["title"] == "发票云激活中心 API"
    assert english["info"]["title"] == "Invoice Cloud Activation Center API"
    schemas = english["components"]["schemas"]
    assert schemas["CheckError"]["properties"]["errcode"]["enum"] == (
        chinese["components"]["schemas"]["CheckError"]["properties"]["errcode"]["enum"])
    assert set(schemas["OrderIn"]["properties"]) == set(
        chinese["components"]["schemas"]["OrderIn"]["properties"])
    described = []

    def walk(node):
        if isinstance(node, dict):
            described.extend(v for k, v in node.items()
                             if k in ("description", "summary") and isinstance(v, str))
            for key, value in node.items():
                if key != "example":  # an example order's names are Chinese data
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(english)
    assert described and not [d for d in described if HAN.search(PARENTHESISED.sub("", d))]


def test_tenant_admin_pages_of_phase_b_areas_are_english(app, client, make_admin, make_batch):
    """企业管理 (list, detail, 批量导入 with a preview), 授权信息 (and its confirm step), 权益查询,
    操作日志 and the allocation pages of an English reader: no Chinese but data."""
    import io

    admin = make_admin(customer="苏州示例科技有限公司")
    batch_id, enterprise_ids = make_batch(admin, count=2)
    login(client, admin["email"])
    client.post("/language", data={"locale": "en"})
    order_id = admin["order_id"]
    with app.app_context():
        from webapp.extensions import db
        from webapp.models import Credential, Enterprise, Order

        names = [db.session.get(Enterprise, i).name for i in enterprise_ids]
        line_id = db.session.get(Order, order_id).lines[0].id
    from webapp.credentials import service as credentials

    with app.app_context():
        credentials.ensure_tenant_credential(admin["tenant_id"])
        db.session.commit()
        cred_id = db.session.scalar(db.select(Credential.id).where(
            Credential.tenant_id == admin["tenant_id"]))
    paths = ["/enterprises/", f"/enterprises/{enterprise_ids[0]}", "/enterprises/new",
             "/enterprises/import", "/credentials/", f"/credentials/{cred_id}/rotate",
             "/entitlements/", "/entitlements/audit",
             f"/orders/{order_id}/lines/{line_id}/allocate",
             f"/orders/{order_id}/batches/{batch_id}", f"/orders/{order_id}/allocations"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        html = re.sub(r'(class="taxid-reading">[^<]*<strong>)[^<]*', r"\1",  # the region: data
                      response.get_data(as_text=True))
        text = _main_text(html)
        for word in (*names, *DATA_WORDS):
            text = text.replace(word, "")
        assert not HAN.search(text), (path, HAN.findall(text)[:20], text[:2000])

    csv = "企业名称,企业税号\n苏州示例科技有限公司,91320500MA1MYYYY1N\n坏,123\n".encode()
    response = client.post("/enterprises/import", data={
        "file": (io.BytesIO(csv), "e.csv")}, content_type="multipart/form-data")
    html = re.sub(r'(class="taxid-reading">[^<]*<strong>)[^<]*', r"\1", response.get_data(as_text=True))
    text = _main_text(html).replace(DATA_WORDS[0], "")
    assert "2. Preview" in text and "Line 3" in text
    assert not HAN.search(text.replace("坏", "")), HAN.findall(text)[:20]


def test_the_expiry_reminder_goes_out_in_each_admins_language(app):
    """到期提醒 from the daily job (no request): an admin who chose English reads it in English,
    one who never chose in Chinese."""
    from datetime import date, timedelta

    import bulk
    from factories import PASSWORD

    from webapp.core import outbox
    from webapp.extensions import db
    from webapp.models import OutboxEmail, User

    day = date(2026, 6, 1)
    with app.app_context():
        tenant = bulk.tenant("提醒英文有限公司")
        lines = bulk.order(tenant, "SO-REMIND-EN", {"issue": (5, day + timedelta(days=5))})
        bulk.allocate(lines["issue"], bulk.enterprises(tenant, 1))
        english = bulk.tenant_admin(tenant, "remind-en@example.com", PASSWORD)
        bulk.tenant_admin(tenant, "remind-zh@example.com", PASSWORD)
        db.session.get(User, english).locale = "en"
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--date", day.isoformat()])
    assert result.exit_code == 0, result.output
    with app.app_context():
        sent = {e.to_addr: e for e in db.session.scalars(
            db.select(OutboxEmail).where(OutboxEmail.kind == "reminder"))}
        en_text, en_html = outbox.body(sent["remind-en@example.com"])
        assert sent["remind-en@example.com"].subject == (
            "[Invoice Cloud] Entitlements expiring soon (提醒英文有限公司)")
        zh_text, _html = outbox.body(sent["remind-zh@example.com"])
        assert sent["remind-zh@example.com"].subject == "【发票云】权益即将到期提醒（提醒英文有限公司）"
    assert '<html lang="en">' in en_html and "Invoice Cloud Issuing" in en_html
    assert "5 days left" in en_text and "您好" not in en_text
    assert not HAN.search(en_text.replace("提醒英文有限公司", ""))
    assert "还剩 5 天" in zh_text and "您好" in zh_text
