"""Keyset pagination, written once: order by a unique key, start after the last row seen.

OFFSET pagination on 10,000 rows costs ~1.6× page 1 here; a keyset page costs the same
wherever it is. Every list pages through `page()`: one statement for the rows, whatever the
number of rows or the depth of the page. It lives in core, not web: services call it with
plain values (a view parses the cursor from the query string with `int_arg`).
"""
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, bindparam, tuple_

from webapp.extensions import db

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of rows; `next_key` continues after the last row (None: the last page),
    `prev_key` goes back before the first (only for lists that page both ways)."""

    rows: list[T]
    next_key: Any = None
    prev_key: Any = None

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _past(columns: Sequence, key: Sequence, descending: bool):
    """WHERE the row comes after `key` in the order of `columns` (values or subqueries)."""
    if len(columns) == 1:
        return columns[0] < key[0] if descending else columns[0] > key[0]
    after = tuple_(*columns) < tuple_(*key) if descending else tuple_(*columns) > tuple_(*key)
    # The bound on the leading column is implied, but lets the (tenant_id, name) index seek
    # instead of scanning every earlier row (2.5× slower at row 9,900 without it).
    lead = columns[0] <= key[0] if descending else columns[0] >= key[0]
    return and_(lead, after)


def page(query: Select, columns: Sequence, key: Callable[[Any], Any], *, after=None,
         before=None, size: int, descending: bool = False, scalars: bool = False) -> Page:
    """One page of `query` ordered by `columns` (unique together, the last one the id).

    `after` / `before`: the key of the row to continue after, or to go back before (a value,
    or a tuple with one value per column; a scalar subquery is allowed). `key(row)` gives a
    row's key for the next cursor. `scalars`: rows are ORM objects, not tuples.
    """
    def as_tuple(k):
        return tuple(k) if isinstance(k, (tuple, list)) else (k,)

    run = db.session.scalars if scalars else db.session.execute
    if before is not None:
        rows = run(query.where(_past(columns, as_tuple(before), not descending))
                   .order_by(*_ordered(columns, not descending)).limit(size + 1))
    else:
        if after is not None:
            query = query.where(_past(columns, as_tuple(after), descending))
        rows = run(query.order_by(*_ordered(columns, descending)).limit(size + 1))
    return assemble(rows.all(), key, size=size, after=after, before=before)


def assemble(rows: list, key: Callable[[Any], Any], *, size: int, after=None,
             before=None) -> Page:
    """The page from the `size + 1` rows a keyset statement fetched (in its own order: going
    back `before` a key, the reverse of the list's), for a caller running a statement it built
    once (`statements()` gives them) instead of through `page()`."""
    if before is not None:
        has_prev, has_next = len(rows) > size, True
        rows = list(reversed(rows[:size]))
    else:
        has_next, has_prev = len(rows) > size, after is not None
        rows = rows[:size]
    return Page(rows=rows, next_key=key(rows[-1]) if rows and has_next else None,
                prev_key=key(rows[0]) if rows and has_prev else None)


def statements(query: Select, columns: Sequence, *, descending: bool = False) -> dict[str, Select]:
    """A list's three keyset statements on `columns` (unique together), built once by the
    caller: the "first" page, "after" and "before" a key given as the bound parameters `key0`,
    `key1`, … (one a column); each takes `limit` (size + 1)."""
    limit, key = bindparam("limit"), [bindparam(f"key{i}") for i in range(len(columns))]
    forward, backward = _ordered(columns, descending), _ordered(columns, not descending)
    return {"first": query.order_by(*forward).limit(limit),
            "after": query.where(_past(columns, key, descending)).order_by(*forward).limit(limit),
            "before": query.where(_past(columns, key, not descending))
                           .order_by(*backward).limit(limit)}


def key_params(key) -> dict:
    """A key (a value, or a tuple of one per column) as the parameters of `statements()`."""
    return {f"key{i}": v for i, v in enumerate(key if isinstance(key, (tuple, list)) else (key,))}


def _ordered(columns: Sequence, descending: bool) -> list:
    return [c.desc() for c in columns] if descending else list(columns)
