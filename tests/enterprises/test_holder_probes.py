"""新增企业 and the bulk-import preview name the tenant holding a tax ID (the seed's sentence), but a
tenant may look up only so many tax IDs of other tenants an hour: past that the holder is not
named (429 on the form; withheld on the preview's rows), so the pages are no directory."""
import io

import pytest
from factories import add_enterprises, login, tax_id
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Enterprise

HOLDER = "杭州另一集团有限公司"


@pytest.fixture
def limited(make_app, make_admin):
    """An app allowing 3 look-ups an hour, a tenant signed in, and 5 tax IDs of another tenant."""
    app = make_app(HOLDER_PROBE_LIMIT=3)
    admin = make_admin()
    other = make_admin(customer=HOLDER, email="other@example.com")
    add_enterprises(app, other["tenant_id"], 5, name="另一集团子公司")
    with app.app_context():
        held = list(db.session.scalars(select(Enterprise.tax_id).where(
            Enterprise.tenant_id == other["tenant_id"]).order_by(Enterprise.id)))
    client = app.test_client()
    login(client, admin["email"])
    return app, client, held, other


def _add(client, tax):
    return client.post("/enterprises/new", data={"name": "想要的企业", "tax_id": tax, "source": "manual"})


def test_the_form_names_the_holder_of_three_then_refuses(limited):
    app, client, held, _ = limited
    for tax in held[:3]:
        answer = _add(client, tax)
        assert answer.status_code == 422 and HOLDER in answer.get_data(as_text=True)
    again = _add(client, held[0])  # one already looked up costs nothing more
    assert again.status_code == 422 and HOLDER in again.get_data(as_text=True)
    refused = _add(client, held[3])
    text = refused.get_data(as_text=True)
    assert refused.status_code == 429 and HOLDER not in text
    assert "查询其他租户已绑定的企业税号次数过多" in text and "分钟后再试" in text


def test_another_tenant_has_its_own_count(limited, make_admin):
    app, client, held, _ = limited
    for tax in held[:3]:
        _add(client, tax)
    third = app.test_client()
    login(third, make_admin(customer="无锡第三家有限公司", email="third@example.com")["email"])
    answer = _add(third, held[4])
    assert answer.status_code == 422 and HOLDER in answer.get_data(as_text=True)


def test_the_preview_names_three_holders_and_withholds_the_rest(limited):
    app, client, held, _ = limited
    rows = "\n".join(f"子公司{n},{tax}" for n, tax in enumerate(held))
    csv = "企业名称,企业税号\n" + rows + f"\n新的子公司,{tax_id(77)}\n"
    answer = client.post("/enterprises/import", content_type="multipart/form-data",
                         data={"file": (io.BytesIO(csv.encode("utf-8-sig")), "e.csv")})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert text.count(f"在租户【{HOLDER}】下已有数据") == 3
    assert text.count("暂不显示所属租户") == 2
    # a second look at the same file names the same three and no more
    answer = client.post("/enterprises/import", content_type="multipart/form-data",
                         data={"file": (io.BytesIO(csv.encode("utf-8-sig")), "e.csv")})
    assert answer.get_data(as_text=True).count(f"在租户【{HOLDER}】下已有数据") == 3
    assert _add(client, held[4]).status_code == 429
