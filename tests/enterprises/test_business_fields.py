"""The 工商 fields are one list: what the registry takes, autofill puts in the 新增企业 form,
and 【保存】 accepts; the form, 批量导入 and `registry import` refuse the same lengths."""
from html.parser import HTMLParser

from factories import login, tax_id

from webapp.extensions import db
from webapp.models import Enterprise


class FormReader(HTMLParser):
    """The values a browser would submit from #enterprise-form (inputs and textareas)."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "button"):
            self.values[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.values[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def form_values(html: str) -> dict[str, str]:
    reader = FormReader()
    reader.feed(html)
    values = reader.values
    # A browser drops the one line break that follows <textarea>.
    return {k: v.removeprefix("\r\n") if v.startswith("\r\n") else v.removeprefix("\n")
            for k, v in values.items()}


def registry_import(app, tmp_path, text: str):
    path = tmp_path / "registry.csv"
    path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["registry", "import", str(path)])


def test_a_registry_company_with_a_long_business_scope_autofills_and_saves(
        app, client, make_admin, tmp_path):
    """A 2,500-character 经营范围 is taken by `registry import`; picking the company fills the
    form, and 【保存】 must then store it (it answered 422: the form capped 经营范围 at 2000)."""
    scope = ("技术开发、技术咨询、技术服务；" * 167)[:2499] + "。"
    assert len(scope) == 2500
    company = tax_id(41)
    result = registry_import(app, tmp_path, "企业名称,企业税号,法定代表人,经营范围\n"
                                            f"苏州长范围科技有限公司,{company},周全,{scope}\n")
    assert "导入完成：新增 1" in result.stdout, result.output
    login(client, make_admin()["email"])

    html = client.get(f"/enterprises/new?pick={company}").get_data(as_text=True)
    values = form_values(html)
    assert values["business_scope"] == scope and values["source"] == "registry"
    response = client.post("/enterprises/new", data={**values, "submit": "保存"})

    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with app.app_context():
        saved = db.session.query(Enterprise).one()
        assert (saved.name, saved.business_scope, saved.source) == (
            "苏州长范围科技有限公司", scope, "registry")
