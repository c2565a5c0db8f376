"""Go-live: the connection check's access tokens and the per-credential check outcome."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.orm import utcnow


class CheckToken(db.Model):
    """An access token of the connection check, stored as keyed hashes only.

    `sign_hash` is UNIQUE: one row per sign, whichever process answers it; a call repeating a
    sign that already earned a token gets that token again (it is derived from the sign).
    """

    __tablename__ = "check_token"
    # The rate limit counts recent tokens per credential and per address.
    __table_args__ = (Index("ix_check_token_credential_created", "credential_id", "created_at"),
                      Index("ix_check_token_ip_created", "ip", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sign_hash: Mapped[str] = mapped_column(String(64), unique=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"))
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ConnectionCheck(db.Model):
    """The go-live state of one credential: the first verified echo, and the last failure."""

    __tablename__ = "connection_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"),
                                               unique=True)
    verified_at: Mapped[datetime | None]
    verified_ip: Mapped[str | None] = mapped_column(String(64))
    failed_at: Mapped[datetime | None]
    failure_code: Mapped[str | None] = mapped_column(String(10))
    failure_message: Mapped[str | None] = mapped_column(Text)
    failure_ip: Mapped[str | None] = mapped_column(String(64))
