"""Jinja filters shared by every page."""
import re
from datetime import datetime, timezone

from flask import Flask, current_app, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from webapp.orm import CST
from webapp.web import i18n

URL_RE = re.compile(r"https?://[^\s<>\"']+")


_CST_OFFSET = CST.utcoffset(None)  # a fixed offset: China keeps no summer time


def format_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time (naive means UTC) in the display time zone. The two formats the lists use
    are written out directly: astimezone() and strftime() cost 2.4 µs a value, 0.12 ms a page."""
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    local = value + _CST_OFFSET
    if local.year < 1000:  # strftime writes such a year without its leading zeros
        return local.replace(tzinfo=CST).strftime(fmt)
    if fmt == "%Y-%m-%d %H:%M":
        return (f"{local.year:04d}-{local.month:02d}-{local.day:02d} "
                f"{local.hour:02d}:{local.minute:02d}")
    if fmt == "%Y-%m-%d":
        return f"{local.year:04d}-{local.month:02d}-{local.day:02d}"
    return local.replace(tzinfo=CST).strftime(fmt)


def localized_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """|datetime: format_datetime's digits in zh_CN (the default, and the common case: no Babel
    on that path), the locale's own pattern in other languages (web/i18n.py)."""
    if i18n.locale_name() == i18n.DEFAULT:
        return format_datetime(value, fmt)
    return i18n.format_datetime(value, fmt)


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


def _memo(app: Flask):
    """The two layout helpers every page calls. Their answers depend only on the arguments and
    the mount point (SCRIPT_NAME), so each is built once per process: url_for costs about 25 µs
    a call, and base.html made twelve of them on every page."""
    urls: dict[tuple, str] = {}
    menus: dict[tuple, Markup] = {}

    watching = getattr(app.extensions.get("assets"), "watch", False)

    def fixed_url(endpoint: str, **values) -> str:
        """url_for for a URL that is the same on every request (static files, the menu); a
        static file's URL carries its content hash (web/assets.py), which changes only when
        the file does, and that only in development."""
        if watching and endpoint == "static":
            return url_for(endpoint, **values)
        key = (request.script_root, endpoint, *sorted(values.items()))
        url = urls.get(key)
        if url is None:
            url = urls[key] = url_for(endpoint, **values)
        return url

    def menu() -> Markup:
        """_nav.html for the signed-in user's role and language (the menu differs by those
        only)."""
        key = (request.script_root, current_user.role, i18n.locale_name())
        html = menus.get(key)
        if html is None:
            html = menus[key] = Markup(render_template("_nav.html"))
        return html

    app.add_template_global(fixed_url, "fixed_url")
    app.add_template_global(menu, "menu")


_INT_ARGUMENT = re.compile(r"<int:([a-z_]+)>")


def id_url(endpoint: str, **ids: int) -> str:
    """url_for for a route whose arguments are all ids (`<int:…>`), given exactly those: its
    path with the ids written in, instead of a build through werkzeug's router (20–25 µs a
    call; the 去分配 panel made six). Anything else goes to url_for."""
    found = _id_pattern(current_app._get_current_object(), endpoint)
    if (found is None or ids.keys() != found[1]
            or any(type(value) is not int or value < 0 for value in ids.values())):
        return url_for(endpoint, **ids)
    return request.script_root + found[0].format_map(ids)


def _id_pattern(app: Flask, endpoint: str) -> tuple[str, frozenset] | None:
    """(the endpoint's path as a format string, its arguments), or None when it has several
    rules, defaults, a brace in its path or an argument that is not an int."""
    patterns = app.extensions.setdefault("id_url_patterns", {})
    if endpoint not in patterns:
        rules = list(app.url_map.iter_rules(endpoint)) if endpoint in app.view_functions else []
        rule = rules[0] if len(rules) == 1 else None
        usable = rule is not None and not rule.defaults and "{" not in rule.rule
        path = _INT_ARGUMENT.sub(r"{\1}", rule.rule) if usable else ""
        patterns[endpoint] = (path, frozenset(rule.arguments)) if usable and "<" not in path \
            else None
    return patterns[endpoint]


def register(app: Flask) -> None:
    from webapp.web import navigation

    navigation.register(app)
    i18n.register(app)
    app.add_template_filter(localized_datetime, "datetime")
    app.jinja_env.add_locale_filter("datetime", i18n.DEFAULT, format_datetime)
    app.add_template_filter(linkify, "linkify")
    _memo(app)
    app.add_template_global(id_url, "id_url")
