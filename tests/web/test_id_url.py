"""web/templating.id_url: the same URL url_for builds, for a route whose arguments are ids."""
import pytest
from flask import url_for

from webapp.web.templating import id_url

SAME = [("allocation.toggle", {"order_id": 7, "line_id": 42}),
        ("allocation.panel", {"order_id": 1, "line_id": 2**31 - 1}),
        ("enterprises.show", {"enterprise_id": 0}),
        ("main.configure", {"order_id": 3}),
        ("enterprises.index", {}),
        # Not a route of ids only, or not given exactly its ids: url_for builds it.
        ("allocation.toggle", {"order_id": 7, "line_id": 42, "q": "a b"}),
        ("allocation.toggle", {"order_id": 7, "line_id": "42"}),
        ("static", {"filename": "css/app.css"}),
        ("i18n.switch", {})]


@pytest.mark.parametrize("script_root", ["", "/portal"])
@pytest.mark.parametrize("endpoint, ids", SAME)
def test_id_url_is_url_for(app, script_root, endpoint, ids):
    with app.test_request_context(base_url=f"http://localhost{script_root}/"):
        assert id_url(endpoint, **ids) == url_for(endpoint, **ids)
        assert id_url(endpoint, **ids).startswith(script_root + "/")


def test_id_url_refuses_what_url_for_refuses(app):
    from werkzeug.routing import BuildError

    with app.test_request_context():
        with pytest.raises(BuildError):
            id_url("allocation.toggle", order_id=7)
        with pytest.raises(BuildError):
            id_url("no.such.endpoint", order_id=7)
