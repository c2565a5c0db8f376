"""Engine settings that make SQLite behave (foreign keys, WAL, write-locking transactions), and a
counter of the statements an engine sends."""
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event

from webapp.extensions import db


def engine_options(app: Flask) -> None:
    """Pre-ping pooled connections only where a server can drop them (not SQLite files)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}


def configure(app: Flask) -> None:
    """Attach the SQLite pragmas and `BEGIN IMMEDIATE` once the engine exists."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            # Hand transaction control to SQLAlchemy so BEGIN below is the only BEGIN.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA busy_timeout = 15000")
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection):
            # IMMEDIATE takes the write lock up front: a read-then-write transaction cannot
            # be overtaken by another writer (check-then-insert oversold 11 of 5 without it).
            connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def count_statements(app: Flask):
    """Collect every SQL statement `app`'s engine sends during the block; yields the live list."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)
