"""The request is the unit of work (webapp/web/boundary.py): views never commit; the edge commits
a writing request that answers below 400 and rolls back everything else; what a refusal must
leave behind is written anyway; a read that writes fails the test that made it."""
import pytest
from fixtures.database import ReadWrote
from sqlalchemy import func, select

from webapp.core import audit, unit_of_work
from webapp.core.errors import Conflict, Invalid
from webapp.database import writes
from webapp.extensions import db
from webapp.models import AuditEntry, Tenant


def _entries(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == action))


@pytest.fixture
def probe_app(make_app):
    """An app with views that write, then answer in each of the ways a real view does."""
    app = make_app()

    def add(action: str) -> None:
        audit.record(action, actor_label="probe")
        db.session.flush()  # as services do

    @app.post("/probe/ok")
    def ok():
        add("probe.ok")
        return "", 303, {"Location": "/"}

    @app.post("/probe/refused-page")
    def refused_page():
        add("probe.refused-page")
        return "refused", 422

    @app.post("/probe/raises")
    def raises():
        add("probe.raises")
        raise Conflict("已被占用")

    @app.post("/probe/remembers")
    def remembers():
        add("probe.discarded")
        audit.record_refusal("probe.remembered", actor_label="probe")
        raise Invalid("密钥错误")

    @app.get("/probe/remembers")
    def remembers_on_a_read():
        audit.record_refusal("probe.remembered-read", actor_label="probe")
        raise Invalid("链接无效")

    @app.get("/probe/export")
    @writes
    def export():
        add("probe.export")
        return "ok"

    @app.get("/probe/read-that-writes")
    def read_that_writes():
        add("probe.read")
        return "ok"

    return app


def test_a_writing_request_that_succeeds_is_committed_by_the_boundary(probe_app):
    response = probe_app.test_client().post("/probe/ok")
    assert response.status_code == 303
    assert _entries(probe_app, "probe.ok") == 1


@pytest.mark.parametrize("path, status", [("/probe/refused-page", 422), ("/probe/raises", 409)])
def test_a_refused_request_changes_nothing(probe_app, path, status):
    response = probe_app.test_client().post(path)
    assert response.status_code == status
    assert _entries(probe_app, path.replace("/probe/", "probe.")) == 0


def test_a_refusal_is_remembered_although_its_work_is_rolled_back(probe_app):
    client = probe_app.test_client()
    assert client.post("/probe/remembers").status_code == 422
    assert _entries(probe_app, "probe.discarded") == 0
    assert _entries(probe_app, "probe.remembered") == 1
    # A read may remember a refusal too (it is written after the read's rollback).
    assert client.get("/probe/remembers").status_code == 422
    assert _entries(probe_app, "probe.remembered-read") == 1


def test_a_get_marked_writes_is_committed(probe_app):
    assert probe_app.test_client().get("/probe/export").status_code == 200
    assert _entries(probe_app, "probe.export") == 1


def test_a_read_that_writes_is_caught_on_both_databases(probe_app):
    """The guard every test runs under (fixtures/database.py guard_reads): the write is refused
    before it reaches the database, and listed so the test that caused it fails."""
    caught = probe_app.extensions["reads_that_wrote"]
    response = probe_app.test_client().get("/probe/read-that-writes")
    assert response.status_code == 500
    assert len(caught) == 1 and "GET /probe/read-that-writes" in caught[0]
    assert "INSERT INTO audit_entry" in caught[0]
    assert _entries(probe_app, "probe.read") == 0
    caught.clear()  # this test meant it; the fixture would fail it otherwise


def test_the_guard_refuses_the_statement_itself(probe_app):
    with probe_app.test_request_context("/probe/read-that-writes", method="GET"):
        probe_app.preprocess_request()
        with pytest.raises(ReadWrote):
            db.session.add(Tenant(name="读请求不应写入"))
            db.session.flush()
        db.session.rollback()
    probe_app.extensions["reads_that_wrote"].clear()


def test_outside_a_request_finish_commits_or_rolls_back(app_ctx):
    audit.record("probe.kept", actor_label="probe")
    unit_of_work.finish(True)
    audit.record("probe.dropped", actor_label="probe")
    audit.record_refusal("probe.refused", actor_label="probe")
    unit_of_work.finish(False)
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"probe.kept", "probe.refused"} <= actions and "probe.dropped" not in actions


def test_add_unique_reports_a_lost_race_and_the_transaction_goes_on(app_ctx):
    assert unit_of_work.add_unique(Tenant(name="同名租户"))
    assert not unit_of_work.add_unique(Tenant(name="同名租户"))
    assert unit_of_work.add_unique(Tenant(name="另一个租户"))
    unit_of_work.finish(True)
    names = sorted(db.session.scalars(select(Tenant.name)))
    assert names == sorted(["同名租户", "另一个租户"])
