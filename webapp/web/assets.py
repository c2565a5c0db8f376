"""Static files: fingerprinted names, gzip, and a year of caching.

At start-up every file under static/ is read once, hashed and (for text) gzipped in memory: a
handful of small files, so no build step and nothing on disk that could go stale. URLs carry
the content hash (`css/app.3f2a1b9c0d4e.css`, through url_for('static') and fixed_url), so a
browser keeps each version for a year (`immutable`) and a new version is a new URL. Without
the hash (an old bookmark) a file is served with `no-cache` and an ETag. In development a file
edited since start-up is read again on its next request or URL, so `make run` needs no restart.
WhiteNoise would need such a build step for hashed names outside Django; Flask's own static
view neither compresses nor fingerprints.
"""
import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, abort, request
from werkzeug.wrappers import Response

YEAR = 365 * 24 * 3600
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})(?P<ext>\.[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class Asset:
    name: str  # as in static/: css/app.css
    hashed: str  # css/app.3f2a1b9c0d4e.css
    raw: bytes
    gz: bytes | None
    mimetype: str
    etag: str
    mtime_ns: int


def _hashed_name(name: str, digest: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"


def _load(folder: Path, path: Path) -> Asset:
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()[:12]
    name = path.relative_to(folder).as_posix()
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    gz = None
    if mimetype.startswith(COMPRESSIBLE):
        packed = gzip.compress(raw, compresslevel=9, mtime=0)
        gz = packed if len(packed) < len(raw) else None
    return Asset(name, _hashed_name(name, digest), raw, gz, mimetype, digest,
                 path.stat().st_mtime_ns)


class Assets:
    def __init__(self, folder: Path, watch: bool = False):
        self.folder, self.watch = folder, watch
        self.by_name: dict[str, Asset] = {}
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            if path.is_file() and not path.name.startswith("."):
                asset = _load(folder, path)
                self.by_name[asset.name] = asset

    def get(self, name: str) -> Asset | None:
        asset = self.by_name.get(name)
        if self.watch:
            path = self.folder / name
            try:
                mtime = path.stat().st_mtime_ns if path.is_file() else None
            except OSError:
                mtime = None
            if mtime is not None and (asset is None or asset.mtime_ns != mtime) \
                    and path.resolve().is_relative_to(self.folder.resolve()):
                asset = self.by_name[name] = _load(self.folder, path)
        return asset

    def url_name(self, name: str) -> str:
        """The fingerprinted name to put in a URL (the name itself for an unknown file)."""
        asset = self.get(name)
        return asset.hashed if asset else name

    def find(self, requested: str) -> tuple[Asset | None, bool]:
        """The asset a URL names, and whether the URL carried its current hash."""
        match = HASHED.match(requested)
        if match:
            asset = self.get(match["stem"] + match["ext"])
            if asset is not None and asset.hashed == requested:
                return asset, True
        return self.get(requested), False

    def serve(self, filename: str) -> Response:
        asset, fingerprinted = self.find(filename)
        if asset is None:
            abort(404)
        etag = f'"{asset.etag}"'
        headers = {"ETag": etag, "Vary": "Accept-Encoding",
                   "Cache-Control": f"public, max-age={YEAR}, immutable" if fingerprinted
                   else "no-cache"}
        if etag in request.headers.get("If-None-Match", ""):
            return Response(status=304, headers=headers)
        body = asset.raw
        if asset.gz is not None and _accepts_gzip(request.headers.get("Accept-Encoding", "")):
            body = asset.gz
            headers["Content-Encoding"] = "gzip"
        mimetype = asset.mimetype
        if mimetype.startswith("text/") or mimetype == "application/javascript":
            mimetype += "; charset=utf-8"
        return Response(body, mimetype=mimetype, headers=headers)


def _accepts_gzip(header: str) -> bool:
    for part in header.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def register(app: Flask) -> None:
    """Serve static/ through Assets (the `static` endpoint keeps its name and URL)."""
    if not app.static_folder:
        return
    assets = Assets(Path(app.static_folder),
                    watch=app.debug or app.config.get("APP_ENV") == "development")
    app.extensions["assets"] = assets
    app.view_functions["static"] = assets.serve

    @app.url_defaults
    def fingerprint(endpoint, values):
        if endpoint == "static" and "filename" in values:
            values["filename"] = assets.url_name(values["filename"])
