"""Test and production credentials (测试环境 / 正式环境): each answers only at its own
environment's address, each is reset on its own, both go out in the authorization email, and
the credentials issued before there were two became the production ones."""
import re
from html import unescape

import pytest
from erp_client import ErpClient
from factories import allocate, csrf_token, login
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text

from webapp import create_app
from webapp.core import outbox
from webapp.credentials import service as credentials
from webapp.extensions import db
from webapp.models import ConnectionCheck, Credential, Order, OutboxEmail

from fixtures.database import BASE_CONFIG, _create_pg_database, _drop_pg_database


def _both(app, enterprise_id) -> dict[str, dict]:
    with app.app_context():
        return {env: credentials.reveal(credentials.enterprise_credential(enterprise_id, env))
                for env in ("test", "production")}


def _erp(server, values, environment) -> ErpClient:
    base = server.url + ("/test" if environment == "test" else "")
    return ErpClient(base, values["client_id"], values["client_secret"], values["encry_key"])


@pytest.fixture
def two_sets(live_server, make_admin, make_batch):
    server = live_server()
    server.app.config["PUBLIC_BASE_URL"] = server.url
    admin = make_admin()
    (enterprise_id,) = allocate(server.app, admin, make_batch, count=1)
    return server, admin, enterprise_id, _both(server.app, enterprise_id)


def test_each_set_passes_the_check_of_its_own_environment(two_sets):
    server, admin, enterprise_id, sets = two_sets
    assert sets["test"]["client_id"].startswith("fpy-test-e-")
    assert sets["production"]["client_id"].startswith("fpy-e-")
    assert len({v["client_secret"] for v in sets.values()}) == 2  # not the same secret twice
    client = server.app.test_client()
    login(client, admin["email"], csrf=True)

    erp = _erp(server, sets["test"], "test")
    echo = erp.echo_call(erp.token(), {"hello": "测试"}).json()
    assert echo["errcode"] == "0000" and "测试环境" in echo["description"]
    assert echo["data"]["environment"] == "test" and echo["data"]["payload"] == {"hello": "测试"}
    # a passed test check shows, but going live is the production check
    page = unescape(client.get(f"/golive/setup/{enterprise_id}").get_data(as_text=True))
    assert "测试环境连接已验证" in page and ">连接已验证<" not in page

    erp = _erp(server, sets["production"], "production")
    echo = erp.echo_call(erp.token(), {"hello": "正式"}).json()
    assert echo["errcode"] == "0000" and echo["data"]["environment"] == "production"
    page = unescape(client.get(f"/golive/setup/{enterprise_id}").get_data(as_text=True))
    assert ">连接已验证<" in page


def test_a_set_at_the_other_environments_address_is_told_so(two_sets):
    """The top support question of going live: 1010 names both environments and the right
    address, is kept as the credential's last failure, and issues nothing."""
    server, admin, enterprise_id, sets = two_sets
    wrong = _erp(server, sets["test"], "production").token_call().json()
    assert wrong["errcode"] == "1010" and "access_token" not in wrong
    assert "这是测试环境的授权信息，不能用于正式环境的连接检查" in wrong["description"]
    assert f"{server.url}/test" in wrong["description"]
    wrong = _erp(server, sets["production"], "test").token_call().json()
    assert wrong["errcode"] == "1010" and "这是正式环境的授权信息" in wrong["description"]
    assert f"请求地址应为 {server.url}；" in wrong["description"] + "；"
    # a token earned in the test environment opens no echo at the production address
    token = _erp(server, sets["test"], "test").token()
    echo = _erp(server, sets["test"], "production").echo_call(token, {"a": 1}).json()
    assert echo["errcode"] == "1010" and "data" not in echo
    with server.app.app_context():
        failed = dict(db.session.execute(
            select(Credential.environment, ConnectionCheck.failure_code)
            .join(ConnectionCheck, ConnectionCheck.credential_id == Credential.id)
            .where(Credential.enterprise_id == enterprise_id)).all())
    assert failed == {"test": "1010", "production": "1010"}
    client = server.app.test_client()
    login(client, admin["email"], csrf=True)
    page = unescape(client.get("/credentials/").get_data(as_text=True))
    assert re.search(r"最近失败 [^<]*（(测试|正式)环境，1010）", page)


def test_each_set_is_reset_on_its_own(two_sets):
    server, admin, enterprise_id, sets = two_sets
    client = server.app.test_client()
    login(client, admin["email"], csrf=True)
    with server.app.app_context():
        test_id = credentials.enterprise_credential(enterprise_id, "test").id
        db.session.execute(db.delete(OutboxEmail))
        db.session.commit()
    response = client.post(f"/credentials/{test_id}/rotate", data={
        "confirmed": "yes", "csrf_token": csrf_token(client, "/credentials/")})
    assert response.status_code == 303
    after = _both(server.app, enterprise_id)
    assert after["production"] == sets["production"]
    assert after["test"]["client_secret"] != sets["test"]["client_secret"]
    assert after["test"]["client_id"] == sets["test"]["client_id"]
    assert _erp(server, after["production"], "production").token_call().json()["errcode"] == "0000"
    assert _erp(server, sets["test"], "test").token_call().json()["errcode"] == "1002"
    with server.app.app_context():
        (email,) = db.session.scalars(select(OutboxEmail)).all()
        body = outbox.body(email)[0]
    # the email carries the new test set with its address, and not the production one
    assert after["test"]["client_secret"] in body and f"[测试环境] {server.url}/test" in body
    assert sets["production"]["client_id"] not in body
    assert "企业授权（测试环境）的密钥已重置" in unescape(client.get("/credentials/").get_data(as_text=True))


def test_the_authorization_email_gives_both_sets_with_their_base_urls(make_app, make_admin,
                                                                      make_batch):
    app = make_app(GOLIVE_BASE_URL_TEST="https://api-test.example.com/sandbox",
                   GOLIVE_BASE_URL_PRODUCTION="https://api.example.com")
    admin = make_admin()
    ids = allocate(app, admin, make_batch, count=2)
    with app.app_context():
        email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "authorization"))
        body, html = outbox.body(email)
        tenant = {c.environment: credentials.reveal(c) for c in db.session.scalars(
            select(Credential).where(Credential.tenant_id == admin["tenant_id"],
                                     Credential.enterprise_id.is_(None)))}
    assert set(tenant) == {"test", "production"}
    for enterprise_id in ids:
        for values in _both(app, enterprise_id).values():
            assert values["client_id"] in body and values["client_secret"] in body
            assert values["encry_key"] in html
    for values in tenant.values():
        assert values["client_secret"] in body
    assert body.count("[测试环境] https://api-test.example.com/sandbox") == 3  # tenant + 2
    assert body.count("[正式环境] https://api.example.com\n") == 3
    assert "测试环境的授权只能用于测试环境地址" in body


def test_the_eas_card_says_which_not_prod_value_goes_with_which_set(app, client, admin,
                                                                    make_batch):
    (enterprise_id,) = allocate(app, admin, make_batch, count=1)
    with app.app_context():
        db.session.get(Order, admin["order_id"]).erp = "eas"
        db.session.commit()
    page = unescape(client.get(f"/golive/setup/{enterprise_id}").get_data(as_text=True))
    test_card = page[page.index('id="setup-eas-test"'):page.index('id="setup-eas-production"')]
    production_card = page[page.index('id="setup-eas-production"'):]
    sets = _both(app, enterprise_id)
    for card, environment, not_prod in ((test_card, "test", "true"),
                                        (production_card, "production", "false")):
        assert re.search(rf'invoicecloud\.not_prod</dt>\s*<dd>.*?>{not_prod}</code>', card, re.S)
        assert sets[environment]["client_id"] in card
        other = sets["production" if environment == "test" else "test"]["client_id"]
        assert other not in card
    assert f"{app.config['PUBLIC_BASE_URL']}/test/base/push/issue?" in test_card


def _migrated_to(url: str, revision: str) -> None:
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision=revision)
        db.engine.dispose()


def _insert_credential(engine, cid: int, scope: str, enterprise: int | None,
                       environment: str | None = None) -> None:
    """One credential row of tenant 1 in its own transaction, as raw SQL (before 0020, without
    an environment)."""
    columns = "id, scope, tenant_id, enterprise_id, client_id, client_secret_enc, encry_key_enc, " \
              "created_at, status" + (", environment" if environment else "")
    values = ":id, :scope, 1, :e, :cid, 'x', 'y', CURRENT_TIMESTAMP, 'active'" \
             + (", :env" if environment else "")
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO credential ({columns}) VALUES ({values})"),
                     dict(id=cid, scope=scope, e=enterprise, cid=f"fpy-{cid}", env=environment))


def test_credentials_issued_before_become_the_production_ones(database_url, tmp_path):
    """Migration 0020 on a database holding credentials: each becomes the 正式环境 one, and the
    schema then allows one set per environment, never two in one."""
    pg = database_url.startswith("postgresql")
    name, url = _create_pg_database() if pg else (None, f"sqlite:///{tmp_path / 'm.sqlite3'}")
    try:
        _migrated_to(url, "0019")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO tenant (id, name, created_at, enterprise_count) "
                              "VALUES (1, '甲', CURRENT_TIMESTAMP, 1)"))
            conn.execute(text("INSERT INTO enterprise (id, tenant_id, tax_id, name, source, created_at) "
                              "VALUES (1, 1, '91320500MA1AAAAA11', '甲企业', 'manual', CURRENT_TIMESTAMP)"))
        _insert_credential(engine, 1, "tenant", None)
        _insert_credential(engine, 2, "enterprise", 1)
        _migrated_to(url, "head")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT id, environment FROM credential ORDER BY id")).all() \
                == [(1, "production"), (2, "production")]
        _insert_credential(engine, 3, "tenant", None, "test")
        _insert_credential(engine, 4, "enterprise", 1, "test")
        for cid, scope, enterprise, environment in ((5, "enterprise", 1, "test"),
                                                    (6, "tenant", None, "production"),
                                                    (7, "enterprise", 1, "staging")):
            with pytest.raises(Exception, match="(?i)unique|check"):
                _insert_credential(engine, cid, scope, enterprise, environment)
        engine.dispose()
    finally:
        if name:
            _drop_pg_database(name)


def test_issue_missing_gives_the_test_set_to_what_held_only_a_production_one(
        app, client, admin, make_batch):
    """After migration 0020 the enterprises and tenants of before hold only their production
    set: `flask credentials issue-missing` issues the test set of each that holds something
    (once: a second run issues nothing), and none for a tax ID holding nothing."""
    from webapp.models import AuditEntry, Enterprise

    _batch, ids = make_batch(admin, count=2)
    with app.app_context():
        for enterprise_id in ids:
            credentials.ensure_enterprise_credential(db.session.get(Enterprise, enterprise_id))
        credentials.ensure_tenant_credential(admin["tenant_id"])
        lonely = Enterprise(tenant_id=admin["tenant_id"], name="未分配企业", tax_id="91320500MA9ZZZZZ9Z")
        db.session.add(lonely)
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["credentials", "issue-missing"])
    assert result.exit_code == 0, result.output
    assert "issued 2 enterprise and 1 tenant credentials" in result.output
    with app.app_context():
        found = sorted((c.scope, c.enterprise_id, c.environment) for c in db.session.scalars(
            select(Credential)))
        audited = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "credential.created", AuditEntry.actor_label == "cli")).all()
        tests = [credentials.reveal(c) for c in db.session.scalars(
            select(Credential).where(Credential.environment == "test"))]
    assert found == sorted([("enterprise", i, env) for i in ids for env in ("test", "production")]
                           + [("tenant", None, "test"), ("tenant", None, "production")])
    assert [(e.detail["count"], e.detail["environment"]) for e in audited] == [(3, "test")]
    assert all(c["client_id"].startswith("fpy-test-") for c in tests)
    assert all(c["client_secret"] not in str([e.detail for e in audited]) for c in tests)
    page = client.get("/credentials/").get_data(as_text=True)
    assert ">尚未生成<" not in page and "生成测试环境租户授权" not in page
    again = runner.invoke(args=["credentials", "issue-missing"])
    assert "issued 0 enterprise and 0 tenant credentials" in again.output
