"""The digests sent: one row per e-mail the SMTP server accepted, so a day's digest goes out once."""

from datetime import date, datetime

from sqlalchemy import Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from formulary.db import utcnow
from formulary.extensions import Model


class DigestSend(Model):
    """A daily digest the SMTP server accepted for every recipient (a refused one is never recorded)."""

    __tablename__ = "digest_send"
    __table_args__ = (Index("ix_digest_send_day", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipients: Mapped[str] = mapped_column(Text)
    # Sent again on purpose (`formulary notify --force`) although that day's was sent.
    forced: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str] = mapped_column(Text, default="")
