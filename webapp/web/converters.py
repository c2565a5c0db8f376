"""URL converters: `<int:…>` ends where PostgreSQL's `integer` does."""
from werkzeug.routing import IntegerConverter

from webapp.core.ids import MAX_ID


class BoundedIntConverter(IntegerConverter):
    """A path id above 2³¹−1 names no row: 404, instead of an int4 overflow (a 500) on
    PostgreSQL. Views trust path ids from here on (no re-check)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)
