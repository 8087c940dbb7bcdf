"""npp.compiled.JsonInsert writes what bulk_create writes, whatever the text holds, and
refuses (writing nothing) what JSON cannot carry, so that its caller takes the ORM's
path."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import DataError, connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifications.models import Channel, Notification, Status
from npp.accounts.models import ApiToken, Role
from npp.compiled import JsonInsert
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")
# Text PostgreSQL stores (no NUL), with what quoting gets wrong: quotes, backslashes,
# newlines, placeholders, JSON-looking text, Devanagari, emoji.
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60
) | st.sampled_from(['"', "\\", "\\n\n", "%s %(x)s %%", '{"a": [1]}', "नमस्ते, डॉ. शर्मा", "💊"])


def rows(subject: str, body: str, when: dt.datetime, attempts: int, tag: str) -> list:
    """Two rows to send and one to read, one of them with no recipient."""
    recipient = make_user(f"{tag}@npp.example", "Reader", Role.PATIENT)
    common = {"category": "case_updates", "template": "step-patient", "subject": subject}
    return [
        Notification(
            key=f"{tag}:email",
            recipient=recipient,
            channel=Channel.EMAIL,
            address=recipient.email,
            body=body,
            body_html=f"<p>{body}</p>",
            status=Status.SENDING,
            lease_until=when,
            attempts=attempts,
            **common,
        ),
        Notification(
            key=f"{tag}:inbox",
            recipient=recipient,
            channel=Channel.INBOX,
            body=body,
            status=Status.SENT,
            sent_at=when,
            **common,
        ),
        Notification(key=f"{tag}:team", recipient=None, channel=Channel.EMAIL, body="", **common),
    ]


def stored(tag: str) -> list[tuple]:
    skip = {"id", "key", "recipient", "address", "created_at"}
    fields = [f for f in Notification._meta.concrete_fields if f.name not in skip]
    found = Notification.objects.filter(key__startswith=f"{tag}:").order_by("key")
    return [(row.key.split(":")[1], *(f.value_from_object(row) for f in fields)) for row in found]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    subject=TEXT,
    body=TEXT,
    when=st.datetimes(
        min_value=dt.datetime(1990, 1, 1),
        max_value=dt.datetime(2090, 1, 1),
        timezones=st.just(KOLKATA),
    ),
    attempts=st.integers(min_value=0, max_value=2**31 - 1),
)
def test_it_stores_what_bulk_create_stores(subject, body, when, attempts):
    if connection.vendor != "postgresql":
        pytest.skip("JsonInsert: PostgreSQL")
    tag = f"t{Notification.objects.count()}"
    statement = JsonInsert(connection, Notification, match="key")

    made = rows(subject, body, when, attempts, f"{tag}j")
    assert statement.insert(made) is True
    Notification.objects.bulk_create(rows(subject, body, when, attempts, f"{tag}o"))

    assert stored(f"{tag}j") == stored(f"{tag}o")
    by_key = {row.key: row for row in Notification.objects.filter(key__startswith=f"{tag}j:")}
    for row in made:  # ids and database defaults set on the objects, as bulk_create does
        assert row.pk == by_key[row.key].pk
        assert row.created_at == by_key[row.key].created_at is not None
    sending = by_key[f"{tag}j:email"]
    assert sending.lease_until == when and sending.lease_until.utcoffset() == dt.timedelta(0)


def test_a_value_json_cannot_carry_is_refused_and_nothing_is_written():
    if connection.vendor != "postgresql":
        pytest.skip("JsonInsert: PostgreSQL")
    user = make_user("owner@npp.example", "Owner", Role.COORDINATOR)
    token = ApiToken(
        user=user,
        name="CI",
        prefix="abc123",
        token_hash="0" * 64,
        scopes=["read"],  # a JSONField: prepared as psycopg's Jsonb, not a JSON value
        created_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(days=1),
    )

    assert JsonInsert(connection, ApiToken, match="prefix").insert([token]) is False
    assert not ApiToken.objects.exists()
    assert token.pk is None and token._state.adding


def test_a_value_too_long_for_its_column_is_refused_as_bulk_create_refuses_it():
    """PostgreSQL cuts a value cast explicitly to varchar(n) to n characters, silently;
    the column's own length is checked instead, and the whole statement fails."""
    if connection.vendor != "postgresql":
        pytest.skip("JsonInsert: PostgreSQL")
    subject = "x" * (Notification._meta.get_field("subject").max_length + 1)
    made = rows(subject, "Body", timezone.now(), 1, "long")

    with pytest.raises(DataError, match="too long"):
        JsonInsert(connection, Notification, match="key").insert(made)

    assert not Notification.objects.filter(key__startswith="long:").exists()
    with pytest.raises(DataError, match="too long"):
        Notification.objects.bulk_create(rows(subject, "Body", timezone.now(), 1, "orm"))
