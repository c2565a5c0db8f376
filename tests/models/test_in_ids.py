"""orm.in_ids: one array parameter on PostgreSQL, an IN list elsewhere, and on both a plain
comparison the planner can use an index for."""
from sqlalchemy import event, select

from webapp.extensions import db
from webapp.models import Allocation, Enterprise
from webapp.orm import in_ids


def _ids_of(ids):
    stmt = select(Enterprise.id).where(in_ids(Enterprise.id, "ids")).order_by(Enterprise.id)
    return db.session.execute(stmt, {"ids": ids}).scalars().all()


def test_in_ids_selects_exactly_the_given_ids(app, make_admin, make_batch):
    _batch, every = make_batch(make_admin(), count=5)
    every = sorted(every)
    with app.app_context():
        assert _ids_of(every[1:3]) == every[1:3]
        assert _ids_of([every[0], 2**31 - 1]) == every[:1]
        assert _ids_of([every[4], every[4]]) == every[4:]


def test_in_ids_is_a_plain_comparison_on_each_database(app):
    with app.app_context():
        stmt = select(Allocation.id).where(in_ids(Allocation.enterprise_id, "ids"))
        sql = str(stmt.compile(dialect=db.engine.dialect))
        if db.engine.dialect.name == "postgresql":
            assert "allocation.enterprise_id = ANY (%(ids)s::INTEGER[])" in sql
        else:
            # Not "(… IN (…)) = 1", which SQLite cannot answer from an index.
            assert sql.endswith("allocation.enterprise_id IN (__[POSTCOMPILE_ids])")
            sent = []
            conn = db.session.connection()
            event.listen(conn, "before_cursor_execute", record := (
                lambda _c, _cur, statement, params, *_: sent.append((statement, params))))
            conn.execute(stmt, {"ids": [1, 2]})
            event.remove(conn, "before_cursor_execute", record)
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sent[0][0], sent[0][1]).all()
            assert any("INDEX" in row[-1] for row in plan), plan
