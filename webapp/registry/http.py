"""A commercial 工商 API as registry provider (企查查, 天眼查 or anything that answers JSON).

Settings (app config or environment):
  REGISTRY_HTTP_URL            search endpoint, called as GET URL?<param>=<query>
  REGISTRY_HTTP_TOKEN          sent in REGISTRY_HTTP_TOKEN_HEADER (default "Authorization")
  REGISTRY_HTTP_MAPPING        generic | qichacha | tianyancha: the query parameter name
  REGISTRY_HTTP_QUERY_PARAM    overrides the mapping's query parameter
  REGISTRY_HTTP_ITEMS          dotted path to the list of companies (default: found by shape)
  REGISTRY_HTTP_FIELDS         our=theirs pairs, comma separated (or a JSON object), on top
                               of the built-in aliases of the common providers' field names
  REGISTRY_HTTP_TIMEOUT        seconds, default 2
  REGISTRY_HTTP_CACHE_SECONDS  default 300 (answers are cached; failures are not)

Any failure (connection error, timeout, HTTP error, garbage) gives an empty answer and a
warning in the log, which names the host but never the token: the UI falls back to manual fill.
"""
import json
import logging
import re
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone

from webapp.core import taxid
from webapp.core.business_fields import clean_date
from webapp.core.text import CONTROL
from webapp.models.business_fields import FIELD, FIELDS
from webapp.registry.company import INFO_FIELDS, CompanyInfo

log = logging.getLogger(__name__)
MAX_BYTES = 1024 * 1024
MAX_CACHE = 1024
QUERY_PARAMS = {"generic": "q", "qichacha": "searchKey", "tianyancha": "word"}
ITEM_PATHS = ["", "Result", "result.items", "result", "data.items", "data.list", "data",
              "items", "results"]
TAG_RE = re.compile(r"<[^>]{0,40}>")  # 天眼查 highlights matches with <em>…</em>


def parse_fields(spec: str | dict | None) -> dict[str, str]:
    """REGISTRY_HTTP_FIELDS as {our_field: their_key}."""
    if not spec:
        return {}
    if isinstance(spec, str) and spec.strip().startswith("{"):
        spec = json.loads(spec)
    if isinstance(spec, str):
        spec = dict(pair.split("=", 1) for pair in spec.split(",") if "=" in pair)
    return {ours.strip(): theirs.strip() for ours, theirs in spec.items() if ours.strip() in FIELD}


def _text(value, name: str) -> str | None:
    """One field of an answer as the 新增企业 form will accept it (what it would refuse is
    dropped or cut, since an answer cannot be sent back): the form's date rule, no control
    characters, at most the field's length."""
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return None
    if name == "established_on":
        if isinstance(value, (int, float)):  # 天眼查: milliseconds since the epoch
            try:
                value = datetime.fromtimestamp(value / 1000, timezone.utc).date().isoformat()
            except (OverflowError, OSError, ValueError):
                return None
        return clean_date(str(value))[0]
    text = CONTROL.sub("", TAG_RE.sub("", str(value))).strip()
    return text[:FIELD[name].max_length] or None


class HttpProvider:
    """Search a remote 工商 API; small TTL cache; never raises."""

    def __init__(self, url: str, token: str | None = None, token_header: str = "Authorization",
                 query_param: str = "q", items_path: str | None = None,
                 fields: dict[str, str] | None = None, timeout: float = 2.0,
                 cache_seconds: float = 300.0):
        self.url, self.token, self.token_header = url, token, token_header
        self.query_param, self.items_path = query_param, items_path
        # Our field ← a configured key, then our own name, then the common providers' keys.
        self.keys = {f.name: ([fields[f.name]] if fields and f.name in fields else [])
                     + [f.name, *f.provider_keys] for f in FIELDS}
        self.timeout, self.cache_seconds = float(timeout), float(cache_seconds)
        self._cache: dict[str, tuple[float, list[CompanyInfo]]] = {}
        self._lock = threading.Lock()
        self.host = urllib.parse.urlsplit(url or "").netloc or "(no REGISTRY_HTTP_URL)"

    @classmethod
    def from_settings(cls, setting) -> "HttpProvider":
        mapping = setting("REGISTRY_HTTP_MAPPING").strip().lower()
        return cls(
            url=setting("REGISTRY_HTTP_URL") or "",
            token=setting("REGISTRY_HTTP_TOKEN") or None,
            token_header=setting("REGISTRY_HTTP_TOKEN_HEADER"),
            query_param=setting("REGISTRY_HTTP_QUERY_PARAM") or QUERY_PARAMS.get(mapping, "q"),
            items_path=setting("REGISTRY_HTTP_ITEMS") or None,
            fields=parse_fields(setting("REGISTRY_HTTP_FIELDS")),
            timeout=float(setting("REGISTRY_HTTP_TIMEOUT")),
            cache_seconds=float(setting("REGISTRY_HTTP_CACHE_SECONDS")),
        )

    def suggest(self, query: str, limit: int) -> list[CompanyInfo]:
        return self._search(query)[:limit]

    def lookup_tax_id(self, tax_id: str) -> CompanyInfo | None:
        return next((c for c in self._search(tax_id) if c.tax_id == tax_id), None)

    def _search(self, query: str) -> list[CompanyInfo]:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(query)
        if hit and hit[0] > now:
            return hit[1]
        try:
            found = self._parse(self._fetch(query))
        except Exception as exc:  # noqa: BLE001 — any failure means manual fill, never a 500
            log.warning("registry HTTP provider %s failed: %s", self.host, type(exc).__name__)
            return []
        with self._lock:
            if len(self._cache) >= MAX_CACHE:
                self._cache.clear()
            self._cache[query] = (now + self.cache_seconds, found)
        return found

    def _fetch(self, query: str):
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https"):
            raise ValueError("REGISTRY_HTTP_URL must be http(s)")
        params = urllib.parse.urlencode({self.query_param: query})
        url = self.url + ("&" if parts.query else "?") + params
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        if self.token:
            request.add_header(self.token_header, self.token)
        deadline = time.monotonic() + self.timeout
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            body = b""
            while chunk := response.read(64 * 1024):
                body += chunk
                if len(body) > MAX_BYTES or time.monotonic() > deadline:
                    raise TimeoutError("answer too large or too slow")
        return json.loads(body.decode("utf-8"))

    def _items(self, payload) -> list:
        paths = [self.items_path] if self.items_path else ITEM_PATHS
        for path in paths:
            node = payload
            for key in filter(None, path.split(".")):
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, dict) and self._pick(node, "name") is not None:
                return [node]  # a single-company answer
            if isinstance(node, list):
                return node
        return []

    def _pick(self, item: dict, name: str):
        return next((item[key] for key in self.keys[name] if item.get(key) not in (None, "")),
                    None)

    def _parse(self, payload) -> list[CompanyInfo]:
        found = []
        for item in self._items(payload):
            if not isinstance(item, dict):
                continue
            values = {name: _text(self._pick(item, name), name) for name in INFO_FIELDS}
            values["tax_id"] = taxid.normalise(values["tax_id"] or "")
            if values["name"] and values["tax_id"]:
                found.append(CompanyInfo(**values))
        return found
