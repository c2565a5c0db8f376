"""Small helpers for answering htmx and plain requests from the same view."""
from flask import Response, make_response, redirect, render_template, request


def is_htmx() -> bool:
    """True when htmx made the request (and it is not a history restore)."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def render(page: str, fragment: str | None = None, status: int = 200, **ctx) -> Response:
    """Render the fragment for htmx, the full page otherwise; both vary on HX-Request."""
    template = fragment if fragment and is_htmx() else page
    response = make_response(render_template(template, **ctx), status)
    response.vary.add("HX-Request")
    return response


def hx_redirect(url: str) -> Response:
    """Redirect: `HX-Redirect` for htmx, 303 See Other for a plain form post."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)
