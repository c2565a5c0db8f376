"""Text rules shared by every input: the characters a text may hold (forms, query arguments,
the JSON API), and what an email address must look like.

PostgreSQL cannot store NUL, and no field of this app means a control character; a lone
surrogate (possible in JSON's "\\ud800") cannot even be encoded to UTF-8.
"""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.core.errors import Invalid, ServiceError

MAX_SEARCH = 100  # characters of a list's search box, on every list
SEARCH_TOO_LONG = _l("搜索内容不能超过 %(limit)s 个字符", limit=MAX_SEARCH)
CONTROL_MESSAGE = _l("不能包含控制字符")
SURROGATE_MESSAGE = _l("不能包含无效的 Unicode 字符")
MULTILINE = frozenset("\t\n\r")  # what a <textarea> legitimately sends
# The stricter rule for text that is stored and shown again (工商 fields, request texts): also
# the invisible formatting characters (zero-width, bidi overrides, BOM) that disguise a name.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")


def bad_character(value: str, multiline: bool = False) -> str | None:
    """The message for the first character `value` may not hold, else None."""
    for ch in value:
        code = ord(ch)
        if (code < 32 or code == 127) and not (multiline and ch in MULTILINE):
            return CONTROL_MESSAGE
        if 0xD800 <= code <= 0xDFFF:
            return SURROGATE_MESSAGE
    return None

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")


def normalise_email(email: str, field: str = "email") -> str:
    """Trimmed, lower-cased, and refused (naming `field`) when it is not a plausible address."""
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email):
        raise ServiceError(_("邮箱地址无效：%(email)s", email=email[:60] or _("（空）")), field=field)
    return email


def stored_text_problem(text: str, label: str, limit: int) -> str | None:
    """Why `text` (to be stored and shown again) is refused, or None: invisible characters,
    or more than `limit` characters."""
    if CONTROL.search(text):
        return _("%(label)s含有不可见的控制字符，请删除后重试", label=label)
    if len(text) > limit:
        return _("%(label)s不能超过 %(limit)s 个字符（当前 %(count)s 个）", label=label, limit=limit,
                 count=len(text))
    return None


def free_text(value: str | None, label: str, limit: int, *, required: str | None = None,
              field: str = "reason", multiline: bool = True) -> str | None:
    """A free text (a request's reason, a comment, a payment reference): trimmed, None when
    empty; refused on `field` when required and empty, or when stored_text_problem objects
    (a line break where only one line is meant, too)."""
    text = (value or "").replace("\r\n", "\n").strip()
    if not text:
        if required:
            raise Invalid(required, field=field)
        return None
    problem = stored_text_problem(text, label, limit)
    if problem is None and not multiline and "\n" in text:
        problem = _("%(label)s含有不可见的控制字符，请删除后重试", label=label)
    if problem:
        raise Invalid(problem, field=field)
    return text


def search_text(raw: str | None) -> str:
    """What was typed in a list's search box, whitespace collapsed; refused (never cut) past
    MAX_SEARCH characters, the same on every list."""
    text = " ".join((raw or "").split())
    if len(text) > MAX_SEARCH:
        raise Invalid(SEARCH_TOO_LONG, field="q")
    return text

