"""The server benchmark's data: a working copy of the cached 工商 registry (bench_registry's
builder, BENCH_REGISTRY_ROWS companies) plus one tenant with 10,000 enterprises, an order line to
tick against and a second, fully allocated line (so 权益查询 shows allocations)."""
import os
import random
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

from bench import bench_registry
from bench.common import activated_order, make_app
from webapp.extensions import db

ENTERPRISES = int(os.environ.get("BENCH_ENTERPRISES") or 10_000)
PASSWORD = "bench-server-pass-1"
EMAIL = "bench@server.test"
SEED = 20261201


@dataclass
class Dataset:
    label: str
    url: str
    registry: str  # how the registry copy came about ("cached", "built in N s")
    email: str = EMAIL
    password: str = PASSWORD
    order_id: int = 0
    line_id: int = 0
    enterprise_ids: list[int] = field(default_factory=list)
    panel_queries: list[str] = field(default_factory=list)
    autofill_queries: list[str] = field(default_factory=list)
    cleanup: object = None

    @property
    def panel(self) -> str:
        return f"/orders/{self.order_id}/lines/{self.line_id}/allocate"

    @property
    def toggle(self) -> str:
        return f"/orders/{self.order_id}/lines/{self.line_id}/toggle"


def _with_database(url: str, name: str) -> str:
    return re.sub(r"/[^/?]*(\?|$)", rf"/{name}\1", url, count=1)


def sqlite_copy() -> Dataset:
    """A copy of the cached registry file in a temporary directory (removed by cleanup)."""
    source, status = bench_registry.sqlite_url()
    path = Path(source.removeprefix("sqlite:///"))
    workdir = Path(tempfile.mkdtemp(prefix="bench-server-"))
    target = workdir / "bench.sqlite3"
    shutil.copyfile(path, target)
    for suffix in ("-wal", "-shm"):
        if Path(str(path) + suffix).exists():
            shutil.copyfile(str(path) + suffix, str(target) + suffix)
    return Dataset("SQLite", f"sqlite:///{target}", status,
                   cleanup=lambda: shutil.rmtree(workdir, ignore_errors=True))


def postgres_copy(server_url: str) -> Dataset:
    """A database made from the cached registry database as a template (dropped by cleanup)."""
    source, status = bench_registry.postgres_url(server_url)
    template = source.rsplit("/", 1)[1].split("?")[0]
    name = f"bench_server_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return Dataset("PostgreSQL", _with_database(server_url, name), status, cleanup=drop)


def seed(data: Dataset) -> Dataset:
    """Add the tenant: its admin (a real password), 10,000 enterprises named like the registry's
    companies, a line of 20,000 to tick against and a line allocated to every enterprise."""
    from webapp.core.taxid import compose
    from webapp.models import Allocation, Enterprise, Order, OrderLine, Product
    from webapp.models.enterprise import RegistryCompany
    from webapp.models.tenant import recount_enterprises

    app = make_app(data.url)
    rnd = random.Random(SEED)
    with app.app_context():
        order, user = activated_order(PASSWORD, order_no="BENCH-SRV-1", customer="基准测试集团有限公司",
                                      contact_email=EMAIL, lines=[("issue", 2 * ENTERPRISES)])
        db.session.commit()
        tenant_id = user.tenant_id
        names = list(db.session.scalars(select(RegistryCompany.name).order_by(RegistryCompany.id)
                                        .limit(ENTERPRISES)))
        names += [f"基准测试子公司{i:06d}有限公司" for i in range(len(names), ENTERPRISES)]
        rows = []
        for i, name in enumerate(names):
            tax_id = compose("91330100", f"{i:08d}")  # not the registry's: the tenant's own
            rows.append({"tenant_id": tenant_id, "tax_id": tax_id,
                         "name": name, "source": "manual", "reg_status": "存续"})
        db.session.execute(insert(Enterprise), rows)
        recount_enterprises([tenant_id])  # bulk-loaded: the kept count set once
        ids = list(db.session.scalars(select(Enterprise.id).where(Enterprise.tenant_id == tenant_id)
                                      .order_by(Enterprise.name, Enterprise.id)))
        now = datetime.now(timezone.utc)
        product = db.session.scalar(select(Product).where(Product.code == "receive"))
        allocated = Order(order_no="BENCH-SRV-2", customer_name="基准测试集团有限公司",
                          contact_email=EMAIL, tenant_id=tenant_id, delivered_at=now,
                          activated_at=now, erp="xingkong", deployment="public")
        allocated.lines = [OrderLine(product=product, quantity=len(ids), allocated=len(ids))]
        db.session.add(allocated)
        db.session.flush()
        db.session.execute(insert(Allocation), [
            {"line_id": allocated.lines[0].id, "enterprise_id": eid, "allocated_at": now}
            for eid in ids])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            for table in ("enterprise", "allocation", "order_line", '"order"'):
                db.session.execute(text(f"ANALYZE {table}"))  # what autovacuum does after a load
            db.session.commit()
        data.order_id = order.id
        data.line_id = db.session.scalar(select(OrderLine.id).where(OrderLine.order_id == order.id))
        data.enterprise_ids = ids
        # What someone types into the panel's search box: four characters out of a real name.
        for name in rnd.sample(names, 100):
            start = rnd.randrange(0, max(1, len(name) - 4))
            data.panel_queries.append(name[start:start + 4])
        queries = bench_registry.sample_queries(rnd)
        data.autofill_queries = [q for trio in zip(*queries.values(), strict=True) for q in trio][:300]
        db.session.remove()
        db.engine.dispose()
    return data
