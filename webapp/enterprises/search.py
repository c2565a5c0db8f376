"""The one 企业名称 or 税号 search, used by every list that searches enterprises.

The rule: the text is NFKC-normalised (full-width → half-width), control characters dropped,
whitespace collapsed and trimmed. It matches an enterprise whose name contains it, ignoring
case, or — when the text can begin a tax ID (2–20 of 0-9A-Z once upper-cased and stripped of
spaces and dashes, with at least one digit: every registration-authority code pairs a digit
with its letter) — whose tax ID starts with it.

The name match is ILIKE on PostgreSQL (the pg_trgm index of migration 0008 serves 3+
characters) and LIKE on SQLite (case-insensitive for ASCII by default); the tax ID match
is a prefix LIKE (tax IDs are stored upper-case).
"""
import re
import unicodedata

from sqlalchemy import or_

from webapp.core import taxid
from webapp.core.text import MAX_SEARCH
from webapp.extensions import db
from webapp.models import Enterprise

MAX_QUERY = MAX_SEARCH  # checked at the edge (core/text.search_text); NFKC may lengthen it
TAX_PREFIX = re.compile(r"(?=.*\d)[0-9A-Z]{2,20}")


def normalise(text: str | None) -> str:
    """The search text as the clause reads it (also what a page shows back)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())[:MAX_QUERY]


def tax_prefix(text: str) -> str | None:
    """The text as a tax ID prefix, or None when it cannot begin a tax ID."""
    tax = taxid.normalise(text)
    return tax if TAX_PREFIX.fullmatch(tax) else None


def clause(text: str | None):
    """WHERE clause for 'name contains the text, or tax ID starts with it'; None for no text."""
    q = normalise(text)
    if not q:
        return None
    if db.engine.dialect.name == "postgresql":
        name = Enterprise.name.icontains(q, autoescape=True)  # ILIKE, served by the trigram index
    else:
        # SQLite's LIKE already ignores ASCII case, and its lower() folds nothing more; lower()
        # on every row only adds work.
        name = Enterprise.name.contains(q, autoescape=True)
    tax = tax_prefix(q)
    return or_(name, Enterprise.tax_id.startswith(tax, autoescape=True)) if tax else name
