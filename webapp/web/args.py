"""Arguments from the query string (or a form), read by the one rule for each kind."""
from collections.abc import Mapping

from flask import request

from webapp.core.errors import ServiceError
from webapp.core.ids import parse_id
from webapp.core.text import search_text


def int_arg(name: str, default: int | None = None, source: Mapping | None = None) -> int | None:
    """`request.args[name]` (or `source[name]`, e.g. request.values) as a database id (parse_id),
    else `default`."""
    value = parse_id((request.args if source is None else source).get(name))
    return default if value is None else value


def search_arg(source: Mapping | None = None) -> tuple[str, str | None]:
    """A list's search text `q` and the refusal to show (every list answers an overlong one
    with its first page, the message and 422)."""
    try:
        return search_text((request.args if source is None else source).get("q")), None
    except ServiceError as exc:
        return "", exc.message
