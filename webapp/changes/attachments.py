"""The optional attachment of a request: a PDF or an image (PNG, JPEG), size-limited, stored
in the database and served only to those who may see the request. The type is read from the
file's first bytes, never from the name or the browser's claim."""
import re

from flask import current_app

from webapp.core.errors import ServiceError, TooLarge
from webapp.extensions import db
from webapp.models import ChangeRequest, User
from webapp.models.request import RequestAttachment

MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"),
         (b"\xff\xd8\xff", "image/jpeg"))
UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\\"<>:|?*]+")


def max_bytes() -> int:
    return int(current_app.config["REQUEST_ATTACHMENT_MAX_BYTES"])


def size_label(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


def check(upload) -> tuple[str, str, bytes] | None:
    """(filename, content type, bytes) of an uploaded file, None when none was chosen;
    ServiceError (field `attachment`) for a wrong type or a file too large."""
    if upload is None or not getattr(upload, "filename", ""):
        return None
    limit = max_bytes()
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"附件不能超过 {size_label(limit)}", field="attachment")
    if not data:
        raise ServiceError("附件是空文件", field="attachment")
    kind = next((t for magic, t in MAGIC if data.startswith(magic)), None)
    if kind is None:
        raise ServiceError("附件只能是 PDF 或图片（PNG、JPG）", field="attachment")
    name = UNSAFE_NAME.sub("_", upload.filename).strip() or "附件"
    return name[-200:], kind, data


def attach(req: ChangeRequest, checked: tuple[str, str, bytes], actor: User) -> RequestAttachment:
    filename, kind, data = checked
    attachment = RequestAttachment(request_id=req.id, filename=filename, content_type=kind,
                                   size=len(data), data=data, uploaded_by_id=actor.id)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def find(req: ChangeRequest, attachment_id: int) -> RequestAttachment | None:
    """An attachment of a request the caller may already see, else None."""
    found = db.session.get(RequestAttachment, attachment_id)
    return found if found is not None and found.request_id == req.id else None
