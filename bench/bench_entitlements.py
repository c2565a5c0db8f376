"""租户权益查询 and its CSV export on 10,000 enterprises, as ratios against GET /healthz.

Reports: requests/s of page 1 and of a deep keyset page (both should be close: keyset pages do
not slow down with depth), the time of one full CSV export, and the peak Python memory of an
export of 2,000 vs 10,000 rows (streaming keeps it nearly flat).
"""
import time
import tracemalloc
from datetime import datetime, timezone

from sqlalchemy import insert, select, update

from bench.common import make_app, signed_in_client
from webapp.core.taxid import compose
from webapp.extensions import db
from webapp.models import Allocation, Enterprise, Order, OrderLine, Product, Tenant, User

PASSWORD = "bench-pass-1"


def _seed(name: str, count: int, offset: int) -> int:
    """A tenant with `count` enterprises, each holding one allocation; returns the tenant id."""
    tenant = Tenant(name=name)
    db.session.add(tenant)
    db.session.flush()
    product = db.session.scalar(select(Product).where(Product.code == "issue"))
    order = Order(order_no=f"BENCH-{offset}", customer_name=name, contact_email="b@example.com",
                  tenant_id=tenant.id)
    order.lines = [OrderLine(product=product, quantity=count)]
    db.session.add(order)
    db.session.flush()
    now = datetime.now(timezone.utc)
    taxes = []
    for i in range(offset, offset + count):
        taxes.append(compose("91320500", f"{i:08d}"))
    db.session.execute(insert(Enterprise), [
        {"tenant_id": tenant.id, "tax_id": t, "name": f"基准企业{i:06d}", "source": "manual",
         "created_at": now} for i, t in enumerate(taxes)])
    ids = db.session.scalars(select(Enterprise.id).where(Enterprise.tenant_id == tenant.id)).all()
    line_id = order.lines[0].id
    db.session.execute(insert(Allocation), [
        {"line_id": line_id, "enterprise_id": e, "allocated_at": now} for e in ids])
    db.session.execute(update(OrderLine).where(OrderLine.id == line_id).values(allocated=count))
    admin = User(email=f"admin-{offset}@bench.test", role="tenant_admin", tenant_id=tenant.id)
    admin.set_password(PASSWORD)
    db.session.add(admin)
    db.session.commit()
    return tenant.id


def _rps(client, url: str, seconds: float = 2.0) -> float:
    for _ in range(3):
        client.get(url)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        assert client.get(url).status_code == 200, url
        count += 1
    return count / (time.perf_counter() - started)


def _export(client, tenant_id: int) -> tuple[float, int]:
    """(seconds, rows) of reading one whole streamed export."""
    started = time.perf_counter()
    response = client.get(f"/entitlements/tenants/{tenant_id}/export.csv", buffered=False)
    rows = sum(chunk.count(b"\n") for chunk in response.response) - 1
    return time.perf_counter() - started, rows


def _export_peak(client, tenant_id: int) -> tuple[int, float]:
    """(rows, peak MiB of Python memory) of one export; timed separately, tracing is slow."""
    tracemalloc.start()
    _, rows = _export(client, tenant_id)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return rows, peak


def run() -> list[str]:
    app = make_app()  # a throwaway SQLite file
    with app.app_context():
        small = _seed("基准小租户", 2_000, 0)
        big = _seed("基准大租户", 10_000, 100_000)
        deep = db.session.scalars(select(Enterprise.id).where(Enterprise.tenant_id == big)
                                  .order_by(Enterprise.name, Enterprise.id).offset(9_900).limit(1)).one()
    client = signed_in_client(app, "admin-100000@bench.test", PASSWORD)
    health = _rps(client, "/healthz")
    first = _rps(client, "/entitlements/")
    later = _rps(client, f"/entitlements/?after={deep}")
    export_s, rows = _export(client, big)
    _, peak_big = _export_peak(client, big)
    with app.app_context():
        user = User(email="ops@bench.test", role="ops")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    staff = signed_in_client(app, "ops@bench.test", PASSWORD)
    rows_small, peak_small = _export_peak(staff, small)
    return [
        f"GET /healthz: {health:.0f} req/s (baseline 1.00)",
        f"权益查询 page 1 (10,000 enterprises): {first:.0f} req/s = {first / health:.3f} × healthz",
        f"权益查询 keyset page at row 9,900: {later:.0f} req/s = {later / health:.3f} × healthz"
        f" ({later / first:.2f} × page 1)",
        f"CSV export of {rows} rows: {export_s:.2f} s = {export_s * health:.0f} healthz requests",
        f"export peak Python memory: {peak_small:.1f} MiB for {rows_small} rows,"
        f" {peak_big:.1f} MiB for {rows} rows ({peak_big / peak_small:.2f}× for 5× the rows)",
    ]


if __name__ == "__main__":
    print("\n".join(run()))
