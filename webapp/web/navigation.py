"""Where a page leads back to: a `next` carried through a form, only ever a path on this site."""
from urllib.parse import urlsplit

from flask import Flask, current_app, request

MAX_LENGTH = 500


def safe_path(target: str | None) -> str | None:
    """`target` if it is a same-site path (`/orders/3`), else None.

    Refused: absolute and scheme-relative URLs (`https://x`, `//x`), backslashes (browsers read
    `/\\x` as `//x`), control characters and anything overlong: each could send the user to
    another site or into a broken Location header.
    """
    if not target or len(target) > MAX_LENGTH or not target.startswith("/"):
        return None
    if target.startswith("//") or "\\" in target or any(ord(c) < 32 or c == "\x7f" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def here() -> str:
    """This page's URL without its query string, behind the mount point (SCRIPT_NAME): what
    url_for builds for the current view and its path values, without the router."""
    return request.script_root + request.path


def return_to() -> str | None:
    """The request's `next` (query string or form), when it is a same-site path."""
    return safe_path(request.values.get("next"))


def follow_served_address() -> None:
    """Development without PUBLIC_BASE_URL: links in emails queued by this request point where
    the request came (another port, a LAN address), not at a fixed 127.0.0.1:5000."""
    current_app.config["PUBLIC_BASE_URL"] = request.url_root.rstrip("/")


def register(app: Flask) -> None:
    app.add_template_global(return_to, "return_to")
    if app.config.get("PUBLIC_BASE_URL_FROM_REQUEST"):
        app.before_request(follow_served_address)
