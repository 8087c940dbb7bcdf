"""Notification writes: fan an event out to its rows, claim and send them, find what
was never sent, issue reminders, and read the inbox.

The pattern is healthchecks' Flip/sendalerts: the `CaseEvent` row is the outbox;
`event_fan_out` turns it into one `Notification` per (event, recipient, channel),
unique by key, so doing it twice is harmless; a sender takes a row with a
conditional UPDATE (`notification_claim`), sends outside any transaction, and
records the result right after. A sender that dies leaves a lease that runs out,
and then the row is taken again.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, IntegrityError, connection, connections, router, transaction
from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext

from notifications.channels import EmailChannel, TextMessageChannel
from notifications.models import (
    UNSENT,
    Category,
    Channel,
    EventDispatch,
    Notification,
    NotificationPreference,
    NotificationSetting,
    Reminder,
    ReminderKind,
    Status,
)
from notifications.recipients import (
    EXTERNAL_RECIPIENTS,
    SUPPLIER_SAFETY,
    Audience,
    Recipient,
    Rule,
    coordinators_address,
    event_people_attach,
    event_people_wanted,
    must_act_on,
    notified_events,
    recipients_of,
    recipients_of_event,
    team_events,
)
from npp.accounts.languages import in_language_of
from npp.accounts.models import Role, User
from npp.compiled import (
    CompiledSelect,
    JsonInsert,
    per_connection,
    prepared,
    rows_together,
    unprepare_if_stale,
)
from orders import adverse_events
from orders.models import AdverseEvent, CaseEvent, ImportCase
from orders.states import PATIENT_LABELS, CaseStatus
from orders.timeline import event_title

log = logging.getLogger(__name__)

# In a notification key, in place of a recipient's id: the coordinators as a team.
TEAM = "coordinators"
# The template of the email that takes a CIOMS I form to the supplier.
ADVERSE_EVENT_REPORT_TEMPLATE = f"{adverse_events.PREPARED}-supplier"


# --- Messages -------------------------------------------------------------------


@lru_cache(maxsize=512)
def _template_base(name: str, role: str) -> str:
    """The event's own template set when there is one, else the generic step."""
    try:
        get_template(f"notifications/{name}-{role}-subject.txt")
        return f"{name}-{role}"
    except TemplateDoesNotExist:
        return f"step-{role}"


@lru_cache(maxsize=512)
def _has_html(base: str) -> bool:
    try:
        get_template(f"notifications/{base}-body.html")
        return True
    except TemplateDoesNotExist:
        return False


@dataclass(frozen=True)
class Message:
    template: str
    subject: str
    body: str
    body_html: str


# A template that names another by a literal: {% extends "x" %}, {% include 'y' %}.
_REFERENCE = re.compile(r"""{%\s*(?:extends|include)\s+(["'])(.+?)\1""")
_ANY_REFERENCE = re.compile(r"{%\s*(?:extends|include)\b")


@lru_cache(maxsize=512)
def _mentions(template_name: str, word: str) -> bool:
    """Whether `word` appears in the source of a template or of any template it
    extends or includes. A reference by a variable cannot be followed: it counts
    as a mention. (A template tag of our own that read the context itself would not
    be seen: none does.)"""
    source = get_template(template_name).template.source
    if word in source:
        return True
    named = [match.group(2) for match in _REFERENCE.finditer(source)]
    if len(named) != len(_ANY_REFERENCE.findall(source)):
        return True
    return any(_mentions(other, word) for other in named)


@lru_cache(maxsize=512)
def _personal(name: str, role: str) -> bool:
    """Whether a message's templates say the recipient's name: if not, the people of
    one role reading one language get the same message, rendered once per event."""
    base = _template_base(name, role)
    html = f"notifications/{base}-body.html" if _has_html(base) else "notifications/body.html"
    return any(
        _mentions(template, "recipient_name")
        for template in (
            f"notifications/{base}-subject.txt",
            f"notifications/{base}-body.txt",
            html,
        )
    )


def templates_warm() -> None:
    """Find, compile and cache every template an event's message may use (and whether
    it names its reader), as a worker's first notification tasks otherwise would."""
    from notifications.recipients import WHO_HEARS_WHAT

    for name, rules in WHO_HEARS_WHAT.items():
        for role in {rule.audience.role for rule in rules}:
            _personal(name, role)
    for name in EXTERNAL_RECIPIENTS:
        _personal(name, SUPPLIER_SAFETY_ROLE)


def render_message(name: str, role: str, context: Mapping[str, Any]) -> Message:
    base = _template_base(name, role)
    subject = " ".join(render_to_string(f"notifications/{base}-subject.txt", context).split())
    body = render_to_string(f"notifications/{base}-body.txt", context).strip() + "\n"
    html_name = f"notifications/{base}-body.html" if _has_html(base) else "notifications/body.html"
    html = render_to_string(html_name, {**context, "subject": subject, "text_body": body})
    return Message(template=base, subject=subject[:255], body=body, body_html=html)


def _urls() -> dict[str, str]:
    site = settings.SITE_URL.rstrip("/")
    path = _inbox_path(settings.ROOT_URLCONF, get_urlconf(), get_script_prefix())
    return {"site_url": site, "inbox_url": site + path}


@lru_cache(maxsize=16)
def _inbox_path(root_urlconf: str, urlconf: str | None, prefix: str) -> str:
    """reverse() once per URL configuration (it took 0.4 ms a task)."""
    return reverse("notifications:inbox")


def _state_label(state: str) -> str:
    return CaseStatus(state).label if state in CaseStatus.values else state


def message_context(
    event: CaseEvent,
    recipient: Recipient,
    *,
    urls: Mapping[str, str],
    adverse_event: AdverseEvent | None,
) -> dict[str, Any]:
    """What a message may say. A patient's context is built from the case and the
    plain-language status only: the event's note and data are internal and never
    reach a patient, whichever template is used. What is the same for all of an
    event's recipients (`urls`, `adverse_event`) the fan-out looks up once."""
    case = event.case
    common = {
        "recipient_name": recipient.user.full_name,
        "reference": case.reference,
        "product": case.product.brand_name,
        **urls,
    }
    if recipient.audience is Audience.PATIENT:
        label = PATIENT_LABELS.get(event.to_state, "")
        return {**common, "status_label": gettext(label) if label else ""}
    context = {
        **common,
        "event": event.transition,
        "event_label": event_title(event),
        "from_state": _state_label(event.from_state),
        "to_state": _state_label(event.to_state),
        "note": event.note,
        "data": event.data,
        "actor": event.actor.full_name,
        "patient_name": case.patient.full_name,
        "physician_name": case.physician.full_name,
        "priority": case.get_priority_display(),
        "case": case,
    }
    if (event.data or {}).get("adverse_event_id"):
        context["adverse_event"] = adverse_event
    return context


def _adverse_event_of(event: CaseEvent) -> AdverseEvent | None:
    adverse_event_id = (event.data or {}).get("adverse_event_id")
    if not adverse_event_id:
        return None
    return AdverseEvent.objects.filter(pk=adverse_event_id).first()


# --- Outside the service ------------------------------------------------------------
# A supplier's pharmacovigilance desk gets the side-effect report by email, with its
# CIOMS I form attached. Its message says what the form says and no more: no patient's
# name, no link into the service.

# The template each external recipient's message is made from: `<event>-<role>`.
SUPPLIER_SAFETY_ROLE = "supplier"


def supplier_safety_context(event: CaseEvent) -> dict[str, Any]:
    case = event.case
    report = AdverseEvent.objects.get(pk=event.data["adverse_event_id"])
    return {
        "report_number": f"{case.reference}-AE{report.pk}",
        "reference": case.reference,
        "adverse_event": report,
        "product": case.product,
        "service_name": settings.NPP_SERVICE_NAME,
        "service_email": settings.NPP_SERVICE_EMAIL,
        "service_phone": settings.NPP_SERVICE_PHONE,
        "pathway": case.pathway,
    }


def external_email(event: CaseEvent, *, now: dt.datetime) -> Notification | None:
    """The one email `event` sends outside the service (EXTERNAL_RECIPIENTS), to the
    address the event recorded, with the document it names attached."""
    if EXTERNAL_RECIPIENTS.get(event.transition) != SUPPLIER_SAFETY:
        return None
    data = event.data or {}
    address = data.get("safety_contact", "")
    message = render_message(event.transition, SUPPLIER_SAFETY_ROLE, supplier_safety_context(event))
    return Notification(
        key=Notification.event_key(event.pk, SUPPLIER_SAFETY, Channel.EMAIL),
        event=event,
        case=event.case,
        recipient=None,
        channel=Channel.EMAIL,
        category=Category.SAFETY,
        template=message.template,
        address=address,
        subject=message.subject,
        body=message.body,
        body_html=message.body_html,
        attachment_id=data.get("document_id"),
        status=Status.PENDING if address else Status.SKIPPED,
        last_error="" if address else "No address recorded.",
    )


def _supplier_safety_sent(notification: Notification, sent_at: dt.datetime) -> None:
    adverse_events.adverse_event_report_sent(
        adverse_event=int(notification.event.data["adverse_event_id"]),
        sent_to=notification.address,
        sent_at=sent_at,
    )


def _supplier_safety_given_up(notification: Notification, error: str) -> None:
    adverse_events.adverse_event_report_unsent(
        adverse_event=int(notification.event.data["adverse_event_id"]),
        reason=f"The email to {notification.address} failed after "
        f"{notification.attempts} attempts ({error}).",
    )


# What the domain records when an outside email leaves, or is given up: in the same
# transaction as the row's own status, so that the two never disagree.
ON_SENT = {ADVERSE_EVENT_REPORT_TEMPLATE: _supplier_safety_sent}
ON_GIVEN_UP = {ADVERSE_EVENT_REPORT_TEMPLATE: _supplier_safety_given_up}


# --- Fan-out ----------------------------------------------------------------------


def _preferences(user_ids: Iterable[int]) -> dict[tuple[int, str], NotificationPreference]:
    rows = NotificationPreference.objects.filter(user_id__in=list(user_ids))
    return {(p.user_id, p.category): p for p in rows}


def _choices_query(user_ids: list[int]) -> QuerySet:
    return User.objects.filter(pk__in=user_ids).values_list(
        "pk",
        "notification_setting__only_to_act_on",
        "notification_preferences__category",
        "notification_preferences__email",
        "notification_preferences__sms",
    )


# Beyond this many people the query is compiled for each call, as the ORM does.
_CHOICES_COMPILED_UP_TO = 32


def _choices_rows(user_ids: list[int]) -> list[tuple]:
    """`_choices_query` for these people, compiled by the ORM once per database
    connection and number of people (one to a few dozen shapes): building and compiling
    its three-table query was a tenth of a task's Python."""
    if not user_ids or len(user_ids) > _CHOICES_COMPILED_UP_TO:
        return list(_choices_query(user_ids)) if user_ids else []
    connection = connections[router.db_for_read(User)]
    count = len(user_ids)
    # Distinct stand-ins (an IN list drops repeated values), negative like no pk.
    statement = per_connection(
        connection,
        ("notifications.choices", count),
        lambda: CompiledSelect(_choices_query(list(range(-count, 0))), range(-count, 0)),
    )
    return statement.rows(user_ids)


def _choices_of(
    user_ids: Iterable[int],
) -> tuple[set[int], dict[tuple[int, str], NotificationPreference]]:
    """Who of `user_ids` hears only what they must act on, and everyone's
    preferences per category: one statement (a fan-out runs on every event)."""
    return _choices_from(_choices_rows(list(dict.fromkeys(user_ids))))


def _choices_from(
    rows: Iterable[tuple],
) -> tuple[set[int], dict[tuple[int, str], NotificationPreference]]:
    """(quiet, prefs) from rows of (user id, only_to_act_on, category, email, sms)."""
    quiet: set[int] = set()
    prefs: dict[tuple[int, str], NotificationPreference] = {}
    for user_id, only_to_act_on, category, email, sms in rows:
        if only_to_act_on:
            quiet.add(user_id)
        if category is not None:
            prefs[(user_id, category)] = NotificationPreference(
                user_id=user_id, category=category, email=email, sms=sms
            )
    return quiet, prefs


@dataclass(frozen=True)
class Choices:
    """The notification choices of the people `read` (everyone a fan-out may tell, read
    with their accounts): who hears only what they must act on, and the preferences."""

    read: frozenset[int]
    quiet: set[int]
    prefs: dict[tuple[int, str], NotificationPreference]


_USER_COLUMNS = tuple(field.attname for field in User._meta.concrete_fields)
_CHOICE_COLUMNS = (
    "notification_setting__only_to_act_on",
    "notification_preferences__category",
    "notification_preferences__email",
    "notification_preferences__sms",
)


def _people_query(user_ids: list[int], team: bool) -> QuerySet:
    found = Q(pk__in=user_ids)
    if team:
        found |= Q(role=Role.COORDINATOR, is_active=True)
    return User.objects.filter(found).order_by().values_list(*_USER_COLUMNS, *_CHOICE_COLUMNS)


class _PeopleStatement:
    """`_people_query` for a number of ids, compiled once per connection: the ids are its
    first parameters, the coordinators' role and activity (with `team`) the rest."""

    def __init__(self, connection, count: int, team: bool) -> None:
        stand_ins = list(range(-count, 0))  # distinct, negative like no pk
        queryset = _people_query(stand_ins, team).using(connection.alias)
        _sql, params = queryset.query.get_compiler(using=connection.alias).as_sql()
        if list(params[:count]) != stand_ins:
            raise ImproperlyConfigured(f"Unexpected parameters in the people query: {params!r}")
        self.fixed = list(params[count:])
        self.statement = CompiledSelect(queryset, [*stand_ins, *self.fixed])

    def rows(self, user_ids: list[int]) -> list[tuple]:
        return self.statement.rows([*user_ids, *self.fixed])


def _people_and_choices(event: CaseEvent) -> tuple[list[User] | None, Choices | None]:
    """event_people_load and the choices of everyone the event may tell, in one
    statement: the accounts it names (with the patient's) and, when the event concerns
    them, the active coordinators, each with their only-what-I-act-on setting and
    preferences (a row per preference). The staff query and the choices query were two
    round trips (and an ORM compilation) on every event to staff. An event for the
    patient alone reads nothing here (its fan-out reads the patient's choices)."""
    wanted = event_people_wanted(event)
    if wanted is None:
        return None, None
    ids, team = wanted
    patient_user = event.case.patient.user_id
    user_ids = sorted(ids | ({patient_user} if patient_user is not None else set()))
    connection = connections[router.db_for_read(User)]
    if len(user_ids) > _CHOICES_COMPILED_UP_TO:
        rows = list(_people_query(user_ids, team).using(connection.alias))
    else:
        rows = per_connection(
            connection,
            ("notifications.people", len(user_ids), team),
            lambda: _PeopleStatement(connection, len(user_ids), team),
        ).rows(user_ids)
    users: dict[int, User] = {}
    width = len(_USER_COLUMNS)
    for row in rows:
        if row[0] not in users:
            users[row[0]] = User.from_db(connection.alias, _USER_COLUMNS, row[:width])
    quiet, prefs = _choices_from((row[0], *row[width:]) for row in rows)
    staff = event_people_attach(event, users, team)
    return staff, Choices(read=frozenset(users), quiet=quiet, prefs=prefs)


def _channel_rows(
    recipient: Recipient, prefs: Mapping[tuple[int, str], NotificationPreference]
) -> list[tuple[str, str, str, str]]:
    """(channel, address, status, reason) for one recipient: the inbox always, email
    unless switched off (safety messages always) or sent to the team's address
    instead (`team_email`), text messages when asked for."""
    pref = prefs.get((recipient.user.pk, recipient.category))
    wants_email = pref is None or pref.email or recipient.category == Category.SAFETY
    rows = [(Channel.INBOX, "", Status.SENT, "")]
    if recipient.team:
        pass  # the team's one email is a row of its own (team_email)
    elif wants_email:
        rows.append((Channel.EMAIL, recipient.user.email, Status.PENDING, ""))
    else:
        rows.append((Channel.EMAIL, "", Status.SKIPPED, "Email switched off in preferences."))
    if pref is not None and pref.sms:
        if recipient.phone:
            rows.append((Channel.SMS, recipient.phone, Status.PENDING, ""))
        else:
            rows.append((Channel.SMS, "", Status.SKIPPED, "No phone number on record."))
    return rows


def _build_rows(
    recipient: Recipient,
    message: Message,
    prefs: Mapping[tuple[int, str], NotificationPreference],
    *,
    key,
    now: dt.datetime,
    **links: Any,
) -> list[Notification]:
    rows = []
    for channel, address, status, reason in _channel_rows(recipient, prefs):
        body = message.body
        if channel == Channel.SMS:
            body = f"{message.subject} {_urls()['inbox_url']}"
        rows.append(
            Notification(
                key=key(channel),
                recipient=recipient.user,
                channel=channel,
                category=recipient.category,
                template=message.template,
                address=address,
                subject=message.subject,
                body=body,
                body_html=message.body_html if channel == Channel.EMAIL else "",
                status=status,
                last_error=reason,
                sent_at=now if status == Status.SENT else None,
                **links,
            )
        )
    return rows


def team_email(
    recipient: Recipient, message: Message, *, key: str, now: dt.datetime, **links: Any
) -> Notification:
    """The one email the coordinators get as a team (see recipients.Recipient.team):
    to their shared address, whoever is on duty, whatever anyone's preferences."""
    return Notification(
        key=key,
        recipient=None,
        channel=Channel.EMAIL,
        category=recipient.category,
        template=message.template,
        address=coordinators_address(),
        subject=message.subject,
        body=message.body,
        body_html=message.body_html,
        status=Status.PENDING,
        **links,
    )


def _fan_out_write(event: CaseEvent, rows: list[Notification]) -> None:
    """Create the event's dispatch marker and every row, in one transaction, the marker
    first: of two fan-outs of one event at once, the second waits on the marker for the
    first to commit and then fails (IntegrityError), so rows are created (and taken) by
    one of them only.

    On PostgreSQL, outside a caller's transaction, that transaction is one statement
    (`_fan_out_insert`): the marker's INSERT in a WITH clause whose RETURNING gives
    every row its event, so it runs first, and its commit does not wait for the disk
    (asynchronous commit, set by the statement itself: set_config(..., true)). One
    round trip where BEGIN, the marker, the rows and COMMIT took four. The commit is
    visible to every other session at once, as any commit, so a second fan-out or
    sender still sees the rows taken; only a crash of the database server in the next
    fraction of a second (wal_writer_delay, 200 ms, three at most) could undo it. Only
    for writes that are recovered if undone: rows and their marker that never existed
    are made again by the sweep from the event (committed durably by the transition);
    a row whose 'sent' is undone is sent again when its lease runs out, the duplicate
    the Message-ID is for. Inside a caller's transaction nothing changes: the setting
    would cover the caller's writes too."""
    if (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and _fan_out_insert(event, rows)
    ):
        return
    with transaction.atomic():
        EventDispatch.objects.create(event=event)
        Notification.objects.bulk_create(rows)


def _fan_out_insert(event: CaseEvent, rows: list[Notification]) -> bool:
    """The marker and the rows in one statement, built once per connection
    (npp.compiled.JsonInsert: one parameter, whatever the number of rows).
    False when it cannot write them (a value it does not take): nothing was sent to
    the database."""
    # The connection itself, not django.db.connection (a proxy to the thread's own):
    # the statement is kept on it and prepares every value with it.
    database = connections[router.db_for_write(Notification)]
    if not rows:
        with database.cursor() as cursor:
            cursor.execute(_marker_sql(), [event.pk])
        return True
    statement = per_connection(
        database,
        "notifications.fan_out",
        lambda: JsonInsert(
            database,
            Notification,
            match="key",
            # Each row's event is the marker's: the marker's INSERT runs first.
            expressions={"event_id": f"SELECT {_MARKER_COLUMN} FROM {_MARKER}"},
            prefix=f"WITH {_MARKER} AS ({_marker_sql()} RETURNING {_MARKER_COLUMN}) ",
            prefix_params=1,
        ),
    )
    return statement.insert(rows, [event.pk])


# The WITH clause's name for the marker, and the marker's column (EventDispatch.event).
_MARKER = "dispatch_marker"
_MARKER_COLUMN = '"event_id"'


@lru_cache(maxsize=1)
def _marker_sql() -> str:
    """The marker's INSERT that also makes its transaction's commit asynchronous."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    table = DatabaseOperations.quote_name(None, EventDispatch._meta.db_table)
    column = DatabaseOperations.quote_name(None, EventDispatch._meta.get_field("event").column)
    return (
        f"INSERT INTO {table} ({column}) "
        "SELECT %s FROM set_config('synchronous_commit', 'off', true)"
    )


def _mark_sent(keys: list[str], sent_at: dt.datetime) -> None:
    """Record the rows of `keys` that this sender still holds as sent: one UPDATE. On
    PostgreSQL, outside a caller's transaction, it is a transaction of its own that
    commits as the fan-out's does (`_fan_out_write`): the setting is made by the
    statement itself (set_config(..., true) in its WHERE clause, evaluated before its
    implicit commit), which saves the BEGIN, SET LOCAL and COMMIT round trips of a
    transaction block; its text is written once (the keys are one array parameter),
    not built and compiled by the ORM on every task. Elsewhere the ORM's UPDATE."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        Notification.objects.filter(key__in=keys, status=Status.SENDING).update(
            status=Status.SENT, sent_at=sent_at, lease_until=None, last_error=""
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _mark_sent_sql(),
            [Status.SENT.value, sent_at, "", keys, Status.SENDING.value],
        )


@lru_cache(maxsize=1)
def _mark_sent_sql() -> str:
    """PostgreSQL's UPDATE for `_mark_sent`, as the ORM would quote it."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    meta = Notification._meta
    table = DatabaseOperations.quote_name(None, meta.db_table)
    status, sent_at, lease_until, last_error, key = (
        DatabaseOperations.quote_name(None, meta.get_field(name).column)
        for name in ("status", "sent_at", "lease_until", "last_error", "key")
    )
    return (
        f"UPDATE {table} SET {status} = %s, {sent_at} = %s, {lease_until} = NULL, "
        f"{last_error} = %s WHERE {key} = ANY(%s) AND {status} = %s "
        "AND set_config('synchronous_commit', 'off', true) = 'off'"
    )


def event_fan_out(
    *,
    event: CaseEvent,
    claim: bool = False,
    staff: list[User] | None = None,
    choices: Choices | None = None,
) -> list[Notification] | None:
    """Create the rows of every notification `event` causes, once, with the marker
    that says so. Returns the rows created, or None when the event was fanned out
    already. With `claim`, the rows to send are created already taken by the caller
    (status sending, under a lease), which saves a claim per row on the first run;
    every later attempt claims with the conditional UPDATE. `staff`: the active
    coordinators, when the caller read them already (event_people_load); `choices`:
    the recipients' choices, when the caller read them already (_people_and_choices;
    read here unless they cover every recipient)."""
    recipients = recipients_of_event(event, staff=staff)
    if choices is not None and all(r.user.pk in choices.read for r in recipients):
        quiet, prefs = choices.quiet, choices.prefs
    else:
        quiet, prefs = _choices_of(r.user.pk for r in recipients)
    # Those who asked to hear only what they must act on hear nothing else.
    recipients = [r for r in recipients if r.user.pk not in quiet or must_act_on(event, r)]
    now = timezone.now()
    rows: list[Notification] = []
    team_told = False
    # What every recipient's message shares, looked up once.
    urls = _urls()
    to_staff = any(r.audience is not Audience.PATIENT for r in recipients)
    adverse_event = _adverse_event_of(event) if to_staff else None  # never to a patient
    # One rendering per role and language, unless the templates name the recipient.
    messages: dict[tuple[str, str, str], Message] = {}
    for recipient in recipients:
        role = recipient.audience.role
        with in_language_of(recipient.user):
            shared = (
                role,
                get_language(),
                recipient.user.full_name if _personal(event.transition, role) else "",
            )
            message = messages.get(shared)
            if message is None:
                context = message_context(event, recipient, urls=urls, adverse_event=adverse_event)
                message = messages[shared] = render_message(event.transition, role, context)
        rows += _build_rows(
            recipient,
            message,
            prefs,
            key=lambda channel, user=recipient.user: Notification.event_key(
                event.pk, user.pk, channel
            ),
            now=now,
            event=event,
            case=event.case,
        )
        if recipient.team and not team_told:
            team_told = True
            key = Notification.event_key(event.pk, TEAM, Channel.EMAIL)
            rows.append(
                team_email(recipient, message, key=key, now=now, event=event, case=event.case)
            )
    outside = external_email(event, now=now)
    if outside is not None:
        rows.append(outside)
    if claim:
        for row in rows:
            if row.status == Status.PENDING:
                row.status, row.lease_until, row.attempts = Status.SENDING, now + _lease(), 1
    try:
        _fan_out_write(event, rows)
    except IntegrityError:
        return None
    return rows


# --- Claim, send, record ------------------------------------------------------------
# Rows are addressed by their unique key, so that a fan-out can send the rows it
# just built without reading them back.


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.NPP_NOTIFICATION_LEASE_SECONDS)


def notification_claim(*, notification: Notification, now: dt.datetime | None = None) -> bool:
    """Take `notification` for this sender: a conditional UPDATE, so of two senders
    only one gets it; a row whose sender died is taken again once its lease ran out."""
    now = now or timezone.now()
    claimed = (
        Notification.objects.filter(key=notification.key)
        .claimable(now)
        .filter(attempts__lt=settings.NPP_NOTIFICATION_MAX_ATTEMPTS)
        .update(status=Status.SENDING, lease_until=now + _lease(), attempts=F("attempts") + 1)
    )
    if claimed:
        notification.status = Status.SENDING
        notification.attempts += 1
    return bool(claimed)


def _record_sent(notifications: list[Notification]) -> None:
    """Record rows sent: one UPDATE for all of them; a row whose sending the domain
    records too (ON_SENT) in a transaction of its own with that record."""
    sent_at = timezone.now()
    plain = [n.key for n in notifications if n.template not in ON_SENT]
    if plain:
        _mark_sent(plain, sent_at)
    for notification in notifications:
        if notification.template not in ON_SENT:
            continue
        with transaction.atomic():
            updated = Notification.objects.filter(
                key=notification.key, status=Status.SENDING
            ).update(status=Status.SENT, sent_at=sent_at, lease_until=None, last_error="")
            if updated:
                ON_SENT[notification.template](notification, sent_at)


# Rows sent are recorded together, after the batch or once the oldest unrecorded send
# is this old, so that a slow mail server does not leave sent rows unrecorded for
# long: a sender that dies in between leaves them to be sent again when their lease
# runs out (the duplicate the Message-ID lets a mail system recognise).
RECORD_AFTER_SECONDS = 2.0


class _SentRows:
    def __init__(self) -> None:
        self.rows: list[Notification] = []
        self.since = 0.0

    def add(self, notification: Notification) -> None:
        if not self.rows:
            self.since = time.monotonic()
        self.rows.append(notification)
        self.record_if_due()

    def record_if_due(self) -> None:
        """Record when the oldest unrecorded send is old enough: checked after a send
        and before the next row too, since a failing or slow row in between may take
        as long as a mail server's timeout."""
        if self.rows and time.monotonic() - self.since >= RECORD_AFTER_SECONDS:
            self.record()

    def record(self) -> None:
        # Forgotten only once recorded: a failed UPDATE leaves them for the next try
        # (the batch's `finally`), rather than to their lease running out.
        if self.rows:
            _record_sent(self.rows)
            self.rows = []


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff after the n-th failed attempt, capped like the tasks'."""
    seconds = min(settings.NPP_TASK_RETRY_BACKOFF_MAX, 15 * 2 ** max(attempts - 1, 0))
    return dt.timedelta(seconds=seconds)


def _record_failure(notification: Notification, error: BaseException) -> dt.datetime | None:
    """Back to pending after a delay, or failed for good after the last attempt.
    Returns when it may be tried again (None when given up)."""
    message = f"{type(error).__name__}: {error}"[:2000]
    row = Notification.objects.filter(key=notification.key)
    if notification.attempts >= settings.NPP_NOTIFICATION_MAX_ATTEMPTS:
        with transaction.atomic():
            # Only the sender that still holds the row gives it up: one whose lease ran
            # out while another sent it must not turn a sent row back, or tell twice.
            given_up = row.filter(status=Status.SENDING).update(
                status=Status.FAILED, lease_until=None, last_error=message
            )
            if given_up and notification.template in ON_GIVEN_UP:
                ON_GIVEN_UP[notification.template](notification, message)
        log.error("Notification %s given up: %s", notification.key, message)
        return None
    retry_at = timezone.now() + retry_delay(notification.attempts)
    row.filter(status=Status.SENDING).update(
        status=Status.PENDING, lease_until=retry_at, last_error=message
    )
    log.warning(
        "Notification %s failed (attempt %s): %s", notification.key, notification.attempts, message
    )
    return retry_at


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    # The earliest time a row of this batch that is not sent yet may be taken again
    # (its retry delay, or the lease of another sender holding it).
    retry_at: dt.datetime | None = None

    def wait_for(self, when: dt.datetime | None) -> None:
        if when is not None and (self.retry_at is None or when < self.retry_at):
            self.retry_at = when


def unsent(rows: QuerySet[Notification]) -> QuerySet[Notification]:
    """The rows of `rows` that still have to leave (the inbox needs no sending)."""
    return rows.filter(status__in=UNSENT).exclude(channel=Channel.INBOX).order_by("pk")


def notifications_send(rows: Iterable[Notification], *, claimed: bool = False) -> Delivery:
    """Send every row of `rows` that is still to be sent and that this sender can
    claim (or, with `claimed`, the rows a fan-out just created taken). No transaction
    is held while a message leaves; the rows sent are recorded together after the
    batch (`_SentRows`), a failure right after its send."""
    delivery = Delivery()
    senders = {Channel.EMAIL: EmailChannel(), Channel.SMS: TextMessageChannel()}
    sent = _SentRows()
    try:
        for notification in rows:
            sent.record_if_due()
            if notification.channel == Channel.INBOX or notification.status not in UNSENT:
                continue
            held_by_us = claimed and notification.status == Status.SENDING
            if not held_by_us and not notification_claim(notification=notification):
                # Sent already, or held by another sender (or waiting out a retry).
                held = (
                    Notification.objects.filter(key=notification.key, status__in=UNSENT)
                    .values_list("lease_until", flat=True)
                    .first()
                )
                if held is not None:
                    delivery.wait_for(held)
                continue
            sender = senders[notification.channel]
            try:
                sender.send(notification)
            except Exception as error:  # any provider error: recorded, retried later
                sender.close()  # never reuse a connection that just failed
                delivery.failed += 1
                delivery.wait_for(_record_failure(notification, error))
                continue
            sent.add(notification)
            delivery.sent += 1
    finally:
        # Also when the batch stops half-way (a time limit, a database error): what
        # left is recorded as sent.
        try:
            sent.record()
        finally:
            for sender in senders.values():
                sender.close()
    return delivery


# What every message needs, in one query. The accounts only messages to staff need
# (the physician's, the actor's, the coordinators') are read by one more statement
# for those events only (event_people_load): each join costs planning time, on
# each of many small tasks (an event with its case, patient, physician and product
# took 3 ms, with the physician's and the actor's accounts too 6.7 ms, at load 10).
EVENT_RELATED = ("case__patient__user", "case__physician", "case__product")


def _event_load(event_id: int) -> CaseEvent:
    """CaseEvent.objects.select_related(*EVENT_RELATED).get(pk=event_id), compiled by the
    ORM once per database connection: building and compiling that five-table,
    80-column queryset took about 1 ms of Python on every task."""
    return _event_statement(connections[router.db_for_read(CaseEvent)]).get([event_id])


# The names of the event's and its people's queries prepared on a worker's database
# session.
_EVENT_PREPARED = "npp_notifications_event"
_PEOPLE_PREPARED = "npp_notifications_people"


def _event_statement(connection) -> CompiledSelect:
    return per_connection(
        connection,
        "notifications.event",
        lambda: CompiledSelect(
            CaseEvent.objects.using(connection.alias)
            .select_related(*EVENT_RELATED)
            .filter(pk=0)
            .order_by(),
            [0],
        ),
    )


class _EventPeopleStatement:
    """The people an event's messages may need, with their choices, found by the
    database from the event's id alone (so that it can be sent with the event's query,
    before its row is back): the case's patient's, physician's and assigned
    coordinator's accounts and the actor's, and the active coordinators when the event
    is one that concerns them as a team (TEAM_EVENTS); `_people_query`'s columns."""

    STAND_IN = -1

    def __init__(self, connection) -> None:
        queryset = (
            User.objects.using(connection.alias)
            .filter(
                Q(pk__in=RawSQL(_event_people_ids_sql(), [self.STAND_IN]))
                | (
                    Q(role=Role.COORDINATOR, is_active=True)
                    & Q(
                        RawSQL(
                            _event_is_sql(),
                            [self.STAND_IN, sorted(team_events())],
                            output_field=BooleanField(),
                        )
                    )
                )
            )
            .order_by()
            .values_list(*_USER_COLUMNS, *_CHOICE_COLUMNS)
        )
        _sql, params = queryset.query.get_compiler(using=connection.alias).as_sql()
        self.params = list(params)
        self.positions = [n for n, param in enumerate(params) if param == self.STAND_IN]
        if len(self.positions) != 2:
            raise ImproperlyConfigured(f"Unexpected parameters in the people query: {params!r}")
        self.statement = CompiledSelect(queryset, params)

    def params_for(self, event_id: int) -> list:
        params = list(self.params)
        for position in self.positions:
            params[position] = event_id
        return params


@lru_cache(maxsize=1)
def _event_people_ids_sql() -> str:
    """PostgreSQL: the ids of the accounts an event may need (patient's, actor's,
    physician's, assigned coordinator's), from the event's id."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    def quote(name: str) -> str:
        return DatabaseOperations.quote_name(None, name)

    def column(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    event, case = CaseEvent, ImportCase
    patient = ImportCase._meta.get_field("patient").related_model
    physician = ImportCase._meta.get_field("physician").related_model
    return (
        f"SELECT v.person FROM {quote(event._meta.db_table)} e "
        f"JOIN {quote(case._meta.db_table)} c "
        f"ON c.{column(case, 'id')} = e.{column(event, 'case')} "
        f"JOIN {quote(patient._meta.db_table)} pa "
        f"ON pa.{column(patient, 'id')} = c.{column(case, 'patient')} "
        f"JOIN {quote(physician._meta.db_table)} ph "
        f"ON ph.{column(physician, 'id')} = c.{column(case, 'physician')}, "
        f"LATERAL (VALUES (pa.{column(patient, 'user')}), (e.{column(event, 'actor')}), "
        f"(ph.{column(physician, 'user')}), (c.{column(case, 'assigned_coordinator')})) "
        f"AS v(person) WHERE e.{column(event, 'id')} = %s AND v.person IS NOT NULL"
    )


@lru_cache(maxsize=1)
def _event_is_sql() -> str:
    """PostgreSQL: whether the event of this id is one of these transitions."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    quote = DatabaseOperations.quote_name
    table = quote(None, CaseEvent._meta.db_table)
    pk = quote(None, CaseEvent._meta.pk.column)
    transition = quote(None, CaseEvent._meta.get_field("transition").column)
    return f"EXISTS (SELECT 1 FROM {table} WHERE {pk} = %s AND {transition} = ANY(%s))"


def _event_and_people_load(event_id: int) -> tuple[CaseEvent, list[User] | None, Choices | None]:
    """_event_load and _people_and_choices, on PostgreSQL in one round trip: the
    people's query finds them from the event's id and is sent with the event's query
    (npp.compiled.rows_together). It reads the patient's, the actor's, the physician's
    and an assigned coordinator's accounts, and the active coordinators for an event
    that concerns them as a team, whatever the event needs of them (at most four
    accounts more than a patient-only event needs, none of them told); the accounts
    the event needs are then attached as event_people_load attaches them. A round
    trip less on every task: two statements were sent one after the other because the
    second needed the event's row."""
    connection = connections[router.db_for_read(CaseEvent)]
    if connection.vendor != "postgresql":
        event = _event_load(event_id)
        return event, *_people_and_choices(event)
    event_statement = _event_statement(connection)
    people = per_connection(
        connection, "notifications.event_people", lambda: _EventPeopleStatement(connection)
    )

    def read_both():
        event_text = prepared(connection, _EVENT_PREPARED, event_statement)
        people_text = prepared(connection, _PEOPLE_PREPARED, people.statement)
        return rows_together(
            connection,
            [
                (event_statement, [event_id], event_text),
                (people.statement, people.params_for(event_id), people_text),
            ],
        )

    try:
        event_rows, people_rows = read_both()
    except DatabaseError as error:
        # Either may be the stale one: both are dropped, and prepared anew.
        stale = [
            unprepare_if_stale(connection, name, error)
            for name in (_EVENT_PREPARED, _PEOPLE_PREPARED)
        ]
        if not any(stale):
            raise
        event_rows, people_rows = read_both()  # prepared anew for the schema as it is
    event = event_statement.object_of(event_rows)
    users: dict[int, User] = {}
    width = len(_USER_COLUMNS)
    for row in people_rows:
        if row[0] not in users:
            users[row[0]] = User.from_db(connection.alias, _USER_COLUMNS, row[:width])
    wanted = event_people_wanted(event)
    staff = None
    if wanted is not None:
        ids, team = wanted
        if not ids <= users.keys() or team != (event.transition in team_events()):
            # Never so (the same accounts and the same table), but if it were: apart.
            return event, *_people_and_choices(event)
        staff = event_people_attach(event, users, team)
    quiet, prefs = _choices_from((row[0], *row[width:]) for row in people_rows)
    return event, staff, Choices(read=frozenset(users), quiet=quiet, prefs=prefs)


def event_deliver(*, event_id: int) -> Delivery:
    """Everything one event causes: create its rows (the first time only), then send
    them. Safe to run any number of times, also at once on two workers."""
    event, staff, choices = _event_and_people_load(event_id)
    created = event_fan_out(event=event, claim=True, staff=staff, choices=choices)
    if created is None:
        # Delivered again (redelivery, retry, sweep): send what the rows still hold.
        return notifications_send(unsent(Notification.objects.filter(event_id=event_id)))
    return notifications_send(created, claimed=True)


# --- The sweep ------------------------------------------------------------------------


@dataclass
class Sweep:
    event_ids: list[int] = field(default_factory=list)
    notification_ids: list[int] = field(default_factory=list)
    given_up: int = 0


def notification_sweep(*, now: dt.datetime | None = None) -> Sweep:
    """What must be enqueued again: recent events that concern someone but were never
    fanned out, and rows nobody is sending (never taken, retry due, lease expired).
    Both wait out a grace period first, so the normal on-commit path goes first."""
    now = now or timezone.now()
    settled = now - dt.timedelta(seconds=settings.NPP_NOTIFICATION_SWEEP_GRACE_SECONDS)
    since = now - dt.timedelta(hours=settings.NPP_NOTIFICATION_SWEEP_WINDOW_HOURS)
    sweep = Sweep()
    stuck = (
        Notification.objects.claimable(now)
        .exclude(channel=Channel.INBOX)
        .filter(created_at__lte=settled)
    )
    sweep.given_up = stuck.filter(attempts__gte=settings.NPP_NOTIFICATION_MAX_ATTEMPTS).update(
        status=Status.FAILED, lease_until=None
    )
    never_dispatched = CaseEvent.objects.filter(
        transition__in=notified_events(),
        created_at__gte=since,
        created_at__lte=settled,
        notification_dispatch__isnull=True,
    ).values_list("pk", flat=True)
    stuck_events = stuck.filter(event__isnull=False).values_list("event_id", flat=True)
    sweep.event_ids = sorted(set(never_dispatched) | set(stuck_events))
    sweep.notification_ids = list(
        stuck.filter(event__isnull=True).order_by("pk").values_list("pk", flat=True)
    )
    return sweep


# --- Reminders ----------------------------------------------------------------------


@dataclass(frozen=True)
class DueReminder:
    """One reminder the rules say is due: for whom (rules), about what, and when."""

    kind: ReminderKind
    case: ImportCase
    due_on: dt.date
    rules: tuple[Rule, ...]
    subject: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)
    category: Category = Category.REMINDERS


def reminder_issue(*, due: DueReminder, staff=None) -> list[int]:
    """Record the reminder for each recipient and create its notifications, once:
    a reminder already issued (this run or an earlier one) creates nothing.
    Returns the ids of the rows to send."""
    rules = tuple(Rule(rule.audience, due.category) for rule in due.rules)
    recipients = recipients_of(due.case, rules, staff=staff)
    prefs = _preferences(r.user.pk for r in recipients)
    now = timezone.now()
    created_rows: list[Notification] = []
    team_told = False
    with transaction.atomic():
        for recipient in recipients:
            reminder, created = Reminder.objects.get_or_create(
                kind=due.kind,
                case=due.case,
                due_on=due.due_on,
                recipient=recipient.user,
                subject=due.subject,
            )
            if not created:
                team_told = team_told or recipient.team
                continue
            context = {
                "recipient_name": recipient.user.full_name,
                "reference": due.case.reference,
                "product": due.case.product.brand_name,
                "case": due.case,
                "patient_name": due.case.patient.full_name,
                "due_on": due.due_on,
                **_urls(),
                **due.context,
            }
            with in_language_of(recipient.user):
                message = render_message(f"reminder_{due.kind}", recipient.audience.role, context)
            rows = _build_rows(
                recipient,
                message,
                prefs,
                key=lambda channel, pk=reminder.pk: Notification.reminder_key(pk, channel),
                now=now,
                reminder=reminder,
                case=due.case,
            )
            if recipient.team and not team_told:
                # Once per reminder for the team: a coordinator who joins later gets
                # their inbox message, the team's address nothing more.
                team_told = True
                key = Notification.reminder_key(reminder.pk, f"{TEAM}:{Channel.EMAIL}")
                rows.append(
                    team_email(
                        recipient, message, key=key, now=now, reminder=reminder, case=due.case
                    )
                )
            created_rows += Notification.objects.bulk_create(rows)
    return [row.pk for row in created_rows if row.status == Status.PENDING]


# --- Preferences ----------------------------------------------------------------------

# The categories a person may change; safety messages are always sent.
CHOOSABLE = (Category.CASE_UPDATES, Category.REMINDERS)


@dataclass(frozen=True)
class Choice:
    category: str
    label: str
    email: bool
    sms: bool


def only_to_act_on(*, user) -> bool:
    return NotificationSetting.objects.filter(user=user, only_to_act_on=True).exists()


def preferences_of(*, user) -> list[Choice]:
    """What `user` receives besides the inbox, per category (the defaults without a row:
    email on, text messages off)."""
    rows = {p.category: p for p in NotificationPreference.objects.filter(user=user)}
    return [
        Choice(
            category=category,
            label=category.label,
            email=rows[category].email if category in rows else True,
            sms=rows[category].sms if category in rows else False,
        )
        for category in CHOOSABLE
    ]


@transaction.atomic
def preferences_update(
    *, user, choices: Mapping[str, Mapping[str, bool]], only_act_on: bool | None = None
) -> None:
    """Store `user`'s own choices ({category: {"email": bool, "sms": bool}}) for the
    choosable categories (anything else given is ignored), and whether they hear only
    what they must act on."""
    if only_act_on is not None:
        NotificationSetting.objects.update_or_create(
            user=user, defaults={"only_to_act_on": only_act_on}
        )
    for category in CHOOSABLE:
        if category in choices:
            wanted = choices[category]
            NotificationPreference.objects.update_or_create(
                user=user,
                category=category,
                defaults={"email": bool(wanted.get("email")), "sms": bool(wanted.get("sms"))},
            )


# --- The inbox ----------------------------------------------------------------------


def inbox_unread_count(*, user) -> int:
    return Notification.objects.inbox_of(user).unread().count()


def inbox_mark_read(*, user, notification_id: int | None = None, case_id: int | None = None) -> int:
    """Mark one of `user`'s inbox messages read, those of one case, or all of them.
    Returns how many changed; another person's message is never touched."""
    messages = Notification.objects.inbox_of(user).unread()
    if notification_id is not None:
        messages = messages.filter(pk=notification_id)
    if case_id is not None:
        messages = messages.filter(case_id=case_id)
    return messages.update(read_at=timezone.now())


@dataclass
class CaseMessages:
    """A case's messages in the inbox, newest first, folded under its latest."""

    case: Any
    messages: list[Notification]

    @property
    def latest(self) -> Notification:
        return self.messages[0]

    @property
    def unread(self) -> int:
        return sum(1 for message in self.messages if message.read_at is None)


def inbox_by_case(messages: Iterable[Notification]) -> list[CaseMessages]:
    """Messages grouped per case (a message about no case stands alone), in the order
    of each group's newest message."""
    groups: dict[Any, CaseMessages] = {}
    for message in messages:
        key = message.case_id if message.case_id is not None else f"message-{message.pk}"
        if key not in groups:
            groups[key] = CaseMessages(case=message.case, messages=[])
        groups[key].messages.append(message)
    return list(groups.values())
