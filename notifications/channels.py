"""How a notification leaves: email through Django's email backend, text messages
through a pluggable backend. The inbox needs no sending: its row is the message.

Every email carries a Message-ID derived from the notification's key, so that the
one duplicate the design cannot exclude (a crash between the send and recording
it) reaches the reader's mail system as the same message, which it can recognise.
"""

from __future__ import annotations

import hashlib
import logging
from email.utils import parseaddr
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.module_loading import import_string

from npp.logs import mask_phone

if TYPE_CHECKING:
    from notifications.models import Notification

log = logging.getLogger(__name__)


def message_id(key: str) -> str:
    """Stable per notification row and per deployment (the sender's domain)."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "npp.invalid"
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def email_message(notification: Notification, connection=None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body,
        to=[notification.address],
        connection=connection,
        headers={"Message-ID": message_id(notification.key)},
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    if notification.attachment_id is not None:
        # Read from storage now, as the email leaves: the row refers to the stored
        # document (a generated, never-changing file), it does not copy it.
        document = notification.attachment
        with document.file.open("rb") as stored:
            content = stored.read()
        if hashlib.sha256(content).hexdigest() != document.sha256:
            raise RuntimeError(
                f"Document {document.pk} no longer has the bytes it was stored with."
            )
        name = document.original_filename or f"document-{document.pk}.pdf"
        message.attach(name, content, document.content_type)
    return message


class EmailChannel:
    """One backend connection for a batch of sends (one event's recipients)."""

    def __init__(self) -> None:
        self.connection = None

    def send(self, notification: Notification) -> None:
        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
            self.connection.open()
        sent = email_message(notification, self.connection).send(fail_silently=False)
        if sent != 1:
            raise RuntimeError("The email backend accepted no message.")

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None


class TextMessageBackend(Protocol):
    """What an SMS or WhatsApp provider implements. `key` is stable per message, for
    providers that deduplicate on a client reference."""

    def send(self, *, to: str, text: str, key: str) -> None: ...


class LoggingTextMessageBackend:
    """Logs that a message would leave instead of sending it (development, tests).
    Logs are read by more people than patient records: a masked number and the
    message key, never the text."""

    def send(self, *, to: str, text: str, key: str) -> None:
        log.info("Text message to %s [%s], %d characters", mask_phone(to), key, len(text))


def text_message_backend() -> TextMessageBackend:
    path = getattr(
        settings, "NPP_TEXT_MESSAGE_BACKEND", "notifications.channels.LoggingTextMessageBackend"
    )
    return import_string(path)()


class TextMessageChannel:
    def __init__(self) -> None:
        self.backend: TextMessageBackend | None = None

    def send(self, notification: Notification) -> None:
        if self.backend is None:
            self.backend = text_message_backend()
        self.backend.send(to=notification.address, text=notification.body, key=notification.key)

    def close(self) -> None:
        self.backend = None
