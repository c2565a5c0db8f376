"""The production layout, CI-sized: gunicorn (2 workers) and 2 outbox workers on PostgreSQL,
clients through HTTP only, a real SMTP server; then the faults. tests/fixtures/cluster.py is the
harness; `python -m bench scaleout` runs it larger."""
import time

import pytest
from fixtures.database import PG_URL, needs

from fixtures.cluster import Cluster


@pytest.fixture
def cluster():
    if not PG_URL:
        needs("PostgreSQL", "the scale-out proof runs on PostgreSQL (set TEST_DATABASE_URL)")
    made = []

    def start(tenants=3, quantity=4, smtp_down=False, **settings):
        c = Cluster(PG_URL, **settings).start()
        made.append(c)
        c.seed(tenants, quantity)
        if smtp_down:
            c.sink.down()  # before any worker could deliver
        c.run_processes()
        return c

    yield start
    for c in made:
        c.stop()


def _no_5xx(outcome):
    assert not [code for code in outcome.statuses if code >= 500], outcome.statuses
    assert outcome.failures == []


def _exactly_once(c):
    ids, delivered = c.deliveries()
    assert set(delivered) == ids  # none lost, none foreign
    assert [mid for mid, n in delivered.items() if n > 1] == []


def test_concurrent_clients_keep_quotas_and_every_email_arrives_once(cluster):
    c = cluster()
    outcome = c.load(enterprises_per_client=3)
    _no_5xx(outcome)
    assert outcome.connection_errors == 0
    assert c.check() == []
    # each line (quantity 4) was fought over by two admins with 6 enterprises; ticks past the
    # quota were refused (409) and what was committed stayed within it (check() above)
    assert outcome.statuses[409] > 0
    assert c.scalar("SELECT sum(allocated) FROM order_line") > 0
    assert c.wait_delivered()
    _exactly_once(c)
    # 3 activation emails and one 授权邮件 per committed batch (check() compares the two)
    assert c.scalar("SELECT count(*) FROM outbox_email WHERE kind = 'activation'") == 3
    assert c.scalar("SELECT count(*) FROM outbox_email WHERE kind = 'authorization'") > 0


def test_smtp_down_then_hanging_then_back_delivers_everything_once(cluster):
    c = cluster(tenants=2, smtp_down=True)

    def faults(c):
        time.sleep(2)
        c.sink.hang()  # accepts and never answers: MAIL_TIMEOUT frees the workers
        time.sleep(3)

    outcome = c.load(during=faults)
    _no_5xx(outcome)  # the web never waits on SMTP (OUTBOX_SENDER=off)
    pending = c.scalar("SELECT count(*) FROM outbox_email WHERE status = 'pending'")
    assert pending > 0 and c.sink.messages == []
    assert c.scalar("SELECT count(*) FROM outbox_email WHERE last_error IS NOT NULL") > 0
    c.sink.up()
    assert c.wait_delivered(), c.scalar("SELECT max(last_error) FROM outbox_email")
    assert c.check() == []
    _exactly_once(c)


def test_an_outbox_worker_killed_mid_batch_loses_nothing(cluster):
    c = cluster(tenants=3)
    kills = []

    def kill_while_sending(c):
        deadline = time.monotonic() + 30
        while not c.sink.messages and time.monotonic() < deadline:
            time.sleep(0.01)
        for _ in range(2):
            c.kill_outbox_worker(0)
            kills.append(1)
            time.sleep(1)

    outcome = c.load(during=kill_while_sending)
    assert kills and c.sink.messages
    _no_5xx(outcome)
    assert c.wait_delivered()
    assert c.check() == []
    ids, delivered = c.deliveries()
    assert set(delivered) == ids  # none lost
    # Only a message in flight at a kill can arrive twice (with its one Message-ID): at most
    # one per kill.
    assert sum(n - 1 for n in delivered.values()) <= len(kills)


def test_a_web_worker_killed_mid_allocation_leaves_no_half_written_state(cluster):
    c = cluster(tenants=3, quantity=5)
    killed = []

    def kill_during_commits(c):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(killed) < 3:
            if c.scalar("SELECT count(*) FROM allocation_draft"):
                workers = c.web_workers()
                if workers:
                    import os
                    import signal

                    os.kill(workers[len(killed) % len(workers)], signal.SIGKILL)
                    killed.append(1)
                    time.sleep(0.3)
            time.sleep(0.02)

    outcome = c.load(enterprises_per_client=4, during=kill_during_commits)
    assert killed, "no worker was killed"
    _no_5xx(outcome)
    assert c.check() == []  # checked in SQL: lines, batches, audit, 授权邮件, credentials
    assert c.wait_delivered()
    _exactly_once(c)
