"""Free text of a request (reason, comment, payment reference): one cleaning rule."""
from webapp.core.errors import ServiceError
from webapp.core.text import CONTROL


def clean_text(value: str | None, label: str, limit: int, *, required: str | None = None,
               field: str = "reason", multiline: bool = True) -> str | None:
    """Trimmed text, None when empty; ServiceError (on `field`) when required and empty, too
    long, or holding control characters (PostgreSQL cannot store NUL)."""
    text = (value or "").replace("\r\n", "\n").strip()
    if not text:
        if required:
            raise ServiceError(required, field=field)
        return None
    if len(text) > limit:
        raise ServiceError(f"{label}不能超过 {limit} 个字符（当前 {len(text)} 个）", field=field)
    if CONTROL.search(text) or (not multiline and "\n" in text):
        raise ServiceError(f"{label}含有不可见的控制字符，请删除后重试", field=field)
    return text
