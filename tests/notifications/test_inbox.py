"""The in-app inbox: each person sees their own messages only; unread count; mark read."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from notifications.context_processors import unread_count
from notifications.models import Channel, Notification
from notifications.services import event_fan_out, inbox_mark_read, inbox_unread_count
from orders.states import CaseStatus
from tests.notifications.conftest import event_on

S = CaseStatus


@pytest.fixture
def messages(draft_case, other_case, system, patient, other_patient):
    """Two messages for the patient, one for the other patient."""
    event_fan_out(event=event_on(draft_case, "submit", system, to_state=S.SUBMITTED))
    event_fan_out(event=event_on(draft_case, "verify", system, to_state=S.FORMS_PREPARATION))
    event_fan_out(event=event_on(other_case, "submit", system, to_state=S.SUBMITTED))
    return Notification.objects.filter(channel=Channel.INBOX)


def inbox_of(user):
    return Notification.objects.inbox_of(user)


def test_the_inbox_lists_only_the_users_own_messages(client, messages, patient):
    client.force_login(patient.user)

    response = client.get(reverse("notifications:inbox"))

    assert response.status_code == 200
    shown = list(response.context["messages"])
    assert shown == list(inbox_of(patient.user))
    assert len(shown) == 2
    assert all(m.recipient == patient.user for m in shown)
    assert b"Preparing the import application" in response.content


def test_the_unread_count_is_json_for_the_page_header(client, messages, patient):
    client.force_login(patient.user)

    response = client.get(reverse("notifications:unread_count"))

    assert response.json() == {"unread": 2}


def test_marking_one_message_read(client, messages, patient):
    client.force_login(patient.user)
    first = inbox_of(patient.user).last()

    response = client.post(reverse("notifications:mark_read", args=[first.pk]))

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None
    assert inbox_unread_count(user=patient.user) == 1


def test_marking_all_read_touches_only_the_users_own(client, messages, patient, other_patient):
    client.force_login(patient.user)

    client.post(reverse("notifications:mark_all_read"))

    assert inbox_unread_count(user=patient.user) == 0
    assert inbox_unread_count(user=other_patient.user) == 1


def test_someone_elses_message_is_not_found(client, messages, patient, other_patient):
    theirs = inbox_of(other_patient.user).get()
    client.force_login(patient.user)

    assert client.get(reverse("notifications:message", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notifications:mark_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_an_email_row_is_not_an_inbox_message(client, messages, patient):
    email = Notification.objects.filter(recipient=patient.user, channel=Channel.EMAIL).first()
    client.force_login(patient.user)

    assert client.get(reverse("notifications:message", args=[email.pk])).status_code == 404


def test_a_message_page_shows_its_body(client, messages, patient):
    mine = inbox_of(patient.user).first()
    client.force_login(patient.user)

    response = client.get(reverse("notifications:message", args=[mine.pk]))

    assert response.status_code == 200
    assert mine.subject.encode() in response.content


@pytest.mark.parametrize("name,args", [("inbox", []), ("unread_count", []), ("message", [1])])
def test_the_inbox_needs_a_login(client, db, name, args):
    response = client.get(reverse(f"notifications:{name}", args=args))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_marking_read_is_a_post(client, messages, patient):
    client.force_login(patient.user)
    mine = inbox_of(patient.user).first()

    assert client.get(reverse("notifications:mark_read", args=[mine.pk])).status_code == 405


def test_the_service_never_marks_another_persons_message(messages, patient, other_patient):
    theirs = inbox_of(other_patient.user).get()

    assert inbox_mark_read(user=patient.user, notification_id=theirs.pk) == 0


def test_page_headers_get_the_unread_count_lazily(messages, patient, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = patient.user

    with django_assert_num_queries(0):
        context = unread_count(request)
    with django_assert_num_queries(1):
        rendered = Template("{{ unread_count }}").render(Context(context))

    assert rendered == "2"


def test_anonymous_pages_get_no_unread_count(rf):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()

    assert unread_count(request) == {}
