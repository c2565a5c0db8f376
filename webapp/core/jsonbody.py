"""JSON from outside, parsed with its nesting bounded first.

`json.loads` recurses once per level: `[` × 30,000 under a 64 KB cap raised RecursionError
(which `request.get_json(silent=True)` does not catch) and was a 500. The depth is measured
before parsing, in one pass that skips string contents, so a document nested deeper than
`max_depth` is refused as any other malformed body is.
"""
import json
from flask_babel import gettext as _

MAX_DEPTH = 32


class BadJson(ValueError):
    """Not a JSON document this app will read; `reason` says why, in Chinese."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def too_deep(text: str, max_depth: int) -> bool:
    """Whether arrays and objects nest deeper than `max_depth` (strings are skipped)."""
    if text.count("[") + text.count("{") <= max_depth:
        return False  # cannot be deeper than it has openings: the common case, at C speed
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def parse(raw: bytes | str, max_depth: int = MAX_DEPTH):
    """The document in `raw` (UTF-8), or BadJson."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise BadJson(_("不是 UTF-8 编码的文本")) from None
    if too_deep(text, max_depth):
        raise BadJson(_("JSON 嵌套层级过深（最多 %(max_depth)s 层）", max_depth=max_depth))
    try:
        return json.loads(text)
    except RecursionError:  # the bound above makes this unreachable; kept as the last guard
        raise BadJson(_("JSON 嵌套层级过深（最多 %(max_depth)s 层）", max_depth=max_depth)) from None
    except ValueError:
        raise BadJson(_("不是合法的 JSON")) from None
