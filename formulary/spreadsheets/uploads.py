"""Uploaded workbooks kept between preview and confirm, named by their SHA-256, and the signed confirmation.

The confirm button sends back the file's hash, never the file: the server applies the
bytes it previewed, checks that they still hash to that name, and a signature over the
hash, mode, force, file name, user and changes refuses a form edited in between.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

from flask import current_app
from itsdangerous import BadSignature, Signer

KEEP_SECONDS = 24 * 3600  # an upload never confirmed is removed after a day
_SHA256 = re.compile(r"[0-9a-f]{64}")


def file_name(name: str | None) -> str:
    """The name the user's file had, without any folder a browser sent along."""
    return (name or "").replace("\\", "/").rsplit("/", 1)[-1][:255] or "upload"


def upload_folder() -> Path:
    """Where uploads wait: IMPORT_UPLOAD_FOLDER, or uploads/ in the instance folder."""
    configured = current_app.config.get("IMPORT_UPLOAD_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def keep(data: bytes) -> str:
    """Store an upload under its SHA-256 (once), clear out stale ones, and return the hash."""
    digest = hashlib.sha256(data).hexdigest()
    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / digest
    if not path.exists():
        partial = folder / f".{digest}.{os.getpid()}.part"
        partial.write_bytes(data)
        partial.replace(path)  # atomic: a reader sees the whole file or none
    else:
        path.touch()
    _prune(folder)
    return digest


def fetch(digest: str) -> bytes | None:
    """The upload with this hash, or None when it is gone or no longer hashes to its name."""
    if not _SHA256.fullmatch(digest or ""):
        return None
    path = upload_folder() / digest
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == digest else None


def discard(digest: str) -> None:
    """Remove an upload once applied."""
    if _SHA256.fullmatch(digest or ""):
        (upload_folder() / digest).unlink(missing_ok=True)


def _prune(folder: Path) -> None:
    limit = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


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
