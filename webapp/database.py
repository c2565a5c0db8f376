"""Engine settings that make SQLite behave (foreign keys, WAL, write-locking transactions), and a
counter of the statements an engine sends.

On SQLite a write transaction begins `IMMEDIATE`, taking the write lock before its first read: a
read-then-write transaction cannot be overtaken by another writer (check-then-insert oversold 11
of 5 without it). A read request (GET, HEAD, OPTIONS) begins a deferred transaction instead, so a
page never waits behind a writer; it runs with `query_only`, so a GET view that writes fails at
once instead of sometimes losing a race. Such a view says so with `@writes`. Everything outside
a request (the CLI, the outbox sender thread) writes.
"""
import time
from contextlib import contextmanager

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event, exc

from webapp.extensions import db

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes(view):
    """Mark a GET view that writes (an audited export): its transaction takes the write lock.

    Only until it commits: what the view reads after (a streamed CSV) is a read again.
    """
    view.writes_database = True
    return view


def view_may_write() -> bool:
    """Whether this request's view may write: any method but a read, or a read marked @writes."""
    if request.method not in READ_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "writes_database", False)


def transaction_may_write() -> bool:
    """Whether the transaction about to begin may write (outside a request: always).

    A @writes read writes until its commit; what it reads afterwards (a streamed CSV) is a read
    again. A refusal's remembered writes (core/unit_of_work.py) write whatever the method.
    """
    if not has_request_context() or g.get("_writing_remembered"):
        return True
    return (view_may_write() and not g.get("_database_committed")
            and not g.get("_reading_first"))


@contextmanager
def read_before_writing():
    """Yield a connection whose statements run before the request's write transaction begins,
    for checks that need no write lock (the signed-in user): on SQLite they run outside a
    transaction, each on its own (SQLite's autocommit), and `BEGIN IMMEDIATE` follows when
    the block ends, on the same connection and in the same SQLAlchemy transaction (one
    checkout, no rollback in between). Elsewhere, or when a transaction is already open, the
    request's own connection as it is."""
    if (not has_request_context() or db.session().in_transaction()
            or db.engine.dialect.name != "sqlite" or not transaction_may_write()):
        yield db.session.connection()
        return
    g._reading_first = True
    try:
        connection = db.session.connection()  # its begin event leaves the BEGIN to us
        yield connection
    finally:
        g._reading_first = False
    _begin(connection, write=True)


@contextmanager
def writing_anyway():
    """Let the transactions begun inside write, even in a read request (what a refused
    operation must leave behind, written after its rollback)."""
    if not has_request_context():
        yield
        return
    g._writing_remembered = True
    try:
        yield
    finally:
        g._writing_remembered = False


# A pooled connection idle longer than this is pinged before use (see _ping_when_idle).
IDLE_PING_SECONDS = 30


def engine_options(app: Flask) -> None:
    """Recycle server connections hourly; the staleness check is _ping_when_idle's."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_recycle": 3600, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}


def _ping_when_idle(engine) -> None:
    """Ping a pooled connection before use only when it sat idle for IDLE_PING_SECONDS.

    pool_pre_ping pinged on every checkout: one more round trip per request (two for a view
    that queries after its commit), 0.7 s of 2.4 s in a profile of 200 autofill requests on a
    busy machine. Connections a server or firewall drops are idle ones; a busy worker's were
    used a moment ago. A failed ping discards the connection and the pool takes another.
    """
    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return  # a new connection, or one used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError() from error  # the pool retries with a fresh one
            raise


def configure(app: Flask) -> None:
    """Attach the SQLite pragmas and the BEGIN of each transaction (a server: the idle ping)
    once the engine exists.

    `SQLITE_BUSY_TIMEOUT_MS` is how long a write waits for the write lock (15 s).
    """
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            _ping_when_idle(engine)
            return
        busy_timeout = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            # Hand transaction control to SQLAlchemy so BEGIN below is the only BEGIN.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {busy_timeout}")
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection):
            if has_request_context() and g.get("_reading_first"):
                return  # read_before_writing begins once its reads are done
            _begin(connection, transaction_may_write())

        @event.listens_for(engine, "commit")
        def _on_commit(_connection):
            if has_request_context():
                g._database_committed = True


def _begin(connection, write: bool) -> None:
    """SQLite: BEGIN IMMEDIATE for a write (the write lock first), BEGIN for a read, with
    query_only set to match."""
    dbapi = connection.connection  # its .info lives as long as the DBAPI connection
    if dbapi.info.get("query_only", False) == write:
        # Straight to the driver: a setting, not a statement the counters should see.
        dbapi.driver_connection.execute(f"PRAGMA query_only = {0 if write else 1}")
        dbapi.info["query_only"] = not write
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


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
