"""Templates compiled once per locale with their constant translations written in
(web/jinja_i18n.py): the same words as the runtime gettext gave, in the locale of the request or
of `force_locale`, each locale's compilation cached apart, and auto-reload still working."""
import os
import re
from datetime import datetime, timezone

import pytest
from factories import login
from flask_babel import force_locale, gettext
from jinja2 import ChoiceLoader, DictLoader, FileSystemLoader

from webapp.core.i18n import in_locale
from webapp.web import jinja_i18n
from webapp.web.i18n import per_locale

MARKUP = "开票产品的税号变更为<strong>付费</strong>变更：审批人确定费用，确认付款后执行。"
TEMPLATES = {
    "t/title.html": '<h1>{{ _("企业管理") }}</h1>',
    # A translation holding markup and quotes, a message without a translation holding & and <,
    # a format string with an argument to escape, a %% without arguments, gettext by its name,
    # a translation passed around (set, a filter, a macro's default), and a call in an
    # attribute.
    "t/special.html": (
        '<p>{{ _("' + MARKUP + '") }}</p>'
        '<p>{{ _("审批意见") }}</p>'
        '<p>{{ _("A & B <i>未翻译</i> \\"q\\" \'s\'") }}</p>'
        '<p>{{ _("搜索“%(q)s”：", q=q) }}</p>'
        '<p>{{ _("100%%") }}</p>'
        '<p>{{ gettext("企业管理") }}</p>'
        '{% set title = _("审批意见") %}<p>{{ title }}|{{ title | upper }}|{{ title ~ q }}</p>'
        '{% macro m(label=_("审批意见")) %}<b>{{ label }}</b>{% endmacro %}{{ m() }}'
        '<input placeholder="{{ _("审批意见") }}">'
    ),
    # The same without autoescape (emails' text parts): plain text, arguments not escaped.
    "t/special.txt": (
        '{{ _("' + MARKUP + '") }}|{{ _("A & B <i>未翻译</i>") }}|{{ _("搜索“%(q)s”：", q=q) }}'
        '|{{ _("审批意见") }}'
    ),
    # `gettext` as a macro's argument and `_` set in a loop: those calls stay the names' own.
    "t/shadowed.html": (
        '{% macro m(gettext) %}{{ gettext("企业管理") }}{% endmacro %}{{ m(shout) }}'
        '{% for x in [1] %}{% set _ = shout %}{{ _("企业管理") }}{% endfor %}'
        '|{{ gettext("企业管理") }}|{{ _("企业管理") }}'
    ),
}
Q = '<script>&"'


@pytest.fixture
def env(app):
    """The app's environment, with the test's templates beside the portal's."""
    env = app.jinja_env
    env.loader = ChoiceLoader([DictLoader(TEMPLATES), env.loader])
    return env


def render(app, name, locale=None, **context):
    """`name` rendered in a request (zh_CN unless `locale`, given through force_locale)."""
    with app.test_request_context():
        if locale is None:
            return app.jinja_env.get_template(name).render(q=Q, shout=str.upper, **context)
        with force_locale(locale):
            return app.jinja_env.get_template(name).render(q=Q, shout=str.upper, **context)


def at_runtime(app, monkeypatch):
    """From here on, templates compile without baking (every call a runtime gettext, as before
    web/jinja_i18n.py), from a cleared cache."""
    monkeypatch.setattr(jinja_i18n, "bake", lambda tree, gettext: tree)
    app.jinja_env.cache.clear()


def test_a_template_says_its_words_in_each_locale(app, env):
    assert render(app, "t/title.html") == "<h1>企业管理</h1>"
    assert render(app, "t/title.html", "en") == "<h1>Enterprises</h1>"
    assert render(app, "t/title.html", "zh_CN") == "<h1>企业管理</h1>"


def test_the_translation_is_written_into_the_compiled_template(app, env):
    with app.test_request_context(), force_locale("en"):
        code = env.compile(TEMPLATES["t/title.html"], "t/title.html", raw=True)
    assert "Enterprises" in code and "企业管理" not in code
    assert "resolve('_')" not in code  # no runtime call left


@pytest.mark.parametrize("name", ["t/special.html", "t/special.txt", "t/shadowed.html"])
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_output_is_what_the_runtime_gettext_gave(app, env, monkeypatch, name, locale):
    baked = render(app, name, locale)
    at_runtime(app, monkeypatch)
    assert baked == render(app, name, locale)


def test_markup_quotes_and_missing_translations_render_as_before(app, env):
    html = render(app, "t/special.html", "en")
    assert "<p>A tax ID change of the issuing product is a <strong>paid</strong> change" in html
    assert "<p>Approver's comment</p>" in html  # the translation's quote as written, unescaped
    # No translation: the msgid itself, its & and < as written (Markup, as the runtime gave).
    assert "<p>A & B <i>未翻译</i> \"q\" 's'</p>" in html
    assert "<p>Search \"&lt;script&gt;&amp;&#34;\": </p>" in html  # the argument escaped
    assert "<p>100%</p>" in html
    assert "<p>Enterprises</p>" in html
    assert ("<p>Approver's comment|APPROVER'S COMMENT|Approver's comment&lt;script&gt;&amp;&#34;"
            "</p>") in html
    assert "<b>Approver's comment</b>" in html
    assert '<input placeholder="Approver\'s comment">' in html
    text = render(app, "t/special.txt", "en")
    assert text.endswith('|A & B <i>未翻译</i>|Search "<script>&"": |Approver\'s comment')


def test_datetime_is_bound_to_the_locale_it_was_compiled_for(app, env):
    """zh_CN's compilation calls zh_CN's formatter itself; other locales keep the filter that
    asks for the locale; a {% filter %} block is bound too."""
    source = '{{ t | datetime }}|{{ t | datetime("%Y-%m-%d") }}|{% filter upper %}x{% endfilter %}'
    env.loader.loaders[0].mapping["t/when.html"] = source
    moment = datetime(2026, 1, 31, 16, 30, tzinfo=timezone.utc)  # 2026-02-01 00:30 in Beijing
    assert render(app, "t/when.html", "zh_CN", t=moment) == "2026-02-01 00:30|2026-02-01|X"
    english = render(app, "t/when.html", "en", t=moment)
    assert "2026" in english and "Feb" in english and english.endswith("|X")
    with app.test_request_context():
        with force_locale("zh_CN"):
            zh_code = env.compile(source, "t/when.html", raw=True)
        with force_locale("en"):
            en_code = env.compile(source, "t/when.html", raw=True)
    assert "'datetime@zh_CN'" in zh_code and "'datetime'" not in zh_code
    assert "'datetime'" in en_code and "datetime@" not in en_code


def test_a_name_assigned_in_the_template_is_not_taken_for_gettext(app, env):
    assert render(app, "t/shadowed.html", "en") == "企业管理企业管理|Enterprises|Enterprises"


def test_force_locale_renders_with_the_forced_locales_compilation(app, env):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        template = app.jinja_env.get_template
        assert template("t/title.html").render() == "<h1>企业管理</h1>"
        with force_locale("en"):
            assert template("t/title.html").render() == "<h1>Enterprises</h1>"
        with in_locale("en"):  # what an email to an English reader is rendered in
            assert template("t/title.html").render() == "<h1>Enterprises</h1>"
        assert template("t/title.html").render() == "<h1>企业管理</h1>"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert app.jinja_env.get_template("t/title.html").render() == "<h1>Enterprises</h1>"
        with in_locale(None):
            assert app.jinja_env.get_template("t/title.html").render() == "<h1>企业管理</h1>"


def test_each_locale_compiles_once_and_is_cached_apart(app, env):
    def load(locale):
        with app.test_request_context(), force_locale(locale):
            return env.get_template("t/title.html")

    zh, en = load("zh_CN"), load("en")
    assert zh is not en
    assert load("zh_CN") is zh and load("en") is en
    assert zh.render() == "<h1>企业管理</h1>" and en.render() == "<h1>Enterprises</h1>"
    assert sorted(key[0] for key in env.cache.keys() if key[1][1] == "t/title.html") == [
        "en", "zh_CN"]


def test_a_changed_template_is_reloaded_in_every_locale(make_app, tmp_path):
    app = make_app(TEMPLATES_AUTO_RELOAD=True)
    app.jinja_env.loader = ChoiceLoader([FileSystemLoader(tmp_path), app.jinja_env.loader])
    page = tmp_path / "page.html"
    page.write_text('{{ _("企业管理") }}', encoding="utf-8")
    assert (render(app, "page.html", "zh_CN"), render(app, "page.html", "en")) == (
        "企业管理", "Enterprises")
    page.write_text('{{ _("审批意见") }}!', encoding="utf-8")
    stat = page.stat()
    os.utime(page, (stat.st_atime, stat.st_mtime + 5))  # a later mtime, whatever the clock
    assert (render(app, "page.html", "en"), render(app, "page.html", "zh_CN")) == (
        "Approver's comment!", "审批意见!")


# --- the portal's own pages --------------------------------------------------------------------

TOKEN = re.compile(r'("X-CSRFToken": "|name="csrf_token" (?:type="hidden" )?value=")[^"]+')


def _pages(app, email, paths, locale):
    client = app.test_client()
    login(client, email)
    client.post("/language", data={"locale": locale})
    out = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        out[path] = TOKEN.sub(r"\1…", response.get_data(as_text=True))
    return out


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_portals_pages_are_the_same_as_with_runtime_gettext(make_app, make_admin, make_batch,
                                                                 monkeypatch, locale):
    """企业管理, 去分配, 权益查询, 授权信息, the home page: byte for byte what they were when every
    translation was a runtime call (the menu included: a second app renders its own)."""
    from webapp.extensions import db
    from webapp.models import Order

    admin = make_admin(customer="苏州示例科技有限公司")
    batch_id, enterprise_ids = make_batch(admin, count=3)
    baked_app = make_app()
    with baked_app.app_context():
        line_id = db.session.get(Order, admin["order_id"]).lines[0].id
    paths = ["/home", "/enterprises/", f"/enterprises/{enterprise_ids[0]}", "/entitlements/",
             "/credentials/", f"/orders/{admin['order_id']}/lines/{line_id}/allocate",
             f"/orders/{admin['order_id']}/batches/{batch_id}"]
    baked = _pages(baked_app, admin["email"], paths, locale)
    monkeypatch.setattr(jinja_i18n, "bake", lambda tree, gettext: tree)
    runtime = _pages(make_app(), admin["email"], paths, locale)
    for path in paths:
        assert baked[path] == runtime[path], path
    assert ("Enterprises" in baked["/enterprises/"]) == (locale == "en")


def test_per_locale_builds_once_a_locale_and_answers_in_that_locale(app):
    calls = []

    @per_locale
    def words(name):
        calls.append(name)
        return {"title": gettext(name)}

    with app.test_request_context():
        for locale, expected in (("zh_CN", "企业管理"), ("en", "Enterprises"), ("zh_CN", "企业管理"),
                                 ("en", "Enterprises")):
            with force_locale(locale):
                assert words("企业管理") == {"title": expected}
    assert calls == ["企业管理", "企业管理"]  # once for zh_CN, once for en


def test_an_overlay_keeps_a_locale_keyed_cache_of_its_own(app, env):
    overlay = env.overlay()
    assert isinstance(overlay.cache, jinja_i18n.LocaleKeyedCache)
    assert overlay.cache is not env.cache
    assert env.overlay(cache_size=0).cache is None
    with app.test_request_context(), force_locale("en"):
        assert overlay.get_template("t/title.html").render() == "<h1>Enterprises</h1>"
    assert [key[0] for key in overlay.cache] == ["en"]
