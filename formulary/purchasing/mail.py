"""E-mailing an order to its supplier over SMTP, with the settings from the environment (FORMULARY_SMTP_*)."""

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from formulary.purchasing.models import PurchaseOrder

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class MailError(RuntimeError):
    """The order could not be e-mailed; str() says why in a sentence."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where outgoing mail goes, read from the app's configuration."""

    host: str
    port: int = 25
    user: str = ""
    password: str = ""
    sender: str = ""
    starttls: bool = False

    @classmethod
    def from_config(cls, config) -> "SmtpSettings":
        """The SMTP_* settings of a Flask configuration."""
        return cls(config.get("SMTP_HOST", ""), int(config.get("SMTP_PORT", 25)), config.get("SMTP_USER", ""),
                   config.get("SMTP_PASSWORD", ""), config.get("SMTP_FROM", ""), bool(config.get("SMTP_STARTTLS")))


def order_message(order: PurchaseOrder, clinic: str, sender: str, workbook: bytes) -> EmailMessage:
    """The e-mail: the lines in the text, the workbook attached."""
    message = EmailMessage()
    message["Subject"] = f"Purchase order {order.reference} from {clinic}"
    message["From"] = sender
    message["To"] = order.supplier.email
    lines = "\n".join(f"- {line.packs} × {line.product.name} (pack of {line.pack_size.normalize():f} "
                      f"{line.product.unit})" for line in order.lines)
    greeting = f"Dear {order.supplier.contact_person}," if order.supplier.contact_person else "Hello,"
    message.set_content(f"{greeting}\n\nPlease deliver order {order.reference}:\n\n{lines}\n\n"
                        f"The order is attached as a workbook.\n\n{clinic}\n")
    message.add_attachment(workbook, maintype=XLSX[0], subtype=XLSX[1], filename=f"{order.reference}.xlsx")
    return message


def send_order(order: PurchaseOrder, clinic: str, workbook: bytes, settings: SmtpSettings) -> str:
    """E-mail the order to the supplier; returns the address, or raises MailError saying what went wrong."""
    if not order.supplier.email:
        raise MailError(f"{order.supplier.name} has no e-mail address: add one on the supplier's page.")
    if not settings.host:
        raise MailError("No mail server is set up: set FORMULARY_SMTP_HOST (and FORMULARY_SMTP_FROM).")
    sender = settings.sender or settings.user
    if not sender:
        raise MailError("No sender address: set FORMULARY_SMTP_FROM.")
    message = order_message(order, clinic, sender, workbook)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=20) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, settings.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"The mail server {settings.host}:{settings.port} did not take the order: {error}. "
                        "The order was not sent.") from error
    return order.supplier.email
