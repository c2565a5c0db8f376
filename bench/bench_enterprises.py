"""企业管理 at 10,000 enterprises in one tenant (BENCH_ENTERPRISES for other sizes).

Reports GET /enterprises/ (first page, a deep keyset page, a name search, a tax ID prefix
search) and GET /enterprises/autofill as throughput ratios to GET /healthz of the same app,
measured in the same run, on SQLite (and PostgreSQL when BENCH_DATABASE_URL or
TEST_DATABASE_URL is set: a throwaway database is created and dropped).
"""
import os
import re
import uuid

from sqlalchemy import create_engine, text

from bench.common import make_app, requests_per_second
from webapp.extensions import db

ROWS = int(os.environ.get("BENCH_ENTERPRISES") or 10_000)


def _tax_id(n: int) -> str:
    from webapp.core.taxid import compose

    return compose("91330100", f"M{n:07d}")


def _fill(app) -> int:
    from webapp.models import Enterprise, RegistryCompany, Tenant, User
    from webapp.models.tenant import recount_enterprises

    with app.app_context():
        tenant = Tenant(name="基准测试集团有限公司")
        db.session.add(tenant)
        db.session.flush()
        user = User(email="bench@enterprises.test", password_hash="!", role="tenant_admin",
                    tenant_id=tenant.id)
        db.session.add(user)
        db.session.flush()
        db.session.execute(Enterprise.__table__.insert(), [
            {"tenant_id": tenant.id, "tax_id": _tax_id(i), "name": f"基准子公司{i:06d}有限公司",
             "source": "manual", "legal_rep": "赵六", "reg_status": "存续"} for i in range(ROWS)])
        recount_enterprises([tenant.id])  # bulk-loaded: the kept count set once
        db.session.execute(RegistryCompany.__table__.insert(), [
            {"tax_id": _tax_id(ROWS + i), "name": f"杭州基准注册企业{i:05d}有限公司"}
            for i in range(2000)])
        db.session.commit()
        return user.get_id()  # "<id>.<session version>", what the session holds


def _measure(label: str, url: str) -> list[str]:
    app = make_app(url, RATELIMIT_ENABLED=False, TESTING=True)
    user_id = _fill(app)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
    first = client.get("/enterprises/").get_data(as_text=True)
    after = re.search(r'after=(\d+)">下一页', first).group(1)
    deep = int(after) - ROWS // 2
    cases = [
        ("GET /enterprises/ (page 1)", "/enterprises/", {}),
        ("GET /enterprises/?after=… (page 100)", f"/enterprises/?after={deep}", {}),
        ("GET /enterprises/?q=子公司0042 (name)", "/enterprises/?q=子公司0042", {}),
        ("GET /enterprises/?q=<tax prefix>", f"/enterprises/?q={_tax_id(4242)[:14]}", {}),
        ("GET /enterprises/autofill?q=杭州基准注册 (HX)", "/enterprises/autofill?q=杭州基准注册",
         {"headers": {"HX-Request": "true"}}),
    ]
    lines = [f"[{label}] {ROWS:,} enterprises in one tenant"]
    for name, target, kwargs in cases:
        bare = requests_per_second(client, "GET", "/healthz", seconds=1.0)
        rate = requests_per_second(client, "GET", target, seconds=1.5, **kwargs)
        lines.append(f"{name}: {rate:.0f}/s vs /healthz {bare:.0f}/s = ratio {rate / bare:.2f}")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return lines


def run() -> list[str]:
    lines = _measure("SQLite", None)
    server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not server:
        return lines + ["[PostgreSQL] skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL"]
    name = f"bench_enterprises_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        lines += _measure("PostgreSQL", re.sub(r"/[^/?]+(\?|$)", rf"/{name}\1", server, count=1))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return lines
