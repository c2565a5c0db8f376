"""The one rule for characters a text input may hold (forms, query arguments, the JSON API).

PostgreSQL cannot store NUL, and no field of this app means a control character; a lone
surrogate (possible in JSON's "\\ud800") cannot even be encoded to UTF-8.
"""
CONTROL_MESSAGE = "不能包含控制字符"
SURROGATE_MESSAGE = "不能包含无效的 Unicode 字符"
MULTILINE = frozenset("\t\n\r")  # what a <textarea> legitimately sends


def bad_character(value: str, multiline: bool = False) -> str | None:
    """The message for the first character `value` may not hold, else None."""
    for ch in value:
        code = ord(ch)
        if (code < 32 or code == 127) and not (multiline and ch in MULTILINE):
            return CONTROL_MESSAGE
        if 0xD800 <= code <= 0xDFFF:
            return SURROGATE_MESSAGE
    return None
