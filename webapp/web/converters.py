"""URL converters: `<int:…>` ends where PostgreSQL's `integer` does."""
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """A path id above 2³¹−1 names no row: 404, instead of an int4 overflow (a 500) on
    PostgreSQL."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)
