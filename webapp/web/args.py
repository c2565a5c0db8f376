"""Integer arguments from the query string (or a form), parsed and bounded in one place.

Python's digit test is true for `²` and `①`, and `int()` then raises; an id past 2³¹−1 overflows
PostgreSQL's `integer` and SQLite's bind. Anything that is not 1 ≤ n < 2³¹ is the default.
"""
import re
from collections.abc import Mapping

from flask import request

from webapp.core.errors import ServiceError
from webapp.core.text import search_text

INT_MAX = 2**31
ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_id(value) -> int | None:
    """A positive database id from text or an int (ASCII digits only), else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and ASCII_DIGITS.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if 1 <= number < INT_MAX else None


def int_arg(name: str, default: int | None = None, source: Mapping | None = None) -> int | None:
    """`request.args[name]` as an id 1 ≤ n < 2³¹, else `default` (`source`: e.g. request.values)."""
    value = (request.args if source is None else source).get(name, type=int)
    return value if value is not None and 1 <= value < INT_MAX else default


def search_arg(source: Mapping | None = None) -> tuple[str, str | None]:
    """A list's search text `q` and the refusal to show (every list answers an overlong one
    with its first page, the message and 422)."""
    try:
        return search_text((request.args if source is None else source).get("q")), None
    except ServiceError as exc:
        return "", exc.message

