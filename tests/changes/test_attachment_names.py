"""An attachment is stored under a name that cannot disguise it: the extension of the type read
from its bytes, no control or bidi characters; a part without a usable name, or more than one
file, is refused with a message instead of being dropped."""
import io

import pytest
from factories import count, tax_id
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Allocation, ChangeRequest, RequestAttachment

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
FIELDS = {"kind": "tax_change_receive", "change_case": "wrong_tax_id",
          "new_name": "杭州附件新企业有限公司", "new_tax_id": tax_id(601, "91330100"),
          "reason": "税号填错", "action": "submit"}


@pytest.fixture
def alloc(app, admin, make_batch):
    _b, ids = make_batch(admin, line_index=1, names=[("苏州附件企业有限公司", tax_id(15))])
    with app.app_context():
        return db.session.scalar(select(Allocation.id).where(Allocation.enterprise_id == ids[0]))


def _post(client, alloc, *files):
    data = {**FIELDS, "attachment": [(io.BytesIO(body), name) for body, name in files]}
    return client.post(f"/requests/tax/{alloc}", data=data, content_type="multipart/form-data")


def _raw(client, alloc, disposition: bytes, body: bytes = PDF):
    """A multipart body written by hand: what a browser or a script may send, name and all."""
    parts = b"".join(b'--B\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                     % (k.encode(), v.encode()) for k, v in FIELDS.items())
    parts += (b'--B\r\nContent-Disposition: form-data; name="attachment"' + disposition +
              b"\r\nContent-Type: application/pdf\r\n\r\n" + body + b"\r\n--B--\r\n")
    return client.post(f"/requests/tax/{alloc}", data=parts,
                       content_type="multipart/form-data; boundary=B")


def _stored(app) -> str:
    with app.app_context():
        return db.session.scalar(select(RequestAttachment.filename))


@pytest.mark.parametrize("body,name,stored", [
    (PDF, "evil.html", "evil.pdf"), (PDF, "evil.svg", "evil.pdf"), (PDF, "setup.exe", "setup.pdf"),
    (PDF, "报告", "报告.pdf"), (PDF, "营业执照.PDF", "营业执照.PDF"), (PNG, "scan.jpg", "scan.png"),
    (JPEG, "photo.jpeg", "photo.jpeg"), (JPEG, "photo.png", "photo.jpg"),
    (PDF, "invoice\u202efdp.exe", "invoicefdp.pdf"), (PDF, "a\u200bb\u2066c\x7f.pdf", "abc.pdf"),
    (PDF, ".pdf", "附件.pdf"), (PDF, "../../etc/passwd", "passwd.pdf"),
])
def test_the_stored_name_has_the_extension_of_the_type(app, client, alloc, body, name, stored):
    assert _post(client, alloc, (body, name)).status_code == 303
    assert _stored(app) == stored
    with app.app_context():
        att = db.session.scalar(select(RequestAttachment))
    served = client.get(f"/requests/{att.request_id}/attachments/{att.id}")
    disposition = served.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "\u202e" not in disposition
    assert disposition.split("filename=")[1].split(";")[0].strip('"').endswith(
        stored.rsplit(".", 1)[1].lower())


@pytest.mark.parametrize("disposition", [b'; filename=""', b'; filename="a\rb.pdf"',
                                         b'; filename="a\nb.pdf"', b"",
                                         b"; filename*=UTF-8''a%0D%0Ab.pdf"])
def test_a_part_without_a_usable_name_is_refused_not_dropped(app, client, alloc, disposition):
    answer = _raw(client, alloc, disposition)
    assert answer.status_code == 422, answer.status_code
    assert "附件的文件名" in answer.get_data(as_text=True)
    assert count(app, ChangeRequest) == 0 and count(app, RequestAttachment) == 0


def test_more_than_one_file_is_refused_not_cut_to_the_first(app, client, alloc):
    answer = _post(client, alloc, (PDF, "a.pdf"), (PNG, "b.png"))
    assert answer.status_code == 422 and "只能上传一个附件" in answer.get_data(as_text=True)
    assert count(app, ChangeRequest) == 0 and count(app, RequestAttachment) == 0


def test_no_file_chosen_files_the_request_without_one(app, client, alloc):
    """What a browser sends when no file was chosen: an empty part with an empty name."""
    assert _raw(client, alloc, b'; filename=""', body=b"").status_code == 303
    assert count(app, ChangeRequest) == 1 and count(app, RequestAttachment) == 0


def test_a_binary_part_without_a_usable_name_is_refused_too(app, client, alloc):
    answer = _raw(client, alloc, b'; filename="a\rb.pdf"', body=PDF + b"\x00\x01\xff" * 10)
    assert answer.status_code == 422
    assert count(app, ChangeRequest) == 0 and count(app, RequestAttachment) == 0
