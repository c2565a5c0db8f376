"""授权信息 at scale: a tenant with 10 and with 10,000 allocated enterprises (each with its 企业授权).

Reports the page's throughput as a ratio to GET /healthz in the same run, SQL statements per
page (equal at 10 and 10,000 is the goal), page 200 vs page 1 latency (keyset pagination), a
search, and 显示 (reveal) throughput.
"""
import time
import uuid

from sqlalchemy import insert, select

from bench.common import (activated_order, make_app, percentiles, requests_per_second,
                          signed_in_client, statements_for)
from webapp.core import crypto
from webapp.credentials import emails as authorization
from webapp.extensions import db
from webapp.models import (Allocation, AllocationBatch, Credential, Enterprise, Order, OrderLine,
                           User)
from webapp.orm import utcnow

PASSWORD = "bench-pass-1"


def _tenant(app, enterprises: int, tag: str) -> tuple[str, int]:
    """An activated order, its admin and `enterprises` allocated enterprises with credentials."""
    with app.app_context():
        order, user = activated_order(
            PASSWORD, order_no=f"SO-BENCH-{tag}", customer=f"基准测试{tag}有限公司",
            contact_email=f"bench-{tag}@example.com", lines=[("issue", enterprises)])
        db.session.flush()
        line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == order.id))
        batch = AllocationBatch(token=uuid.uuid4().hex, line_id=line.id, created_by_id=user.id)
        db.session.add(batch)
        db.session.flush()
        now = utcnow()
        db.session.execute(insert(Enterprise), [
            dict(tenant_id=user.tenant_id, tax_id=f"91{tag}{i:08d}X", name=f"基准企业{i:05d}有限公司",
                 source="manual", created_at=now) for i in range(enterprises)])
        ids = db.session.scalars(select(Enterprise.id).where(Enterprise.tenant_id == user.tenant_id)
                                 .order_by(Enterprise.id)).all()
        db.session.execute(insert(Allocation), [
            dict(line_id=line.id, enterprise_id=i, batch_id=batch.id, allocated_at=now,
                 allocated_by_id=user.id) for i in ids])
        secret, key = crypto.encrypt("x" * 43), crypto.encrypt("y" * 16)
        db.session.execute(insert(Credential), [
            dict(scope="enterprise", tenant_id=user.tenant_id, enterprise_id=i,
                 client_id=f"fpy-e-{tag}-{i}", client_secret_enc=secret, encry_key_enc=key,
                 created_at=now) for i in ids])
        line.allocated = len(ids)
        email = user.email
        db.session.commit()
        return email, ids[0]


def _latency_ms(client, *urls, n=40) -> list[float]:
    """Median latency of each URL, sampled alternately so load drift hits them alike."""
    samples = {url: [] for url in urls}
    for _ in range(n):
        for url in urls:
            started = time.perf_counter()
            assert client.get(url).status_code == 200
            samples[url].append((time.perf_counter() - started) * 1000)
    return [percentiles(samples[url])[0] for url in urls]


def _page_cursor(client, page: int) -> str:
    """The URL of page `page`, found by following 下一页 (as a user would)."""
    import re

    url = "/credentials/"
    for _ in range(page - 1):
        html = client.get(url).get_data(as_text=True)
        url = re.search(r'<a href="(/credentials/\?after=\d+)"[^>]*>下一页</a>', html).group(1)
    return url


def run() -> list[str]:
    app = make_app()
    small_email, _ = _tenant(app, 10, "S")
    big_email, first_id = _tenant(app, 10_000, "B")
    small, big = (signed_in_client(app, email, PASSWORD) for email in (small_email, big_email))
    lines = []

    healthz = requests_per_second(big, "GET", "/healthz")
    page_rps = requests_per_second(big, "GET", "/credentials/")
    lines.append(f"GET /healthz: {healthz:.0f} req/s (baseline)")
    lines.append(f"GET /credentials/ (10,000 enterprises): {page_rps:.0f} req/s, "
                 f"ratio {page_rps / healthz:.2f} to /healthz")

    page200 = _page_cursor(big, 200)
    counts = [statements_for(app, client, url)
              for client, url in ((small, "/credentials/"), (big, "/credentials/"), (big, page200))]
    lines.append(f"SQL statements per page: 10 enterprises {counts[0]}, "
                 f"10,000 enterprises {counts[1]}, page 200 {counts[2]} (the cursor row adds one)")
    first, last = _latency_ms(big, "/credentials/", page200)
    lines.append(f"page 1 {first:.1f} ms, page 200 {last:.1f} ms: ratio {last / first:.2f} (goal ≤ 1.2)")
    search, prefix, first = _latency_ms(big, "/credentials/?q=基准企业0999", "/credentials/?q=91B0000999",
                                        "/credentials/", n=20)
    lines.append(f"search by name (contains) {search:.1f} ms, by tax ID prefix {prefix:.1f} ms, "
                 f"vs page 1 {first:.1f} ms")

    with app.app_context():
        cred_id = db.session.scalar(select(Credential.id).where(Credential.enterprise_id == first_id))
    reveal_rps = requests_per_second(big, "POST", f"/credentials/{cred_id}/reveal/client_secret",
                                     headers={"HX-Request": "true"})
    lines.append(f"POST 显示 (audited): {reveal_rps:.0f} req/s, ratio {reveal_rps / healthz:.2f} to /healthz")
    lines.append(_email_for_batch(app, 5_000))
    return lines


def _email_for_batch(app, size: int) -> str:
    """Queue the 授权邮件 of one batch of `size` enterprises without credentials yet."""
    email, _ = _tenant(app, size, "E")
    with app.app_context():
        tenant_id = db.session.scalar(select(User.tenant_id).where(User.email == email))
        db.session.execute(Credential.__table__.delete().where(Credential.tenant_id == tenant_id))
        db.session.commit()
        order = db.session.scalar(select(Order).where(Order.tenant_id == tenant_id))
        batch = db.session.scalar(select(AllocationBatch).join(OrderLine).where(
            OrderLine.order_id == order.id))
        started = time.perf_counter()
        authorization.queue_authorization_email(order, batch)
        db.session.commit()
        fresh = time.perf_counter() - started
        started = time.perf_counter()
        authorization.queue_authorization_email(order, batch)
        db.session.commit()
        again = time.perf_counter() - started
    return (f"queue the 授权邮件 for {size:,} enterprises: {fresh:.2f} s creating their credentials, "
            f"{again:.2f} s when they exist (decrypting them)")
