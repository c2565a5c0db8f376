"""A path id past PostgreSQL's integer (2³¹−1) is a 404, never an int4 overflow."""
import pytest
from factories import login

TENANT_URLS = ["/orders/2147483648", "/enterprises/9999999999",
               "/orders/2147483648/lines/1/allocate", "/orders/1/lines/99999999999/allocate",
               "/entitlements/tenants/2147483648"]
STAFF_URLS = ["/support/orders/2147483648", "/support/orders/99999999999999999999/emails",
              "/entitlements/tenants/2147483648/export.csv"]


@pytest.mark.parametrize("url", TENANT_URLS)
def test_tenant_admin_gets_404_for_an_id_past_int4(client, admin, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", STAFF_URLS)
def test_staff_gets_404_for_an_id_past_int4(client, make_staff, url):
    login(client, make_staff("ops"))
    assert client.get(url).status_code == 404


def test_the_largest_int4_id_is_still_routed(client, admin):
    assert client.get("/enterprises/2147483647").status_code == 404
    assert client.get(f"/orders/{admin['order_id']}").status_code == 200
