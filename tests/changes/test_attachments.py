"""The optional attachment of a tax ID change: PDF or image, size-limited, stored in the
database, served only to those who may see the request."""
import io

import pytest
from factories import count, login, tax_id
from request_rows import request_of
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Allocation, ChangeRequest, RequestAttachment

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def alloc(app, admin, make_batch):
    _b, ids = make_batch(admin, line_index=1, names=[("苏州附件企业有限公司", tax_id(15))])
    with app.app_context():
        return db.session.scalar(select(Allocation.id).where(Allocation.enterprise_id == ids[0]))


def post(client, alloc, upload):
    data = {"kind": "tax_change_receive", "change_case": "wrong_tax_id", "new_name": "杭州附件新企业有限公司",
            "new_tax_id": tax_id(601, "91330100"), "reason": "税号填错", "action": "submit"}
    if upload is not None:
        data["attachment"] = upload
    return client.post(f"/requests/tax/{alloc}", data=data, content_type="multipart/form-data")


def test_a_pdf_is_stored_and_served_to_those_who_may_see_it(app, client, alloc, make_admin,
                                                             signed_in):
    response = post(client, alloc, (io.BytesIO(PDF), "营业执照 注销证明.pdf"))
    assert response.status_code == 303
    req = request_of(app)
    with app.app_context():
        att = db.session.scalar(select(RequestAttachment))
        assert (att.request_id, att.content_type, att.size) == (req.id, "application/pdf", len(PDF))
    html = client.get(f"/requests/{req.id}").get_data(as_text=True)
    url = f"/requests/{req.id}/attachments/{att.id}"
    assert url in html and "营业执照 注销证明.pdf" in html
    served = client.get(url)
    assert served.status_code == 200 and served.data == PDF
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert signed_in("approver").get(url).data == PDF
    stranger = app.test_client()
    login(stranger, make_admin(customer="无关集团有限公司", email="x@example.com")["email"])
    assert stranger.get(url).status_code == 404
    assert client.get(f"/requests/{req.id}/attachments/{att.id + 1}").status_code == 404


def test_an_image_is_accepted_and_no_attachment_is_fine(app, client, alloc):
    assert post(client, alloc, (io.BytesIO(PNG), "a.png")).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(RequestAttachment.content_type)) == "image/png"


@pytest.mark.parametrize("upload,status,message", [
    ((b"MZ\x90\x00 not a pdf", "virus.pdf"), 422, "附件只能是 PDF 或图片"),
    ((b"", "empty.pdf"), 422, "附件是空文件"),
    # under werkzeug's 500 KB spooling threshold, so the test client keeps the body in memory
    ((PDF + b"x" * (100 * 1024), "big.pdf"), 413, "附件不能超过 100 KB"),
])
def test_bad_attachments_change_nothing(app, make_app, admin, alloc, upload, status, message):
    small = make_app(REQUEST_ATTACHMENT_MAX_BYTES=100 * 1024)
    client = small.test_client()
    login(client, admin["email"])
    response = post(client, alloc, (io.BytesIO(upload[0]), upload[1]))
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert count(app, ChangeRequest) == 0 and count(app, RequestAttachment) == 0
