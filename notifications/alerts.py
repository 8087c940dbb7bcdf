"""Alerts about an account, for its owner (settings.NPP_ACCOUNT_ALERT_HANDLERS): an
inbox message and an email, whatever the preferences, each once."""

from __future__ import annotations

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_noop

from notifications.models import Category, Channel, Notification, Status
from notifications.services import _urls, render_message
from notifications.tasks import enqueue_notifications
from npp.accounts.languages import in_language_of

# What the password was typed for, in a sentence.
PURPOSES = {"signing": gettext_noop("to sign a document")}  # translated where shown


def account_alert(alert) -> list[Notification]:
    """Tell `alert.user` (an npp.accounts.reentry.AccountAlert). Keyed by the moment
    the lock ends, so a handler run twice for one lockout tells them once."""
    user = alert.user
    until = timezone.localtime(alert.until)
    with in_language_of(user):
        # The date as the owner's language writes it: 3 December 2026 / 3 दिसंबर 2026.
        context = {
            "recipient_name": user.full_name,
            "failures": alert.failures,
            "purpose": PURPOSES.get(alert.purpose, alert.purpose),
            "until": formats.time_format(until, "H:i"),
            "until_date": formats.date_format(until, "j F Y"),
            **_urls(),
        }
        message = render_message(alert.kind, "account", context)
    key = f"account:{user.pk}:{alert.kind}:{alert.purpose}:{int(alert.until.timestamp())}"
    rows = []
    with transaction.atomic():
        for channel, address, status in (
            (Channel.INBOX, "", Status.SENT),
            (Channel.EMAIL, user.email, Status.PENDING),
        ):
            row, _created = Notification.objects.get_or_create(
                key=f"{key}:{channel}",
                defaults={
                    "recipient": user,
                    "channel": channel,
                    "category": Category.SAFETY,  # always sent, whatever the preference
                    "template": message.template,
                    "address": address,
                    "subject": message.subject,
                    "body": message.body,
                    "body_html": message.body_html if channel == Channel.EMAIL else "",
                    "status": status,
                    "sent_at": timezone.now() if status == Status.SENT else None,
                },
            )
            rows.append(row)
        pending = [row.pk for row in rows if row.status == Status.PENDING]
        if pending:
            # A broker that is down is logged there; the sweep sends the row later.
            transaction.on_commit(lambda: enqueue_notifications(pending))
    return rows
