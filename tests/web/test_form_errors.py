"""A refused form ties each error to its field (aria-invalid, aria-describedby → an error
element with an id, announced as an alert), puts the focus on the first invalid field, says
必填 in words with aria-required, and its title says 错误. 新增企业 (htmx and plain),
权益税号变更, 设置密码."""
import re

from factories import login, outbox_text, tax_id

HX = {"HX-Request": "true"}


def control(html: str, ident: str) -> str:
    """The opening tag of the control with this id."""
    match = re.search(rf'<(?:input|textarea|select)\b[^>]*\bid="{ident}"[^>]*>', html)
    assert match, f"no control #{ident}"
    return match.group(0)


def assert_bound(html: str, ident: str, message: str) -> None:
    tag = control(html, ident)
    assert 'aria-invalid="true"' in tag, tag
    described = re.search(r'aria-describedby="([^"]+)"', tag).group(1).split()
    assert f"{ident}-error" in described
    error = re.search(rf'<p class="error" id="{ident}-error" role="alert">([^<]*)</p>', html)
    assert error and message in error.group(1), (ident, error and error.group(1))


def test_new_enterprise_errors_are_bound_over_htmx_and_without_it(client, admin):
    for headers in (HX, {}):
        response = client.post("/enterprises/new", data={"name": "", "tax_id": "123"},
                               headers=headers)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "<title>错误：新增企业 · 发票云激活中心</title>" in html
        assert_bound(html, "name", "请输入企业名称")
        assert_bound(html, "tax_id", "当前为 3 位")
        assert " autofocus" in control(html, "name")  # the first invalid field
        assert " autofocus" not in control(html, "tax_id")
        for ident in ("name", "tax_id"):  # 必填 in words beside the label, and to AT
            assert 'aria-required="true"' in control(html, ident)
            assert re.search(rf'<label for="{ident}">[^<]+</label><span class="required"[^>]*>（必填）',
                             html)
        assert " *" not in html
    # a valid form is not marked
    ok = client.get("/enterprises/new").get_data(as_text=True)
    assert "aria-invalid" not in ok and 'class="error"' not in ok


def test_tax_change_errors_are_bound(app, client, admin, make_batch):
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import Allocation

    make_batch(admin, count=1)
    with app.app_context():
        alloc = db.session.scalar(select(Allocation.id))
    response = client.post(f"/requests/tax/{alloc}", data={"new_tax_id": "91110000600037341X",
                                                           "action": "submit"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<title>错误：" in html
    first = re.search(r'<input type="radio" name="change_case"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in first and " autofocus" in first and " required" in first
    assert re.search(r'<fieldset[^>]*aria-describedby="change_case-error"', html)
    assert 'id="change_case-error" role="alert">请选择变更情况' in html
    for ident in ("new_name", "new_tax_id", "reason"):
        assert 'aria-required="true"' in control(html, ident)


def test_tax_change_business_field_error_opens_its_box(app, client, admin, make_batch):
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import Allocation

    make_batch(admin, count=1)
    with app.app_context():
        alloc = db.session.scalar(select(Allocation.id))
    response = client.post(f"/requests/tax/{alloc}", data={
        "change_case": "wrong_tax_id", "new_name": "杭州新企业有限公司", "new_tax_id": tax_id(77),
        "reason": "税号错误", "established_on": "去年", "action": "submit"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert_bound(html, "established_on", "成立日期格式应为")
    assert re.search(r"<details open>", html)


def test_set_password_errors_are_bound(app, client, make_staff):
    ops = app.test_client()
    login(ops, make_staff("ops"))
    assert ops.post("/staff/", data={"email": "pw@staff.test", "role": "support"}).status_code == 303
    path = re.search(r"https?://[^/\s]+(/password/[A-Za-z0-9._-]+)",
                     outbox_text(app, kind="staff_password")).group(1)
    page = client.get(path).get_data(as_text=True)
    assert 'aria-required="true"' in control(page, "password") and "aria-invalid" not in page
    response = client.post(path, data={"password": "short", "confirm": "short"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<title>错误：设置密码" in html
    assert_bound(html, "password", "密码长度需为 8–128 位")
    assert " autofocus" in control(html, "password")


def test_a_history_restore_gets_one_title_in_its_head(client, admin):
    """htmx restoring history asks with HX-Request too, and gets the full page: its one
    <title> is in <head>, none in the body."""
    html = client.get("/enterprises/new", headers={**HX, "HX-History-Restore-Request": "true"})
    assert html.get_data(as_text=True).count("<title>") == 1
    fragment = client.get("/enterprises/new?pick=X", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith("<title>") and "<html" not in fragment
