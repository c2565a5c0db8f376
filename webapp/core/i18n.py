"""Emails in their recipient's language.

An email is rendered (subject and body) inside `in_language_of(address)`: the language the
recipient chose with the portal's switch when the address is an account's (zh_CN for an account
that never chose); for an address without an account (an order's contact before activation),
the language of whoever causes the email (the request's locale), and zh_CN where no one does
(the CLI, a daily job).
"""
from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import force_locale
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import User

DEFAULT = "zh_CN"


def N_(text: str) -> str:
    """Marks a string for the catalogues (`make messages`) and returns it untranslated: a
    constant kept in the seed's words (compared, stored, or asserted by tests), translated
    with gettext where it is shown. (models/order.py has its own: models sit below core.)"""
    return text


def locale_of(address: str) -> str | None:
    """The language of the account with this email address; None without an account."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == address.strip().lower()))
    if user is None:
        return None
    return user.locale or DEFAULT


@contextmanager
def in_language_of(address: str) -> Iterator[None]:
    """Render what the recipient at `address` reads in their language (see the module)."""
    locale = locale_of(address)
    if locale is None:
        yield
        return
    with force_locale(locale):
        yield


@contextmanager
def in_locale(locale: str | None) -> Iterator[None]:
    """Render in `locale` (a user's remembered choice; None: zh_CN)."""
    with force_locale(locale or DEFAULT):
        yield
