"""The notification-preferences page: each person chooses what they are sent besides
the inbox, for themselves only; and the inbox folds its messages per case."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notifications.models import Category, Notification, NotificationPreference
from notifications.services import event_fan_out
from orders.states import CaseStatus
from tests.notifications.conftest import event_on

pytestmark = pytest.mark.django_db
S = CaseStatus
URL = "/preferences/notifications"


def test_the_page_shows_the_defaults_and_saves_my_choices(client_for, physician):
    client = client_for(physician.user)
    response = client.get(URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert form["case_updates-email"].value() is True  # email on by default
    assert form["case_updates-sms"].value() is False  # text messages are opt-in
    assert "safety-email" not in form.fields  # always sent: not a choice

    response = client.post(URL, {"case_updates-sms": "on", "reminders-email": "on"})

    assert response.status_code == 302
    stored = {
        p.category: (p.email, p.sms)
        for p in NotificationPreference.objects.filter(user=physician.user)
    }
    assert stored == {Category.CASE_UPDATES: (False, True), Category.REMINDERS: (True, False)}


def test_a_post_without_the_csrf_token_is_refused(client_for, physician):
    client = client_for(physician.user, csrf=True)
    assert client.post(URL, {"case_updates-sms": "on"}).status_code == 403
    assert not NotificationPreference.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.post(URL, {"case_updates-sms": "on"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not NotificationPreference.objects.exists()


def test_no_one_can_write_anothers_preferences_or_turn_safety_off(
    client_for, physician, other_physician
):
    NotificationPreference.objects.create(
        user=other_physician.user, category=Category.CASE_UPDATES, email=True, sms=False
    )
    client = client_for(physician.user)

    client.post(
        URL,
        {
            "user": other_physician.user.pk,
            "user_id": other_physician.user.pk,
            "safety-email": "",
            "safety-sms": "on",
            "case_updates-sms": "on",
        },
    )

    theirs = NotificationPreference.objects.get(user=other_physician.user)
    assert (theirs.email, theirs.sms) == (True, False)
    assert not NotificationPreference.objects.filter(category=Category.SAFETY).exists()
    assert NotificationPreference.objects.filter(user=physician.user).count() == 2


def test_a_choice_takes_effect_on_the_next_message(client_for, physician, case_in, coordinator):
    client_for(physician.user).post(URL, {"reminders-email": "on"})  # case updates: no email
    case = case_in(S.SUBMITTED)

    event_fan_out(event=event_on(case, "verify", coordinator, to_state=S.FORMS_PREPARATION))

    rows = Notification.objects.filter(recipient=physician.user, event__transition="verify")
    assert {r.channel: r.status for r in rows} == {"inbox": "sent", "email": "skipped"}


# --- The inbox, per case --------------------------------------------------------------


def test_the_inbox_folds_each_cases_messages_under_its_latest(
    client_for, patient, case_in, coordinator
):
    case = case_in(S.SUBMITTED)
    for transition, state in (("verify", S.FORMS_PREPARATION), ("hold", S.ON_HOLD)):
        event_fan_out(event=event_on(case, transition, coordinator, to_state=state))
    client = client_for(patient.user)

    response = client.get(reverse("notifications:inbox"))

    groups = response.context["groups"]
    mine = [g for g in groups if g.case == case]
    assert len(mine) == 1 and len(mine[0].messages) >= 2
    assert "earlier message" in response.content.decode()


def test_marking_a_cases_messages_read_touches_only_mine(
    client_for, patient, other_patient, case_in, other_case, coordinator
):
    case = case_in(S.SUBMITTED)
    event_fan_out(event=event_on(case, "verify", coordinator, to_state=S.FORMS_PREPARATION))
    event_fan_out(event=event_on(other_case, "submit", coordinator, to_state=S.SUBMITTED))

    client_for(patient.user).post(reverse("notifications:mark_all_read"), {"case": other_case.pk})
    assert Notification.objects.inbox_of(other_patient.user).unread().exists()
    assert Notification.objects.inbox_of(patient.user).unread().exists()

    client_for(patient.user).post(reverse("notifications:mark_all_read"), {"case": case.pk})
    assert not Notification.objects.inbox_of(patient.user).unread().filter(case=case).exists()
    assert Notification.objects.inbox_of(other_patient.user).unread().exists()


# --- Only what I must act on ----------------------------------------------------------


def test_only_what_i_must_act_on_leaves_out_news_but_not_what_i_must_do(
    client_for, physician, case_in, coordinator
):
    response = client_for(physician.user).post(
        URL, {"only_to_act_on": "on", "case_updates-email": "on", "reminders-email": "on"}
    )
    assert response.status_code == 302
    case = case_in(S.FORMS_PREPARATION)

    # News: filed with the regulator. Nothing for the physician to do.
    event_fan_out(event=event_on(case, "file_application", coordinator, to_state=S.AWAITING_PERMIT))
    # To act on: a question to answer.
    event_fan_out(
        event=event_on(case, "request_information", coordinator, to_state=S.INFORMATION_REQUESTED)
    )

    told = set(
        Notification.objects.filter(recipient=physician.user).values_list(
            "event__transition", flat=True
        )
    )
    assert "request_information" in told
    assert "file_application" not in told


def test_safety_messages_reach_those_who_hear_only_what_to_act_on(
    client_for, physician, case_in, coordinator
):
    client_for(physician.user).post(URL, {"only_to_act_on": "on"})
    case = case_in(S.DELIVERED)

    event_fan_out(event=event_on(case, "report_adverse_event", coordinator))

    assert Notification.objects.filter(
        recipient=physician.user, event__transition="report_adverse_event"
    ).exists()


def test_by_default_everyone_hears_everything_they_heard_before(physician, case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)
    event_fan_out(event=event_on(case, "file_application", coordinator, to_state=S.AWAITING_PERMIT))
    assert Notification.objects.filter(
        recipient=physician.user, event__transition="file_application"
    ).exists()
