"""Notifications: one row per (event, recipient, channel), the in-app inbox, the
reminders already issued, and what each person wants to hear by email.

A `CaseEvent` is the outbox; a `Notification` is one message that leaves it. Its
unique `key` makes creating it twice harmless, and its lease lets exactly one
sender at a time take it (see services.notification_claim).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_noop


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    INBOX = "inbox", "In-app inbox"
    SMS = "sms", "Text message (SMS/WhatsApp)"


class Category(models.TextChoices):
    # Marked for the catalogue, plain English here: the preferences page translates.
    CASE_UPDATES = "case_updates", gettext_noop("Case updates")
    REMINDERS = "reminders", gettext_noop("Reminders")
    # Urgent safety messages (adverse events, quarantine): sent whatever the preference.
    SAFETY = "safety", gettext_noop("Safety messages (always sent)")


class Status(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Taken by a sender"
    SENT = "sent", "Sent"
    FAILED = "failed", "Given up after repeated errors"
    SKIPPED = "skipped", "Not sent (preference or no address)"


UNSENT = (Status.PENDING, Status.SENDING)


class ReminderKind(models.TextChoices):
    STALLED = "stalled", "Case stalled"
    ESCALATION = "escalation", "Stalled case escalated"
    INFORMATION_UNANSWERED = "information", "Information request unanswered"
    PERMIT_EXPIRY = "permit", "Permit expiring"
    RESUPPLY = "resupply", "Resupply due"
    MONITORING = "monitoring", "Monitoring due"
    ADVERSE_EVENT_OVERDUE = "adverse_event_overdue", "Adverse event report overdue"


class EventDispatch(models.Model):
    """Marks an event whose notification rows exist, so the sweep can find the events
    whose fan-out never ran (broker down at commit, worker killed before it)."""

    event = models.OneToOneField(
        "orders.CaseEvent",
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="notification_dispatch",
    )
    created_at = models.DateTimeField(db_default=Now())

    def __str__(self) -> str:
        return f"Notifications of event {self.event_id}"


class Reminder(models.Model):
    """A reminder issued: unique per (kind, case, due date, recipient, subject), so
    running the reminder job again, or on two machines, reminds once."""

    kind = models.CharField(max_length=30, choices=ReminderKind.choices)
    case = models.ForeignKey(
        "orders.ImportCase", on_delete=models.PROTECT, related_name="reminders"
    )
    due_on = models.DateField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # What within the case it is about when a case has several on one day
    # (a monitoring test, an adverse event report); empty otherwise.
    subject = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "case", "due_on", "recipient", "subject"],
                name="reminder_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for case {self.case_id} due {self.due_on}"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def inbox_of(self, user) -> NotificationQuerySet:
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user, channel=Channel.INBOX)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def claimable(self, now) -> NotificationQuerySet:
        """Unsent rows nobody holds: never taken, waiting out a retry delay that has
        passed, or taken by a sender whose lease ran out (it died or hung)."""
        return self.filter(status__in=UNSENT).filter(
            Q(lease_until__isnull=True) | Q(lease_until__lte=now)
        )


class Notification(models.Model):
    key = models.CharField(max_length=200, unique=True)
    event = models.ForeignKey(
        "orders.CaseEvent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    reminder = models.ForeignKey(
        Reminder, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    case = models.ForeignKey(
        "orders.ImportCase",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    # None for the one email to the coordinators' shared address (services.team_email).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    category = models.CharField(max_length=20, choices=Category.choices)
    template = models.CharField(max_length=100, help_text="The message template it was made from.")
    address = models.CharField(max_length=254, blank=True, help_text="Email address or phone.")
    subject = models.CharField(max_length=255)
    body = models.TextField()
    body_html = models.TextField(blank=True)
    # A file the email carries (a side-effect report's CIOMS I form), read from
    # storage when the email leaves: the row holds the reference, not the bytes.
    attachment = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # While a sender holds the row, and while a failed row waits for its retry.
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(db_default=Now())
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient", "channel"],
                condition=Q(event__isnull=False),
                name="notification_once_per_event_recipient_channel",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "channel", "read_at"], name="notification_inbox"),
            models.Index(
                fields=["status", "created_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="notification_unsent",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_channel_display()} to {self.recipient_id or self.address}: {self.subject}"
        )

    @staticmethod
    def event_key(event_id: int, recipient_id: int | str, channel: str) -> str:
        return f"event:{event_id}:{recipient_id}:{channel}"

    @staticmethod
    def reminder_key(reminder_id: int, channel: str) -> str:
        return f"reminder:{reminder_id}:{channel}"


class NotificationPreference(models.Model):
    """Email (and text messages) on or off per category. Without a row, email is on
    and text messages are off. Safety messages ignore the preference."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    email = models.BooleanField(default=True)
    sms = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="preference_per_category")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.category}: email={self.email} sms={self.sms}"


class NotificationSetting(models.Model):
    """A person's choice of how much they hear about their cases: everything (the
    default), or only the events they must act on (safety messages and reminders
    always). Kept by themselves on the preferences page."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_setting"
    )
    only_to_act_on = models.BooleanField(
        default=False, help_text="Only messages about something this person must do."
    )

    def __str__(self) -> str:
        return f"{self.user_id}: only_to_act_on={self.only_to_act_on}"
