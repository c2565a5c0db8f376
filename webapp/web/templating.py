"""Jinja filters shared by every page."""
import re
from datetime import datetime, timezone

from flask import Flask
from markupsafe import Markup, escape

from webapp.orm import CST

URL_RE = re.compile(r"https?://[^\s<>\"']+")


def format_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(CST).strftime(fmt)


def linkify(text: str) -> Markup:
    """Escape text and turn bare http(s) URLs into links."""
    out, last = [], 0
    for match in URL_RE.finditer(text or ""):
        out.append(escape(text[last:match.start()]))
        url = escape(match.group(0))
        out.append(Markup(f'<a href="{url}">{url}</a>'))
        last = match.end()
    out.append(escape((text or "")[last:]))
    return Markup("").join(out)


def register(app: Flask) -> None:
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(linkify, "linkify")
