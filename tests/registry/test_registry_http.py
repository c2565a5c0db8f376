"""The HTTP 工商 provider against a real HTTP server on loopback: normal, slow, 500, garbage."""
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from webapp.core import taxid
from webapp.registry import service as registry

TOKEN = "tok-SECRET-5f3a9c"


def uscc(n: int) -> str:
    return taxid.compose("91440300", f"{n:08d}")


QICHACHA = {"Status": "200", "Message": "查询成功", "Result": [
    {"KeyNo": "abc", "Name": "深圳华盛科技有限公司", "CreditCode": uscc(1), "OperName": "王伟",
     "RegistCapi": "1000万元人民币", "StartDate": "2016-03-01T00:00:00", "Status": "存续",
     "EconKind": "有限责任公司(自然人投资或控股)", "Address": "深圳市南山区科技路1号",
     "BelongOrg": "深圳市市场监督管理局", "Scope": "技术开发"},
    {"Name": "深圳华盛电子有限公司", "CreditCode": uscc(2)},
]}
TIANYANCHA = {"error_code": 0, "reason": "ok", "result": {"total": 1, "items": [
    {"name": "<em>华盛</em>供应链管理有限公司", "creditCode": uscc(3), "legalPersonName": "李娜",
     "regCapital": "500万人民币", "estiblishTime": 1458000000000, "regStatus": "存续（在营、开业、在册）",
     "companyOrgType": "有限责任公司", "regLocation": "深圳市福田区", "regInstitute": "福田局",
     "businessScope": "供应链管理", "companyType": 1},
]}}
GARBAGE = [b"<html>Bad Gateway</html>", b'{"Result": "oops"}', b"[1, 2, \"x\"]",
           b'{"Result": [{"Name": {"x": 1}, "CreditCode": ["a"]}, {"Name": "no tax id"}]}',
           b'{"Result": [{"Name": "truncated', b"\xff\xfe\x00garbage", b"null", b""]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        server = self.server
        server.requests.append((self.path, dict(self.headers)))
        if server.delay:
            time.sleep(server.delay)
        self.send_response(server.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(server.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def api():
    """A JSON API on loopback; set .body/.status/.delay, read .requests."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.body, server.status, server.delay, server.requests = b"{}", 200, 0.0, []
    server.url = f"http://127.0.0.1:{server.server_address[1]}/v1/search"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_app(make_app, api):
    def factory(**config):
        app = make_app(REGISTRY_PROVIDER="http", REGISTRY_HTTP_URL=api.url,
                       REGISTRY_HTTP_TOKEN=TOKEN, **config)
        return app
    return factory


def test_qichacha_answer_maps_to_company_info(http_app, api):
    api.body = json.dumps(QICHACHA).encode()
    with http_app(REGISTRY_HTTP_MAPPING="qichacha").app_context():
        found = registry.suggest("深圳华盛")

    assert [c.name for c in found] == ["深圳华盛科技有限公司", "深圳华盛电子有限公司"]
    first = found[0]
    assert (first.tax_id, first.legal_rep, first.registered_capital, first.established_on,
            first.reg_status, first.company_type, first.address, first.authority,
            first.business_scope) == (
        uscc(1), "王伟", "1000万元人民币", "2016-03-01", "存续", "有限责任公司(自然人投资或控股)",
        "深圳市南山区科技路1号", "深圳市市场监督管理局", "技术开发")
    path, headers = api.requests[0]
    assert parse_qs(urlsplit(path).query) == {"searchKey": ["深圳华盛"]}
    assert headers["Authorization"] == TOKEN


def test_tianyancha_answer_maps_to_company_info(http_app, api):
    api.body = json.dumps(TIANYANCHA).encode()
    with http_app(REGISTRY_HTTP_MAPPING="tianyancha").app_context():
        (company,) = registry.suggest("华盛供应链")
        assert registry.lookup_tax_id(uscc(3)).name == "华盛供应链管理有限公司"

    assert company.name == "华盛供应链管理有限公司"  # <em> highlight tags dropped
    assert company.legal_rep == "李娜" and company.established_on == "2016-03-15"
    assert company.company_type == "有限责任公司" and company.authority == "福田局"
    assert parse_qs(urlsplit(api.requests[0][0]).query) == {"word": ["华盛供应链"]}


def test_custom_field_names_and_items_path(http_app, api):
    api.body = json.dumps({"data": {"rows": [{"corp": "自定义有限公司", "code": uscc(4),
                                              "boss": "赵强"}]}}).encode()
    app = http_app(REGISTRY_HTTP_ITEMS="data.rows", REGISTRY_HTTP_QUERY_PARAM="keyword",
                   REGISTRY_HTTP_FIELDS="name=corp, tax_id=code, legal_rep=boss")
    with app.app_context():
        (company,) = registry.suggest("自定义")

    assert (company.name, company.tax_id, company.legal_rep) == ("自定义有限公司", uscc(4), "赵强")
    assert "keyword=" in api.requests[0][0]


def test_answers_are_cached(http_app, api):
    api.body = json.dumps(QICHACHA).encode()
    with http_app().app_context():
        first = registry.suggest("深圳华盛")
        second = registry.suggest("深圳华盛")
        registry.suggest("深圳华盛电子")

    assert first == second and len(api.requests) == 2


def test_slow_answer_times_out_to_empty(http_app, api, caplog):
    api.body, api.delay = json.dumps(QICHACHA).encode(), 1.5
    with http_app(REGISTRY_HTTP_TIMEOUT=0.3).app_context():
        started = time.monotonic()
        assert registry.suggest("深圳华盛") == []
        waited = time.monotonic() - started
        assert registry.lookup_tax_id(uscc(1)) is None

    assert waited < 1.4  # gave up before the server answered
    assert "registry HTTP provider 127.0.0.1" in caplog.text


def test_default_timeout_is_two_seconds(http_app):
    with http_app().app_context():
        assert registry.provider().timeout == 2.0


def test_server_error_means_empty_and_is_not_cached(http_app, api):
    api.status, api.body = 500, json.dumps(QICHACHA).encode()
    with http_app().app_context():
        assert registry.suggest("深圳华盛") == []
        api.status = 200
        assert len(registry.suggest("深圳华盛")) == 2


@pytest.mark.parametrize("body", GARBAGE)
def test_garbage_means_empty(http_app, api, body):
    api.body = body
    with http_app().app_context():
        assert registry.suggest("深圳华盛") == []
        assert registry.lookup_tax_id(uscc(1)) is None


def test_unreachable_server_and_bad_url_mean_empty(make_app, api):
    port = api.server_address[1]
    api.shutdown()
    api.server_close()
    for url in (f"http://127.0.0.1:{port}/gone", "file:///etc/passwd", "not a url", ""):
        with make_app(REGISTRY_PROVIDER="http", REGISTRY_HTTP_URL=url).app_context():
            assert registry.suggest("深圳华盛") == []


def test_token_never_reaches_the_log(http_app, api, caplog):
    caplog.set_level(logging.DEBUG)
    api.status = 500
    with http_app(REGISTRY_HTTP_TIMEOUT=0.5).app_context():
        registry.suggest("深圳华盛")
        api.status, api.body = 200, b"garbage"
        registry.suggest("深圳华盛科技")

    assert caplog.records and TOKEN not in caplog.text
    assert all(TOKEN not in str(record.args) for record in caplog.records)


def test_cache_can_be_turned_off(http_app, api):
    api.body = json.dumps(QICHACHA).encode()
    with http_app(REGISTRY_HTTP_CACHE_SECONDS=0).app_context():
        registry.suggest("深圳华盛")
        registry.suggest("深圳华盛")

    assert len(api.requests) == 2


def test_registry_settings_come_from_the_environment_once(make_app, monkeypatch):
    """The provider is chosen from the configuration the app was built with (which reads the
    environment at start-up), not from whatever the environment says later."""
    from webapp.registry import service as registry

    monkeypatch.setenv("REGISTRY_PROVIDER", "http")
    monkeypatch.setenv("REGISTRY_HTTP_URL", "http://127.0.0.1:9/search")
    from_env = make_app()
    assert from_env.config["REGISTRY_PROVIDER"] == "http"
    with from_env.app_context():
        assert type(registry.provider()).__name__ == "HttpProvider"
    monkeypatch.delenv("REGISTRY_PROVIDER")
    built_without = make_app()
    monkeypatch.setenv("REGISTRY_PROVIDER", "http")
    with built_without.app_context():
        assert type(registry.provider()).__name__ == "LocalProvider"


def test_an_answer_the_form_would_refuse_is_cut_to_what_it_takes_and_saves(
        http_app, api, make_admin):
    """A 4,500-character 经营范围, a zero-width space in the name and a 成立日期 after today:
    the company comes back as the 新增企业 form accepts it, and picking it then 【保存】 works."""
    from factories import form_values, login

    from webapp.extensions import db
    from webapp.models import Enterprise

    scope = "软件开发；" * 900
    api.body = json.dumps({"Result": [
        {"Name": "深圳\u200b长范围科技有限公司", "CreditCode": uscc(7), "Scope": scope,
         "StartDate": "2999-01-01 00:00:00", "OperName": "王伟"}]}).encode()
    app = http_app(REGISTRY_HTTP_MAPPING="qichacha")
    with app.app_context():
        (company,) = registry.suggest("深圳长范围")
    assert company.name == "深圳长范围科技有限公司" and company.established_on is None
    assert company.business_scope == scope[:4000]

    client = app.test_client()
    login(client, make_admin()["email"])
    html = client.get(f"/enterprises/new?pick={uscc(7)}").get_data(as_text=True)
    assert 'value="深圳长范围科技有限公司"' in html and 'value="王伟"' in html
    values = form_values(html)
    assert values["business_scope"] == scope[:4000] and values["established_on"] == ""
    response = client.post("/enterprises/new", data={**values, "submit": "保存"})
    assert response.status_code == 303
    with app.app_context():
        saved = db.session.query(Enterprise).one()
        assert (saved.source, len(saved.business_scope)) == ("registry", 4000)
