"""The counting rules under every limit: keys from any text, and `take` never handing out more
slots than the limit to parallel attempts (memory, and Redis when TEST_REDIS_URL is set)."""
import os
import threading
import uuid

import pytest

from webapp.core import ids, jsonbody
from webapp.core.ratelimit import FailureLimit, Guard


@pytest.fixture(params=["memory", "redis"])
def limiter_app(request, make_app):
    if request.param == "redis":
        url = os.environ.get("TEST_REDIS_URL")
        if not url:
            from fixtures.database import needs
            needs("Redis", "TEST_REDIS_URL is not set")
        return make_app(REDIS_URL=url)
    return make_app()


def _fresh(name: str) -> str:
    """A namespace of this run only (the Redis database may be shared by other runs)."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def test_take_never_hands_out_more_than_the_limit(limiter_app):
    limit = FailureLimit(_fresh("test-take"), 50, 600)
    results = []

    def attempt():
        with limiter_app.app_context():
            results.append(limit.take("order:1"))

    threads = [threading.Thread(target=attempt) for _ in range(80)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(None) == 50 and all(wait >= 1 for wait in results if wait)


def test_keys_from_any_text(limiter_app):
    limit = FailureLimit(_fresh("test-keys"), 2, 600)
    with limiter_app.app_context():
        for key in ("client:\ud800", "client:\x00", "client:" + "长" * 5000):
            limit.fail(key)
            assert limit.remaining(key) == 1 and limit.seen(key)
            assert not limit.seen(key + "x")


def test_a_guard_stops_an_address_before_it_uses_up_the_ceiling(limiter_app):
    guard = Guard(FailureLimit(_fresh("test-pair"), 2, 600), FailureLimit(_fresh("test-ceiling"), 5, 600),
                  target="order:7", ip="203.0.113.9")
    with limiter_app.app_context():
        assert [guard.take() for _ in range(2)] == [None, None]
        refused = [guard.take() for _ in range(10)]
        assert all(r.address_over for r in refused)
        other = Guard(guard.per_address, guard.ceiling, target="order:7", ip="198.51.100.1")
        assert other.take() is None  # the ceiling kept 3 of its 5 for everyone else


@pytest.mark.parametrize("value,expected", [
    ("1700000000000123", "1700000000000123"), ("١٧٠٠٠٠٠٠٠٠٠٠٠١٢٣", None),
    ("１７０００００００００００１２３", None), ("17000000000001²3", None), ("+700000000000123", None),
    ("170000000000012", None), (1700000000000123, None), (None, None),
])
def test_digits_are_ascii_only(value, expected):
    assert ids.digits(value, 16) == expected


@pytest.mark.parametrize("text", ["[" * 30_000 + "]" * 30_000, '{"a":' * 10_000 + "1" + "}" * 10_000,
                                  "[" * 33 + "]" * 33])
def test_nesting_is_bounded_before_parsing(text):
    with pytest.raises(jsonbody.BadJson, match="嵌套"):
        jsonbody.parse(text)


def test_brackets_inside_strings_do_not_count():
    text = '{"a": "' + "[" * 5000 + '\\" {{{", "b": [[1]]}'
    assert jsonbody.parse(text)["b"] == [[1]]
    assert jsonbody.parse("[" * 32 + "]" * 32) is not None
    with pytest.raises(jsonbody.BadJson):
        jsonbody.parse(b"\xff")
