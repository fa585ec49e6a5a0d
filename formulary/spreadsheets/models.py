"""Uploads waiting between preview and confirm, in the database that every app server shares."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from formulary.db import utcnow
from formulary.extensions import Model


class PendingUpload(Model):
    """A workbook previewed and not yet confirmed: its bytes under their SHA-256, for the user who sent it.

    The confirm form carries only the hash; whichever app server receives it reads the bytes here.
    Rows older than a day are removed when another upload is stored.
    """

    __tablename__ = "pending_upload"
    __table_args__ = (
        UniqueConstraint("user_id", "sha256"),
        Index("ix_pending_upload_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    mode: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class DatabaseIdentity(Model):
    """This database's own identifier, written into every stock workbook it exports.

    A stocktake workbook counts against the quantities of the database that made it: a file
    exported from another clinic's (or a test copy's) database is recognised and refused.
    One row, made the first time a workbook is exported.
    """

    __tablename__ = "database_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
