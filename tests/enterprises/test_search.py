"""One 企业名称 or 税号 search: the enterprise list, the 去分配 panel, 授权信息 and 权益查询 agree."""
import pytest

from factories import first_line

A = ("ABC智能科技有限公司", "91320500MA1AAAAA11")
B = ("苏州乙贸易有限公司", "91330100MA2BBBBB22")


@pytest.fixture
def pages(admin, make_batch, app):
    make_batch(admin, names=[A, B])
    line = first_line(app, admin["order_id"])
    return ["/enterprises/", f"/orders/{admin['order_id']}/lines/{line}/allocate",
            "/credentials/", "/entitlements/"]


@pytest.mark.parametrize("query, found", [
    ("abc", [A]),                 # the name ignores case
    ("ＡＢＣ智能", [A]),           # full-width letters are NFKC-normalised
    ("  苏州乙  ", [B]),            # trimmed
    ("91330100ma2", [B]),         # a tax ID prefix, upper-cased
    ("9133 0100-MA2", [B]),       # spaces and dashes inside a pasted tax ID
    ("MA2", []),                  # letters only cannot begin a tax ID: a name search
    ("有限公司", [A, B]),
    ("没有这家", []),
])
def test_every_list_searches_by_the_same_rule(client, pages, query, found):
    for path in pages:
        response = client.get(path, query_string={"q": query})
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        shown = [e for e in (A, B) if e[1] in html]
        assert shown == found, (path, query)
