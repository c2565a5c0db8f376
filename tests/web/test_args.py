"""Integer query arguments: anything but 1 ≤ n < 2³¹ is the default (the first page), never a 500."""
import re

TOKEN_RE = re.compile(r"[\w.-]{40,}")


def page_of(response) -> str:
    """The page without its CSRF tokens (signed with the time)."""
    return TOKEN_RE.sub("TOKEN", response.get_data(as_text=True))

BAD_CURSORS = ["²", "①", "99999999999999999999999", "2147483648", "0", "-1", "1e3", "abc"]


def test_a_bad_cursor_is_the_first_page(client, admin, make_batch):
    _, ids = make_batch(admin, names=[("甲企业有限公司", "91320500MA1AAAAA11"),
                                      ("乙企业有限公司", "91320500MA1AAAAA22")])
    paths = ["/credentials/", "/enterprises/", "/requests/", "/entitlements/",
             f"/orders/{admin['order_id']}/allocations"]
    for path in paths:
        first = page_of(client.get(path))
        for value in BAD_CURSORS:
            response = client.get(path, query_string={"after": value, "before": value})
            assert response.status_code == 200, (path, value)
            assert page_of(response) == first, (path, value)
    assert "甲企业有限公司" in first and "乙企业有限公司" in first


def test_a_bad_cursor_on_the_support_console_is_the_first_page(client, make_staff, make_order):
    from factories import login

    make_order()
    login(client, make_staff("support"))
    first = page_of(client.get("/support/"))
    for value in BAD_CURSORS:
        response = client.get("/support/", query_string={"after": value})
        assert response.status_code == 200, value
        assert page_of(response) == first, value


def test_int_arg_bounds(app):
    from webapp.web.args import int_arg

    cases = {"1": 1, "2147483647": 2**31 - 1, "2147483648": None, "0": None, "-3": None,
             "²": None, "99999999999999999999999": None, "": None, "12a": None,
             # int() reads these, the one id rule (core/ids.parse_id) does not:
             "٣": None, "３": None, "+7": None, "1_0": None, " 7": None, "007": 7}
    for raw, expected in cases.items():
        with app.test_request_context("/", query_string={"n": raw}):
            assert int_arg("n") == expected, raw
            assert int_arg("n", 5) == (5 if expected is None else expected), raw
    with app.test_request_context("/"):
        assert int_arg("n") is None
