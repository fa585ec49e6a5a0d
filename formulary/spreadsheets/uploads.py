"""Uploaded workbooks kept between preview and confirm, named by their SHA-256, and the signed confirmation.

The confirm button sends back the file's hash, never the file: the server applies the
bytes it previewed (kept in the database, so that any app server behind the proxy can
confirm what another previewed), checks that they still hash to that name, and a signature
over the hash, mode, force, file name, user and changes refuses a form edited in between.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, Signer
from sqlalchemy import delete, select

from formulary.db import insert_for, utcnow
from formulary.extensions import db
from formulary.spreadsheets.models import PendingUpload

KEEP = timedelta(days=1)  # an upload never confirmed is removed after a day
_SHA256 = re.compile(r"[0-9a-f]{64}")


def file_name(name: str | None) -> str:
    """The name the user's file had, without any folder a browser sent along."""
    return (name or "").replace("\\", "/").rsplit("/", 1)[-1][:255] or "upload"


def keep(data: bytes, name: str, mode: str, user_id: int) -> str:
    """Store a user's upload under its SHA-256 (once), remove stale ones, and return the hash.

    Flushes, never commits: the caller commits before the slow reading, so that the upload is
    there for the confirm whichever server receives it.
    """
    digest = hashlib.sha256(data).hexdigest()
    now = utcnow()
    db.session.execute(delete(PendingUpload).where(PendingUpload.at < now - KEEP))
    table = PendingUpload.__table__
    statement = insert_for(db.session, table).values(
        user_id=user_id, sha256=digest, file_name=name[:255], mode=mode, at=now, data=data)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[table.c.user_id, table.c.sha256],
        set_={"at": now, "file_name": statement.excluded.file_name, "mode": statement.excluded.mode},
    ))
    return digest


def fetch(digest: str, user_id: int) -> bytes | None:
    """The user's upload with this hash, or None when it is gone, expired or no longer hashes to its name."""
    if not _SHA256.fullmatch(digest or ""):
        return None
    data = db.session.scalar(select(PendingUpload.data).where(
        PendingUpload.user_id == user_id, PendingUpload.sha256 == digest, PendingUpload.at >= utcnow() - KEEP))
    if data is None:
        return None
    data = bytes(data)  # PostgreSQL's driver hands back a memoryview
    return data if hashlib.sha256(data).hexdigest() == digest else None


def discard(digest: str, user_id: int) -> None:
    """Remove a user's upload once applied (in the transaction that applies it)."""
    db.session.execute(delete(PendingUpload).where(PendingUpload.user_id == user_id,
                                                   PendingUpload.sha256 == digest))


def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt="formulary.stock-import")


def _payload(fields: tuple) -> bytes:
    return "\x1f".join(map(str, fields)).encode()


def sign(*fields) -> str:
    """The signature a confirm form carries over its fields (file hash, mode, force, name, user …)."""
    return _signer().get_signature(_payload(fields)).decode()


def signed(signature: str, *fields) -> bool:
    """Whether a confirm form is the one the preview produced, unchanged."""
    try:
        return _signer().verify_signature(_payload(fields), signature or "")
    except BadSignature:
        return False
