"""Reads never queue behind a writer; on SQLite every write takes the write lock before its first
read (webapp/database.py; tests/allocation/test_allocation_concurrency.py shows it never
oversells). The app here gives up on a lock after 100 ms (SQLite's busy timeout, PostgreSQL's
lock_timeout), so a page that queued behind the writer would fail instead of being slow.
"""
from contextlib import contextmanager

import pytest
from factories import add_enterprises, counters, first_line, login
from fixtures.database import BASE_CONFIG
from sqlalchemy import create_engine, insert, select, text

from webapp import create_app
from webapp.database import count_statements, writes
from webapp.extensions import db
from webapp.models import AllocationDraft, OrderLine

HX = {"HX-Request": "true"}


def impatient_app(make_app, database_url):
    if database_url.startswith("sqlite"):
        return make_app(SQLITE_BUSY_TIMEOUT_MS=100)
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={
        "connect_args": {"options": "-c lock_timeout=100"}})


@contextmanager
def writer_ticking(database_url, line_id, enterprise_id):
    """Another connection halfway through a tick: it holds the lock a tick takes (SQLite's write
    lock; the line's row lock on PostgreSQL) and has drafted an enterprise, not yet committed."""
    sqlite = database_url.startswith("sqlite")
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if sqlite else "BEGIN")
            lock = select(OrderLine.id).where(OrderLine.id == line_id)
            conn.execute(lock if sqlite else lock.with_for_update())
            conn.execute(insert(AllocationDraft.__table__).values(
                line_id=line_id, enterprise_id=enterprise_id))
            try:
                yield
            finally:
                conn.exec_driver_sql("ROLLBACK")
    finally:
        engine.dispose()


def test_the_panel_answers_while_a_tick_holds_the_lock(
        make_app, database_url, make_admin):
    info = make_admin(lines=(("issue", 5),))
    app = impatient_app(make_app, database_url)
    ids = add_enterprises(app, info["tenant_id"], 2)
    line_id = first_line(app, info["order_id"])
    base = f"/orders/{info['order_id']}/lines/{line_id}"
    client = app.test_client()
    login(client, info["email"])
    tick = {"enterprise_id": str(ids[1]), "selected": str(ids[1])}

    with writer_ticking(database_url, line_id, ids[0]):
        page = client.get(base + "/allocate")
        assert page.status_code == 200
        assert counters(page.get_data(as_text=True)) == (0, 5)  # the open tick is not seen

    response = client.post(base + "/toggle", data=tick, headers=HX)
    assert response.status_code == 200
    assert counters(client.get(base + "/allocate").get_data(as_text=True)) == (1, 4)


@pytest.fixture
def notes_app(tmp_path):
    """An app on its own SQLite file with a table, a view that writes to it on GET and POST, and
one marked `@writes`."""
    app = create_app({**BASE_CONFIG,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'notes.sqlite3'}"})

    def write_note():
        db.session.execute(text("INSERT INTO note (body) VALUES ('written')"))
        db.session.commit()
        return "written"

    @writes
    def write_audited_note():
        return write_note()

    def count_notes():
        return str(db.session.scalar(text("SELECT count(*) FROM note")))

    app.add_url_rule("/note", "note", write_note, methods=["GET", "POST"])
    app.add_url_rule("/notes", "notes", count_notes)
    app.add_url_rule("/audited-note", "audited_note", write_audited_note)
    with app.app_context():
        db.session.execute(text("CREATE TABLE note (body TEXT)"))
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_get_view_that_writes_must_say_so(notes_app):
    client = notes_app.test_client()
    assert client.get("/note").status_code == 500  # query_only: refused, not written
    assert client.get("/notes").get_data(as_text=True) == "0"
    assert client.post("/note").status_code == 200
    assert client.get("/audited-note").status_code == 200
    assert client.get("/notes").get_data(as_text=True) == "2"


def test_reads_begin_deferred_and_writes_take_the_lock_first(notes_app):
    client = notes_app.test_client()
    for method, url, begin in (("get", "/notes", "BEGIN"), ("head", "/notes", "BEGIN"),
                               ("post", "/note", "BEGIN IMMEDIATE"),
                               ("get", "/audited-note", "BEGIN IMMEDIATE")):
        with count_statements(notes_app) as seen:
            assert getattr(client, method)(url).status_code == 200
        assert [s for s in seen if s.startswith("BEGIN")] == [begin], (method, url)
    with notes_app.app_context():  # outside a request (the CLI, the outbox sender): a write
        with count_statements(notes_app) as seen:
            db.session.scalar(text("SELECT count(*) FROM note"))
        assert [s for s in seen if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
        db.session.rollback()
