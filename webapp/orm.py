"""Declarative base with a naming convention (so migrations name constraints stably), UTC
timestamps and the display time zone."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import (ARRAY, Boolean, ColumnElement, DateTime, Integer, MetaData, TypeDecorator,
                        any_, bindparam)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.sql.visitors import InternalTraversal

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# China Standard Time, the display time zone; it has no DST, so a fixed offset avoids
# depending on a tz database.
CST = timezone(timedelta(hours=8), "CST")


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                value = value.replace(tzinfo=timezone.utc)
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class InIds(ColumnElement):
    """`column IN (:name)` for a list of integer ids bound at execution; on PostgreSQL
    `column = ANY(:name)`, one array parameter. An expanding IN renders a cast parameter per id
    on every execution, and its text, too long for psycopg's query cache, is parsed again each
    time: 0.1 ms on a 50-row page."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a comparison: no "= 1" appended where booleans are ints

    def __init__(self, column, name: str):
        self.column, self.name = column, name

    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("name", InternalTraversal.dp_string)]


def in_ids(column, name: str) -> InIds:
    """The clause `column` is one of the ids given as parameter `name` (a list)."""
    return InIds(column, name)


@compiles(InIds)
def _in_ids(element: InIds, compiler, **kw) -> str:
    return compiler.process(element.column.in_(bindparam(element.name, expanding=True)), **kw)


@compiles(InIds, "postgresql")
def _any_ids(element: InIds, compiler, **kw) -> str:
    ids = bindparam(element.name, type_=ARRAY(Integer))
    return compiler.process(element.column == any_(ids), **kw)
