"""The optional attachment of a request: a PDF or an image (PNG, JPEG), size-limited, stored
in the database and served only to those who may see the request. The type is read from the
file's first bytes, never from the name or the browser's claim, and the name is made to agree:
it takes the extension of that type (a PDF sent as `evil.html` or `setup.exe` is stored as
`evil.pdf` / `setup.pdf`, so it never opens as something else) and loses control and
formatting characters (a right-to-left override would disguise the extension).

A part that comes without a usable file name (empty, or a line break in it: Werkzeug then hands
the part over as text) and more than one file in the field are refused with a message; before,
both were silently dropped or cut to the first file.
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
import re
import unicodedata

from flask import current_app

from webapp.core.errors import ServiceError, TooLarge
from webapp.extensions import db
from webapp.models import ChangeRequest, User
from webapp.models.request import FILING, RequestAttachment

MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"),
         (b"\xff\xd8\xff", "image/jpeg"))
# The extensions each type may keep; the first is given to a name without one of them.
EXTENSIONS = {"application/pdf": (".pdf",), "image/png": (".png",),
              "image/jpeg": (".jpg", ".jpeg")}
UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\"<>:|?*]+")
# Control, format (bidi overrides, zero-width), surrogate, private-use and unassigned characters,
# and line or paragraph separators: nothing a file name should show.
INVISIBLE = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
MAX_NAME = 200
NO_NAME = _l("附件的文件名为空或含有换行符，请重命名文件后重新选择。")
ONE_FILE = _l("只能上传一个附件：如有多份材料，请合并为一个 PDF 后上传。")


class BrokenPart:
    """A part sent under the file field without a usable file name (Werkzeug reads it as text)."""

    filename = ""


def max_bytes() -> int:
    return int(current_app.config["REQUEST_ATTACHMENT_MAX_BYTES"])


def size_label(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


def uploads(files, form, field: str = "attachment") -> list:
    """Everything the form sent under `field`, for `check`: its files, and a BrokenPart for a
    part that arrived as text because its file name was unusable (a CR or LF in it)."""
    return [*files.getlist(field), *(BrokenPart() for value in form.getlist(field) if value)]


def stored_name(name: str, kind: str) -> str:
    """`name` as it is stored and offered for download: the last path segment, visible
    characters only, with an extension of `kind` (the one it has when it fits, else the
    type's first: `evil.html` read as a PDF becomes `evil.pdf`)."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in INVISIBLE)
    name = UNSAFE_NAME.sub("_", name).strip()
    allowed = EXTENSIONS[kind]
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    suffix = f".{extension}" if f".{extension.lower()}" in allowed else allowed[0]
    stem = stem.strip(" .") or "附件"  # i18n: data (a stored file name)
    return stem[:MAX_NAME - len(suffix)] + suffix


def _read(part) -> bytes:
    return part.stream.read(max_bytes() + 1) if hasattr(part, "stream") else b""


def check(upload) -> tuple[str, str, bytes] | None:
    """(filename, content type, bytes) of an uploaded file, None when none was chosen;
    ServiceError (field `attachment`) for a part without a usable name, more than one file, a
    wrong type or a file too large. `upload` is one part, None, or what `uploads` returned."""
    parts = upload if isinstance(upload, list) else [] if upload is None else [upload]
    read = [(part, _read(part)) for part in parts]
    # A browser sends an empty part with an empty name when no file was chosen.
    read = [(part, data) for part, data in read
            if isinstance(part, BrokenPart) or getattr(part, "filename", "") or data]
    if not read:
        return None
    if len(read) > 1:
        raise ServiceError(ONE_FILE, field="attachment")
    part, data = read[0]
    filename = getattr(part, "filename", "") or ""
    if isinstance(part, BrokenPart) or not filename.strip() or "\r" in filename or "\n" in filename:
        raise ServiceError(NO_NAME, field="attachment")
    limit = max_bytes()
    if len(data) > limit:
        raise TooLarge(_("附件不能超过 %(size)s", size=size_label(limit)), field="attachment")
    if not data:
        raise ServiceError(_("附件是空文件"), field="attachment")
    kind = next((t for magic, t in MAGIC if data.startswith(magic)), None)
    if kind is None:
        raise ServiceError(_("附件只能是 PDF 或图片（PNG、JPG）"), field="attachment")
    return stored_name(filename, kind), kind, data


def download_name(attachment: RequestAttachment) -> str:
    """The name a stored attachment is served under (rows stored before the rule get it too)."""
    return stored_name(attachment.filename, attachment.content_type)


def attach(req: ChangeRequest, checked: tuple[str, str, bytes], actor: User,
           purpose: str = FILING) -> RequestAttachment:
    """Store a checked file with the request (`purpose` consent: the tenant's written consent)."""
    filename, kind, data = checked
    attachment = RequestAttachment(request_id=req.id, filename=filename, content_type=kind,
                                   size=len(data), data=data, uploaded_by_id=actor.id,
                                   purpose=purpose)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def find(req: ChangeRequest, attachment_id: int) -> RequestAttachment | None:
    """An attachment of a request the caller may already see, else None."""
    found = db.session.get(RequestAttachment, attachment_id)
    return found if found is not None and found.request_id == req.id else None
