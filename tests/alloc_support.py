"""Helpers for the allocation tests: enterprises made directly, and reading the panel."""
import re

from sqlalchemy import insert

from webapp.core.taxid import check_character
from webapp.extensions import db
from webapp.models import Enterprise


def tax_id(n: int, prefix: str = "91320500") -> str:
    """A valid 18-character unified social credit code, distinct for each n."""
    first17 = f"{prefix}{n:09d}"
    return first17 + check_character(first17)


def add_enterprises(app, tenant_id: int, count: int, start: int = 0, name="企业") -> list[int]:
    """Insert `count` enterprises for a tenant (bulk); returns their ids in name order."""
    with app.app_context():
        rows = [{"tenant_id": tenant_id, "tax_id": tax_id(start + i + tenant_id * 100_000),
                 "name": f"{name}{start + i:05d}有限公司", "source": "manual"}
                for i in range(count)]
        db.session.execute(insert(Enterprise), rows)
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
