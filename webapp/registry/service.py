"""The 工商 registry: look companies up by name or tax ID for autofill.

The contract the enterprise pages rely on:
    suggest(query, limit=10) -> list[CompanyInfo]
    lookup_tax_id(tax_id) -> CompanyInfo | None
Neither raises for bad input or an unavailable provider: they return nothing and the
UI falls back to manual fill (未查询到工商信息，请手动填写).

The provider is chosen by REGISTRY_PROVIDER: "local" (default, the registry_company
table) or "http" (a commercial 工商 API, see http.py). Settings come from the app config,
which reads them from the environment (.env included).
"""
import re
import unicodedata
from typing import Protocol

from flask import current_app

from webapp.core import taxid
from webapp.registry import demo
from webapp.registry.company import CompanyInfo
from webapp.registry.http import HttpProvider
from webapp.registry.local import LocalProvider

MAX_QUERY = 50
MIN_QUERY = 2
TAX_ID_RE = re.compile(r"^[0-9A-Z]{15}$|^[0-9A-Z]{18}$|^[0-9A-Z]{20}$")


class Provider(Protocol):
    """What a registry source offers; `query` arrives normalised and 2+ characters long."""

    def suggest(self, query: str, limit: int) -> list[CompanyInfo]: ...

    def lookup_tax_id(self, tax_id: str) -> CompanyInfo | None: ...


def setting(name: str):
    """A registry setting from the app's configuration (defaults and the environment: config.py)."""
    return current_app.config.get(name)


def provider() -> Provider:
    """The configured provider, one per app (the HTTP one keeps its cache there)."""
    kind = setting("REGISTRY_PROVIDER").strip().lower()
    cached = current_app.extensions.get("registry_provider")
    if cached and cached[0] == kind:
        return cached[1]
    if kind == "http":
        instance = HttpProvider.from_settings(setting)
    elif kind == "local":
        instance = LocalProvider()
    else:
        raise RuntimeError(f"REGISTRY_PROVIDER must be 'local' or 'http', not {kind!r}")
    current_app.extensions["registry_provider"] = (kind, instance)
    return instance


def normalise_query(raw: str | None) -> str:
    """NFKC (full-width → half-width), control characters dropped, whitespace collapsed,
    trimmed, and capped at MAX_QUERY characters."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())[:MAX_QUERY]


def suggest(query: str, limit: int = 10) -> list[CompanyInfo]:
    """Up to `limit` companies for a name fragment of 2+ characters, ranked exact name,
    then prefix, then substring; a complete tax ID finds its one company."""
    q = normalise_query(query)
    if len(q) < MIN_QUERY or limit < 1:
        return []
    if TAX_ID_RE.match(q.upper()):
        found = lookup_tax_id(q)
        return [found] if found else []
    return provider().suggest(q, min(limit, 50))


def lookup_tax_id(tax_id: str) -> CompanyInfo | None:
    """The company registered under this tax ID, or None."""
    normalised = taxid.normalise(tax_id or "")
    if not TAX_ID_RE.match(normalised):
        return None
    return provider().lookup_tax_id(normalised)


def generate_demo(count: int, seed: int | None = None, progress=None) -> int:
    """Add `count` synthetic companies to the local registry (flushes; caller commits)."""
    return demo.generate(count, seed=seed, progress=progress)
