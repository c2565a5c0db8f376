"""The portal's language: zh_CN (the seed's words, and the default) or en.

Chosen, first to last: the signed-in user's remembered choice (`user.locale`, set by the switch
in the top bar), the language cookie (the switch sets it for everyone, so a page before signing
in, or after signing out, keeps the language), the browser's `Accept-Language`, zh_CN.
Dates and amounts are formatted for the chosen locale here too (`datetime` and `money`).
Templates are compiled once per locale, their literal `_("…")` written in as the locale's
translation (web/jinja_i18n.py): the locale is `locale_name()`, `force_locale`'s included.
"""
from datetime import date, datetime, timezone
from collections.abc import Callable
from functools import cache, lru_cache, wraps
from urllib.parse import urlsplit

from babel import Locale
from babel.dates import format_datetime as babel_datetime
from babel.numbers import format_currency
from flask import (Blueprint, Flask, abort, current_app, g, has_app_context, has_request_context,
                   redirect, request, url_for)
from flask_babel import get_locale, gettext
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from webapp.extensions import babel, db
from webapp.models import User
from webapp.orm import CST
from webapp.web.navigation import here, safe_path

DEFAULT = "zh_CN"
LOCALES = ("zh_CN", "en")
# Each language names itself in the switch, whatever the page's language.
NAMES = {"zh_CN": "\u4e2d\u6587", "en": "English"}  # i18n: data (each in its own language)
COOKIE = "locale"
COOKIE_SECONDS = 365 * 24 * 3600

# The date formats pages ask for (strftime, as templates write them), per locale (CLDR
# patterns). zh_CN keeps the digits the portal has always shown; en spells the month.
DATE_PATTERNS = {
    "%Y-%m-%d %H:%M": {"zh_CN": "yyyy-MM-dd HH:mm", "en": "d MMM yyyy, HH:mm"},
    "%Y-%m-%d %H:%M:%S": {"zh_CN": "yyyy-MM-dd HH:mm:ss", "en": "d MMM yyyy, HH:mm:ss"},
    "%Y-%m-%d": {"zh_CN": "yyyy-MM-dd", "en": "d MMM yyyy"},
}

bp = Blueprint("i18n", __name__)


def known(value: str | None) -> str | None:
    """`value` when it names a locale the portal speaks, else None."""
    return value if value in LOCALES else None


def select_locale() -> Locale | None:
    """The request's locale (Flask-Babel's locale selector); None (the default) outside one."""
    if not has_request_context():
        return None
    if current_user.is_authenticated and (chosen := known(getattr(current_user, "locale", None))):
        return _parsed(chosen)
    return _parsed(known(request.cookies.get(COOKIE))
                   or request.accept_languages.best_match(LOCALES) or DEFAULT)


@cache
def _parsed(name: str) -> Locale:
    # Flask-Babel parses a name on every request (its default's too); a Locale it keeps.
    return Locale.parse(name)


def locale_name() -> str:
    """The current locale's id: "zh_CN" or "en"."""
    # Once chosen, Flask-Babel keeps the locale (or the one `force_locale` set) on its namespace
    # in `g`: read it in one step, as |datetime asks for every value of a list.
    babel_ctx = g.get("_flask_babel") if has_app_context() else None
    locale = getattr(babel_ctx, "babel_locale", None) or get_locale()
    if locale is None:
        return DEFAULT
    return _name_of(locale.language)


@cache
def _name_of(language: str) -> str:
    # Babel reads "zh_CN" as zh_Hans_CN: name it by its language, as the catalogues are named.
    return next((name for name in LOCALES if name.split("_")[0] == language), DEFAULT)


class Words(dict):
    """Words in the seed's language → their translation; a word without one (a product added
    to the catalogue since) stands as it is."""

    def __missing__(self, word: str) -> str:
        return word


def per_locale(build: Callable) -> Callable:
    """`build(*args)`, a value made of translations (the words of every row, a filter's
    choices), built once per locale and arguments instead of on every call: translations do
    not change while the portal runs, and a Flask-Babel gettext costs 7–20 µs."""
    built = lru_cache(maxsize=64)(lambda _locale, *args: build(*args))
    return wraps(build)(lambda *args: built(locale_name(), *args))


def html_lang() -> str:
    """The `lang` attribute for the current locale (BCP 47: zh-CN, en)."""
    return locale_name().replace("_", "-")


def format_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A moment in the display time zone (Beijing time), formatted for the current locale with
    Babel (the `datetime` filter, web/templating.py, keeps its own fast path for zh_CN)."""
    if value is None:
        return "—"
    if not isinstance(value, datetime) and isinstance(value, date):
        value = datetime(value.year, value.month, value.day, tzinfo=CST)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    patterns = DATE_PATTERNS.get(fmt)
    if patterns is None:
        return value.astimezone(CST).strftime(fmt)
    locale = locale_name()
    return babel_datetime(value, patterns.get(locale, patterns[DEFAULT]), tzinfo=CST,
                          locale=locale)


def format_money(cents: int | None, currency: str = "CNY") -> str:
    """An amount held in cents (fen), formatted for the current locale (¥500.00, CN¥500.00)."""
    if cents is None:
        return "—"
    return format_currency(cents / 100, currency, locale=locale_name())


def translated(name: str | None) -> str | None:
    """A name stored in the seed's words (a product of the catalogue, models.order.PRODUCT_NAMES)
    in the current language when the catalogues know it, else as stored."""
    return gettext(name) if name else name


@bp.post("/language")
def switch():
    """The top bar's language switch: remembered for the signed-in user and in a cookie, then
    back to the page it was pressed on (a same-site path only)."""
    locale = known(request.form.get("locale"))
    if locale is None:
        abort(400)
    if current_user.is_authenticated:
        # The ORM user, whatever object current_user is; committed by the boundary (a POST
        # answering 303).
        db.session.get(User, current_user.id).locale = locale
    response = redirect(_page_to_return_to() or url_for("main.index"), 303)
    response.set_cookie(COOKIE, locale, max_age=COOKIE_SECONDS, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response


def _page_to_return_to() -> str | None:
    """The form's `next` when it is a same-site page a GET can open; else the page the form
    was on (the Referer, same host only: a page re-rendered after a refused POST), else None."""
    for candidate in (request.form.get("next"), _referer_path()):
        path = safe_path(candidate)
        if path and _opens_with_get(path):
            return path
    return None


def _referer_path() -> str | None:
    referer = urlsplit(request.referrer or "")
    if referer.netloc != request.host:
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


def _opens_with_get(path: str) -> bool:
    adapter = current_app.url_map.bind(request.host, script_name=request.script_root or None)
    try:
        adapter.match(urlsplit(path).path.removeprefix(request.script_root), method="GET")
    except HTTPException:
        return False
    return True


def _vary(response):
    """Pages differ by Accept-Language (static files do not)."""
    if request.endpoint != "static":
        # The header as text: response.vary parses it into a set and writes it back (10 µs).
        vary = response.headers.get("Vary")
        if not vary:
            response.headers["Vary"] = "Accept-Language"
        elif "accept-language" not in vary.lower():
            response.headers["Vary"] = f"{vary}, Accept-Language"
    return response


def register(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.after_request(_vary)
    app.add_template_global(html_lang, "html_lang")
    app.add_template_global(locale_name, "locale_name")
    # The switch returns to this page without its query (a page is the same whatever its
    # paging cursor was; a refused POST's page returns by its Referer).
    app.add_template_global(here, "language_return")
    app.add_template_global(NAMES, "language_names")
    app.add_template_filter(format_money, "money")
    app.add_template_filter(translated, "translated")
