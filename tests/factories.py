"""Factories and readers shared by every feature's tests: one tax-ID generator, signing in,
reading what a user reads (emails, counts), enterprises and registry rows made in bulk.
The bulk recipe for tenants, orders and allocations straight through the models is
`factories.bulk` (used where thousands of rows are needed)."""
import re
from html.parser import HTMLParser

from sqlalchemy import func, insert, select

from webapp.core.taxid import compose
from webapp.database import count_statements
from webapp.extensions import db
from webapp.models import Enterprise, RegistryCompany
from webapp.models.tenant import recount_enterprises

PASSWORD = "secret-pass-1"


def tax_id(n: int, prefix: str = "91320500") -> str:
    """A valid 18-character unified social credit code, distinct for each `n` < 10⁸ and prefix:
    `prefix` is positions 1–8 (a valid pair and region), optionally followed by the start of the
    organisation code ("91320594MA"); both check characters are computed."""
    head, start = prefix[:8], prefix[8:]
    return compose(head, f"{start}{n:0{8 - len(start)}d}")


def login(client, email, password=PASSWORD, csrf=False):
    """Sign in through the real /login form (asserts the 303). `csrf=True` first reads the form's
    token, as an app made with WTF_CSRF_ENABLED=True requires."""
    data = {"email": email, "password": password}
    if csrf:
        data["csrf_token"] = csrf_token(client, "/login")
    response = client.post("/login", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form at `url` (as a browser would read it)."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def statements_for(app, client, url: str) -> int:
    """How many SQL statements one GET of `url` sends (the answer must be 200)."""
    with count_statements(app) as seen:
        assert client.get(url).status_code == 200
    return len(seen)


KEY_RE = re.compile(r"\b([A-Z2-7]{4}(?:-[A-Z2-7]{4}){7})\b")
LINK_RE = re.compile(r"https?://[^/\s]+(/activate/[A-Za-z0-9._-]+)")


def link_and_key(text: str) -> tuple[str, str]:
    """The activation path and the 操作密钥 in an activation email's text."""
    return LINK_RE.search(text).group(1), KEY_RE.search(text).group(1)


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def outbox_text(app, kind="activation", index=-1) -> str:
    """The decrypted text part of a queued email (what the development mailbox shows)."""
    from webapp.core import outbox
    from webapp.models import OutboxEmail

    with app.app_context():
        emails = db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.kind == kind).order_by(OutboxEmail.id)).all()
        return outbox.body(emails[index])[0]


def allocate(app, admin, make_batch, count=2) -> list[int]:
    """A committed batch (`make_batch`) with its authorization email queued, as the allocation
    feature does; returns the batch's enterprise ids."""
    from webapp.credentials import emails as authorization
    from webapp.models import AllocationBatch, Order

    batch_id, enterprise_ids = make_batch(admin, count=count)
    with app.app_context():
        order = db.session.get(Order, admin["order_id"])
        authorization.queue_authorization_email(order, db.session.get(AllocationBatch, batch_id))
        db.session.commit()
    return enterprise_ids


def add_enterprises(app, tenant_id: int, count: int, start: int = 0, name="企业") -> list[int]:
    """Insert `count` enterprises for a tenant (bulk); returns their ids in name order."""
    with app.app_context():
        rows = [{"tenant_id": tenant_id, "tax_id": tax_id(start + i + tenant_id * 100_000),
                 "name": f"{name}{start + i:05d}有限公司", "source": "manual"}
                for i in range(count)]
        db.session.execute(insert(Enterprise), rows)
        recount_enterprises([tenant_id])  # inserted in bulk, past the services that keep it
        db.session.commit()
        return list(db.session.scalars(
            db.select(Enterprise.id).where(Enterprise.tenant_id == tenant_id)
            .order_by(Enterprise.name, Enterprise.id)))


def first_line(app, order_id: int, code: str = "issue") -> int:
    from webapp.models import OrderLine, Product

    with app.app_context():
        return db.session.scalar(db.select(OrderLine.id).join(Product).where(
            OrderLine.order_id == order_id, Product.code == code))


def counters(html: str) -> tuple[int, int]:
    """(已选, 可分配) as the panel shows them."""
    selected = re.search(r'id="alloc-selected">(\d+)<', html).group(1)
    available = re.search(r'id="alloc-available">(\d+)<', html).group(1)
    return int(selected), int(available)


def row_html(html: str, enterprise_id: int) -> str:
    match = re.search(rf'<tr id="ent-{enterprise_id}"[\s\S]*?</tr>', html)
    assert match, f"row {enterprise_id} not in the page"
    return match.group(0)


def commit_worker(config: dict, email: str, password: str, urls: dict, plan: list, barrier,
                  results) -> None:
    """Run in a separate PROCESS: sign in, wait for the others, then tick and commit.

    `plan` is a list of steps: ("tick", enterprise_id), ("commit", None) or
    ("commit", token) (a fixed token, as a double-clicked form sends it twice).
    Every HTTP status is reported to `results` so the test can check that none was a 500.
    """
    import re as _re

    from webapp import create_app

    app = create_app(config)
    client = app.test_client()
    statuses = []
    try:
        response = client.post("/login", data={"email": email, "password": password})
        statuses.append(("login", response.status_code))
        barrier.wait(timeout=60)
        for step, arg in plan:
            if step == "tick":
                response = client.post(urls["toggle"], headers={"HX-Request": "true"},
                                       data={"enterprise_id": str(arg), "selected": str(arg)})
            else:
                token = arg
                if token is None:
                    page = client.get(urls["confirm"])
                    statuses.append(("confirm", page.status_code))
                    found = _re.search(r'name="token" value="([^"]+)"', page.get_data(as_text=True))
                    if not found:
                        continue
                    token = found.group(1)
                response = client.post(urls["commit"], data={"token": token})
                statuses.append(("commit-location", response.headers.get("Location")))
            statuses.append((step, response.status_code))
    except Exception as exc:  # reported, so the test fails with the reason instead of hanging
        statuses.append(("error", repr(exc)))
    finally:
        with app.app_context():
            from webapp.extensions import db

            db.engine.dispose()
    results.put(statuses)


def add_registry(app, *companies: dict) -> None:
    """Insert RegistryCompany rows directly (the registry helper owns importing)."""
    with app.app_context():
        db.session.add_all(RegistryCompany(**company) for company in companies)
        db.session.commit()


SUZHOU = {
    "tax_id": tax_id(1, "91320594MA"), "name": "苏州工业园区星辰数据科技有限公司",
    "legal_rep": "王晓明", "registered_capital": "1000万元人民币", "established_on": "2016-05-20",
    "reg_status": "存续", "company_type": "有限责任公司(自然人投资或控股)",
    "address": "苏州工业园区星湖街328号", "authority": "苏州工业园区市场监督管理局",
    "business_scope": "数据处理和存储服务；软件开发。",
}
SUZHOU_2 = {**SUZHOU, "tax_id": tax_id(2, "91320594MA"), "name": "苏州工业园区星辰云计算有限公司",
            "legal_rep": "李华"}


class FormReader(HTMLParser):
    """The named inputs and textareas of a page with their values."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "button"):
            self.values[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.values[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def form_values(html: str) -> dict[str, str]:
    """What a browser submits from the one form of `html` (e.g. 新增企业 after autofill)."""
    reader = FormReader()
    reader.feed(html)
    values = reader.values
    # A browser drops the one line break that follows <textarea>.
    return {k: v.removeprefix("\r\n") if v.startswith("\r\n") else v.removeprefix("\n")
            for k, v in values.items()}
