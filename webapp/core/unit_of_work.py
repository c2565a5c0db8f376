"""The unit of work: one commit or one rollback at the edge of each request or command.

Services only add and flush. The edge decides: `web/boundary.py` for a request, `@transaction`
for a CLI command (and `finish` for anything else that drives services, such as tests). What a
refused operation must leave behind although its work is rolled back (a wrong key's audit entry,
a failed connection check: what rate limits and the audit log count) is handed to `remember`;
the edge writes it whichever way the work ends, after a rollback in a transaction of its own.

Races on a unique key are the service's: `add_unique` / `execute_unique` try the insert in a
savepoint and say whether it stood, and the service turns a lost race into a `Conflict` or reads
the winner's row.
"""
import logging
from collections.abc import Callable
from functools import wraps

import click
from sqlalchemy.exc import IntegrityError

from webapp.core.errors import ServiceError
from webapp.database import writing_anyway
from webapp.extensions import db

log = logging.getLogger(__name__)

_REMEMBERED = "unit_of_work.remembered"


def remember(write: Callable[[], object]) -> None:
    """Have `write` (adds to the session) happen even if this unit of work is rolled back."""
    db.session.info.setdefault(_REMEMBERED, []).append(write)


def _take_remembered() -> list[Callable[[], object]]:
    return db.session.info.pop(_REMEMBERED, [])


def commit() -> None:
    """End the unit of work successfully: what was remembered is written with it."""
    for write in _take_remembered():
        write()
    db.session.commit()


def rollback() -> None:
    """Discard the unit of work; what was remembered is then written in a transaction of its
    own (a failure to write it is logged, never raised over the refusal being answered)."""
    remembered = _take_remembered()
    db.session.rollback()
    if not remembered:
        return
    try:
        with writing_anyway():
            for write in remembered:
                write()
            db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record what a refused operation must leave behind")


def finish(ok: bool) -> None:
    """Commit when `ok`, else roll back (the edges below, and tests driving services)."""
    commit() if ok else rollback()


def transaction(command):
    """A CLI command as one unit of work: committed when it returns; a refused change rolls
    back and ends the command with its message; any other error rolls back and propagates."""

    @wraps(command)
    def wrapped(*args, **kwargs):
        try:
            result = command(*args, **kwargs)
        except ServiceError as exc:
            rollback()
            raise click.ClickException(exc.message) from exc
        except BaseException:
            rollback()
            raise
        commit()
        return result

    return wrapped


def _savepoint(work: Callable[[], object]) -> bool:
    try:
        with db.session.begin_nested():
            work()
    except IntegrityError:
        return False
    return True


def add_unique(*objects) -> bool:
    """Insert `objects` in a savepoint; False (and nothing inserted) when one of them broke a
    unique key: a concurrent request made the same row first. The transaction goes on."""
    return _savepoint(lambda: db.session.add_all(objects))


def execute_unique(statement, params=None) -> bool:
    """`add_unique` for a Core insert (a multi-row insert of thousands of rows)."""
    return _savepoint(lambda: db.session.execute(statement, params))
