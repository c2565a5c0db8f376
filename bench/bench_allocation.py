"""分配权益 at 10,000 enterprises: toggle throughput, SQL per panel page, deep-page latency,
and the time to commit a draft of 5,000 ticks (SQLite file, one process)."""
import os
import re
import statistics
import time

from sqlalchemy import insert, select, text

from bench.common import (activated_order, make_app, requests_per_second, signed_in_client,
                          statements_for)
from webapp.core.taxid import compose
from webapp.extensions import db
from webapp.models import AllocationDraft, Enterprise, Order, OrderLine

PASSWORD = "bench-pass-1"
BIG = 10_000


def _tenant(app, n: int, enterprises: int, quantity: int) -> dict:
    """An activated order with one line and `enterprises` enterprises; returns ids and URLs."""
    with app.app_context():
        order, user = activated_order(PASSWORD, order_no=f"BENCH-{n}", customer=f"基准测试{n}有限公司",
                                      contact_email=f"bench{n}@example.com", lines=[("issue", quantity)])
        db.session.commit()
        rows = []
        for i in range(enterprises):
            tax_id = compose("91320500", f"{n:02d}{i:06d}")
            rows.append({"tenant_id": user.tenant_id, "tax_id": tax_id,
                         "name": f"基准企业{i:05d}有限公司", "source": "manual"})
        db.session.execute(insert(Enterprise), rows)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum would do after a bulk load; unanalysed, PostgreSQL's generic plan
            # guessed 2 rows for the tenant and sorted all 10,000 for page 1.
            db.session.execute(text("ANALYZE enterprise"))
            db.session.commit()
        line_id = db.session.scalar(select(OrderLine.id).where(OrderLine.order_id == order.id))
        ids = list(db.session.scalars(select(Enterprise.id).where(
            Enterprise.tenant_id == user.tenant_id).order_by(Enterprise.name, Enterprise.id)))
        base = f"/orders/{order.id}/lines/{line_id}"
        return {"email": user.email, "line": line_id, "ids": ids, "order": order.id,
                "tax_prefix": f"9{n}0000000001",
                "panel": base + "/allocate", "toggle": base + "/toggle",
                "commit": base + "/commit", "tenant": user.tenant_id}


def _toggle_rps(client, tenant, seconds: float = 2.0) -> float:
    ids, headers = tenant["ids"][:2000], {"HX-Request": "true"}
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        eid = ids[count % len(ids)]
        data = {"enterprise_id": str(eid)}
        if (count // len(ids)) % 2 == 0:
            data["selected"] = str(eid)
        response = client.post(tenant["toggle"], data=data, headers=headers)
        assert response.status_code == 200, response.status_code
        count += 1
    return count / (time.perf_counter() - started)


def _latencies_ms(client, url, queries: list[dict], runs: int = 60) -> list[float]:
    """Median latency of each query, measured interleaved so machine noise hits all alike."""
    samples = [[] for _ in queries]
    for _ in range(runs):
        for i, query in enumerate(queries):
            started = time.perf_counter()
            assert client.get(url, query_string=query).status_code == 200
            samples[i].append((time.perf_counter() - started) * 1000)
    return [statistics.median(s) for s in samples]


def _draft(app, line_id, ids) -> None:
    with app.app_context():
        db.session.execute(insert(AllocationDraft), [
            {"line_id": line_id, "enterprise_id": eid} for eid in ids])
        db.session.commit()


def _give_credentials(app, tenant_id, ids) -> None:
    """Enterprise credentials made in bulk, both environments, as if an earlier order had
    allocated to them."""
    from webapp.core import crypto
    from webapp.credentials import service as credentials
    from webapp.models import Credential
    from webapp.models.credential import ENVIRONMENTS

    with app.app_context():
        db.session.execute(insert(Credential), [
            {"scope": "enterprise", "tenant_id": tenant_id, "enterprise_id": eid,
             "environment": env, "client_id": credentials.new_client_id("enterprise", env),
             "client_secret_enc": crypto.encrypt(credentials.new_client_secret()),
             "encry_key_enc": crypto.encrypt(credentials.new_encry_key())}
            for eid in ids for env in ENVIRONMENTS])
        db.session.commit()


def _timed_commit(client, tenant, token) -> tuple[float, float]:
    """(whole request, of which the authorization email) in seconds."""
    from webapp.allocation import batches as service

    original, spent = service.queue_authorization_email, []

    def timed(*args, **kwargs):  # instrumentation only: the real email is still queued
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    service.queue_authorization_email = timed
    try:
        started = time.perf_counter()
        response = client.post(tenant["commit"], data={"token": token})
        elapsed = time.perf_counter() - started
    finally:
        service.queue_authorization_email = original
    assert response.status_code == 303, response.status_code
    return elapsed, sum(spent)


def _cursor_of_page(client, tenant, page: int) -> str:
    after = None
    for _ in range(page - 1):
        html = client.get(tenant["panel"], query_string={"after": after} if after else {})
        after = re.search(r'name="next_cursor" value="([^"]*)"',
                          html.get_data(as_text=True)).group(1)
    return after


def panel_search(client, tenant, healthz: float) -> list[str]:
    """The 去分配 panel's 企业名称 or 税号 search on a big tenant, as ratios to /healthz."""
    cases = [("no search", {}), ("name search, 10 matches", {"q": "企业0999"}),
             ("name search, no match", {"q": "没有这家企业"}),
             ("tax ID prefix search", {"q": tenant["tax_prefix"]})]
    lines = []
    for label, query in cases:
        rate = requests_per_second(client, "get", tenant["panel"], query_string=query)
        lines.append(f"panel page 1, {label} ({BIG} enterprises): {rate:.0f} req/s = "
                     f"ratio {rate / healthz:.3f} to /healthz")
    return lines


def run() -> list[str]:
    # BENCH_DATABASE_URL: an empty PostgreSQL database to measure there instead of SQLite.
    url = os.environ.get("BENCH_DATABASE_URL")
    app = make_app(url)
    small = _tenant(app, 1, 10, 5)
    big = _tenant(app, 2, BIG, 20_000)
    small_client = signed_in_client(app, small["email"], PASSWORD)
    client = signed_in_client(app, big["email"], PASSWORD)
    lines = []

    healthz = requests_per_second(client, "get", "/healthz")
    toggle = _toggle_rps(client, big)
    home = requests_per_second(client, "get", "/home")  # the cheapest signed-in page
    lines.append(f"toggle (tick/untick, {BIG} enterprises): {toggle:.0f} req/s vs /healthz "
                 f"{healthz:.0f} req/s = ratio {toggle / healthz:.2f} (goal >= 0.3); "
                 f"signed-in /home {home:.0f} req/s = ratio {home / healthz:.2f}")

    lines += panel_search(client, big, healthz)

    with app.app_context():  # clear the toggles' leftovers before counting and committing
        db.session.execute(AllocationDraft.__table__.delete())
        db.session.commit()
    s10 = statements_for(app, small_client, small["panel"])
    s10k = statements_for(app, client, big["panel"])
    lines.append(f"SQL statements per panel page: {s10} at 10 enterprises, {s10k} at {BIG} "
                 f"(goal: equal, <= 6)")

    cursor = _cursor_of_page(client, big, 200)
    first, deep = _latencies_ms(client, big["panel"], [{}, {"after": cursor}])
    lines.append(f"panel page 1: {first:.1f} ms, page 200: {deep:.1f} ms (median, interleaved) = "
                 f"{deep / first:.2f}x (goal <= 1.2x)")

    # 5,000 enterprises that already hold credentials: the allocation itself and the email.
    _give_credentials(app, big["tenant"], big["ids"][:5000])
    _draft(app, big["line"], big["ids"][:5000])
    warm = _timed_commit(client, big, "bench-commit-token-0000000001")
    # 5,000 enterprises allocated for the first time: their credentials are made too.
    _draft(app, big["line"], big["ids"][5000:])
    cold = _timed_commit(client, big, "bench-commit-token-0000000002")
    with app.app_context():
        allocated = db.session.get(OrderLine, big["line"]).allocated
        assert db.session.get(Order, big["order"]).tenant_id == big["tenant"]
    lines.append(f"commit a draft of 5,000 ticks, one transaction (goal <= 1 s): "
                 f"{warm[0]:.2f} s when the enterprises hold credentials already "
                 f"(allocation {warm[0] - warm[1]:.2f} s + authorization email {warm[1]:.2f} s); "
                 f"{cold[0]:.2f} s when their credentials are created too "
                 f"(allocation {cold[0] - cold[1]:.2f} s + credentials and email {cold[1]:.2f} s); "
                 f"allocated {allocated}")
    return lines
