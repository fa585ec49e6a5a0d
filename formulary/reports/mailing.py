"""Sending the digest by SMTP (settings from the environment), and recording it only once it was accepted."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import select

from formulary.extensions import db
from formulary.reports.digest import Digest
from formulary.reports.models import DigestSend


class DigestNotSent(Exception):
    """The digest could not be sent: the reason in words; nothing is recorded as sent."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send: FORMULARY_SMTP_HOST/PORT/USER/PASSWORD/FROM/STARTTLS."""

    host: str
    port: int
    user: str
    password: str
    sender: str
    starttls: bool
    timeout: float = 30.0

    @classmethod
    def from_config(cls, config) -> SmtpSettings:
        """Read the settings; a missing host or sender is refused in words."""
        host, sender = config.get("SMTP_HOST", ""), config.get("SMTP_FROM", "")
        if not host:
            raise DigestNotSent("No SMTP server configured: set FORMULARY_SMTP_HOST (and FORMULARY_SMTP_FROM).")
        if not sender:
            raise DigestNotSent("No sender address: set FORMULARY_SMTP_FROM.")
        return cls(host, int(config.get("SMTP_PORT", 25)), config.get("SMTP_USER", ""),
                   config.get("SMTP_PASSWORD", ""), sender, bool(config.get("SMTP_STARTTLS", False)))


def already_sent(day: date) -> DigestSend | None:
    """The digest recorded as sent for that day, if any."""
    return db.session.scalars(select(DigestSend).where(DigestSend.day == day).order_by(DigestSend.id)).first()


def message(digest: Digest, sender: str, recipients: list[str]) -> EmailMessage:
    """The e-mail: plain text, with the HTML version as its alternative."""
    mail = EmailMessage()
    mail["Subject"] = digest.subject
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or None)
    mail.set_content(digest.text())
    mail.add_alternative(digest.html(), subtype="html")
    return mail


def send_digest(digest: Digest, settings: SmtpSettings, recipients: list[str], *, force: bool = False) -> DigestSend:
    """Send the digest to every recipient and record it (flushed, not committed); DigestNotSent if the server is
    unreachable or refuses any recipient or the message — then nothing is recorded, so the next run tries again."""
    if not recipients:
        raise DigestNotSent("No recipients: set FORMULARY_DIGEST_TO (addresses separated by commas) or give --to.")
    mail = message(digest, settings.sender, recipients)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as server:
            if settings.starttls:
                server.starttls(context=ssl.create_default_context())
            if settings.user:
                server.login(settings.user, settings.password)
            refused = server.send_message(mail, settings.sender, recipients)
    except smtplib.SMTPRecipientsRefused as error:
        raise DigestNotSent(f"The SMTP server refused every recipient: {_refusals(error.recipients)}.") from None
    except smtplib.SMTPResponseException as error:
        reason = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        raise DigestNotSent(f"The SMTP server {settings.host}:{settings.port} refused the digest: "
                            f"{error.smtp_code} {reason}.") from None
    except (TimeoutError, smtplib.SMTPException, OSError) as error:
        raise DigestNotSent(f"Cannot reach the SMTP server {settings.host}:{settings.port}: {error}.") from None
    if refused:
        accepted = [r for r in recipients if r not in refused]
        raise DigestNotSent(f"The SMTP server refused {_refusals(refused)} (it accepted {', '.join(accepted)}); "
                            "not recorded as sent.")
    sent = DigestSend(day=digest.day, recipients=", ".join(recipients), forced=force,
                      summary="; ".join(f"{s.title}: {s.count}" for s in digest.sections))
    db.session.add(sent)
    db.session.flush()
    return sent


def _refusals(refused: dict) -> str:
    return ", ".join(f"{address} ({code} {reason.decode(errors='replace') if isinstance(reason, bytes) else reason})"
                     for address, (code, reason) in refused.items())
