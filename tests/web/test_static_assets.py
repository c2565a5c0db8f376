"""Static files go out fingerprinted, gzipped and cached for a year; a page costs one request
once they are cached. The no-JS path keeps working: the URLs are plain links."""
import gzip
import os
import re
from pathlib import Path

from webapp.web.assets import Assets

STATIC = Path(__file__).resolve().parents[2] / "static"


def _urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_link_fingerprinted_files(client):
    urls = _urls(client.get("/login").get_data(as_text=True))
    names = {re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", u) for u in urls}
    assert names == {"/static/favicon.svg", "/static/css/app.css", "/static/vendor/htmx.min.js",
                     "/static/js/app.js"}
    assert all(re.search(r"\.[0-9a-f]{12}\.\w+$", u) for u in urls)


def test_a_fingerprinted_file_is_gzipped_and_cached_for_a_year(client):
    url = next(u for u in _urls(client.get("/login").get_data(as_text=True)) if "htmx" in u)
    raw = (STATIC / "vendor" / "htmx.min.js").read_bytes()
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert gzip.decompress(response.data) == raw and len(response.data) < len(raw) * 0.4
    # a client that does not take gzip gets the file as it is
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.data == raw and "Content-Encoding" not in plain.headers
    assert client.get(url, headers={"Accept-Encoding": "gzip;q=0"}).data == raw
    # revalidation is cheap
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_a_name_without_its_hash_is_served_but_revalidated(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    assert response.data == (STATIC / "css" / "app.css").read_bytes()


def test_unknown_and_stale_names_are_not_found(client):
    for url in ("/static/css/app.000000000000.css", "/static/nope.css",
                "/static/../webapp/config.py", "/static/%2e%2e/webapp/config.py"):
        assert client.get(url).status_code == 404, url


def test_development_serves_an_edited_file_under_its_new_hash(make_app, tmp_path):
    app = make_app(APP_ENV="development")
    assets = app.extensions["assets"]
    assert assets.watch
    (tmp_path / "a.css").write_text("body { color: red }")
    watched = Assets(tmp_path, watch=True)
    first = watched.url_name("a.css")
    (tmp_path / "a.css").write_text("body { color: blue }")
    os.utime(tmp_path / "a.css", ns=(1, 10**18))
    second = watched.url_name("a.css")
    assert first != second and watched.find(second)[0].raw == b"body { color: blue }"
    assert Assets(tmp_path).watch is False  # production reads once
