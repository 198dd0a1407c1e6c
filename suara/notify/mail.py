"""Email over SMTP (stdlib smtplib): a text and an HTML part, optional STARTTLS and login, bounded by a timeout.

Refused connections, timeouts, dropped sessions and 4xx answers are retried. A 5xx refusal of the recipient or of the
message itself is permanent: the message becomes a dead letter at once. Sender and login refusals are retried, since
they come from this server's configuration, which an operator can fix while the message waits.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from suara.notify.channels import Delivery, PermanentFailure, RetryableFailure
from suara.settings import Settings


class EmailChannel:
    """Sends `{"subject", "text", "html"}` payloads to the address in the message's target."""

    name = "email"

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        mail_from: str,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout_s: float = 30.0,
    ) -> None:
        self.host, self.port, self.mail_from = host, port, mail_from
        self.user, self.password, self.starttls, self.timeout_s = user, password, starttls, timeout_s

    @classmethod
    def from_settings(cls, settings: Settings) -> EmailChannel | None:
        """The channel the settings describe, or None when no SMTP host is set."""
        if not settings.smtp_host:
            return None
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            mail_from=settings.mail_from,
            user=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )

    def message(self, delivery: Delivery) -> EmailMessage:
        """The MIME message: multipart/alternative, text first; its Message-ID is built from the delivery id."""
        p = delivery.payload
        msg = EmailMessage()
        msg["From"] = self.mail_from
        msg["To"] = delivery.target
        msg["Subject"] = p["subject"]
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = message_id(delivery.delivery_id, self.mail_from)
        msg.set_content(p["text"])
        if p.get("html"):
            msg.add_alternative(p["html"], subtype="html")
        return msg

    def send(self, delivery: Delivery) -> None:
        msg = self.message(delivery)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            reason = f"recipient refused: {exc.recipients}"
            raise (PermanentFailure(reason) if all(c >= 500 for c in codes) else RetryableFailure(reason)) from exc
        except smtplib.SMTPDataError as exc:
            reason = f"message refused: {exc.smtp_code} {exc.smtp_error!r}"
            raise (PermanentFailure(reason) if exc.smtp_code >= 500 else RetryableFailure(reason)) from exc
        except (smtplib.SMTPException, OSError) as exc:  # refused, timed out, dropped, 4xx, login or sender refused
            raise RetryableFailure(f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}") from exc


def message_id(delivery_id: str, mail_from: str) -> str:
    """`<delivery id@sender's domain>`: the same on every attempt, so mail systems and readers can drop a repeat."""
    domain = mail_from.rpartition("@")[2].strip("> ") or socket.getfqdn()
    return f"<{delivery_id}@{domain}>"
