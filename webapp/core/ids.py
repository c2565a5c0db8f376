"""Database ids from outside (a path, a query argument, a cursor): the one rule.

Python's digit test is true for `²` and `①` (and `int()` then raises), `int()` takes "٣", "+7"
and "1_0"; an id past 2³¹−1 overflows PostgreSQL's `integer` and SQLite's bind. An id is 1 to
10 ASCII digits naming 1 ≤ n ≤ MAX_ID, nothing else.
"""
import re

MAX_ID = 2**31 - 1
ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_id(value) -> int | None:
    """A positive database id from text or an int, else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and ASCII_DIGITS.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


def digits(value, length: int) -> str | None:
    """`value` when it is exactly `length` ASCII digits (a reqid, a timestamp), else None: the
    same rule as an id's, for numbers past an id's range that are kept as text."""
    if isinstance(value, str) and len(value) == length and all("0" <= ch <= "9" for ch in value):
        return value
    return None
