"""The patient's side as a new patient finds it (issue 12, item 6): the invitation
leads to the order, the progress line has dates, the expected delivery date, the
parcel's tracking link, a number to call, one message per change, and papers from the
service shown as papers, not as reviewed uploads."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
import time_machine
from django.utils import timezone

from notifications.models import Channel, Notification
from notifications.recipients import Audience, recipients_of_event
from notifications.services import event_fan_out
from orders.models import Carrier, CaseEvent
from orders.patients import invitation_url
from orders.services import case_transition
from orders.states import PATIENT_LABELS, CaseStatus
from orders.tracker import expected_delivery, progress_of, reached_on
from portals import demo
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture
def priya(client, patient):
    client.force_login(patient.user)
    return client


def page(client, case) -> str:
    response = client.get(f"/my/orders/{case.pk}/")
    assert response.status_code == 200
    return response.content.decode()


# --- The invitation ------------------------------------------------------------------


def test_choosing_a_password_from_the_invitation_signs_in_and_lands_on_the_order(
    client, patient, case_in
):
    case = case_in(S.SUBMITTED)
    patient.user.set_unusable_password()
    patient.user.save()
    link = invitation_url(patient.user)
    path = link[link.index("/accounts/") :]

    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(
        form_url, {"password1": "my-own-passphrase-1", "password2": "my-own-passphrase-1"}
    )
    response = client.get(response["Location"], follow=True)

    assert client.session["_auth_user_id"] == str(patient.user.pk)
    assert response.redirect_chain[-1][0] == f"/my/orders/{case.pk}/"
    assert case.reference in response.content.decode()


def test_a_patient_with_several_orders_lands_on_the_list(
    priya, patient, physician, lupkynis, case_in
):
    from tests.conftest import new_case

    case_in(S.SUBMITTED)
    second = new_case(physician=physician, patient=patient, product=lupkynis)
    demo.walk_to(second, S.SUBMITTED, coordinator=None)

    assert priya.get("/", follow=True).redirect_chain[-1][0] == "/my/"


def test_a_draft_does_not_count_as_an_order_to_land_on(priya, draft_case):
    assert priya.get("/", follow=True).redirect_chain[-1][0] == "/my/"


# --- The progress line -----------------------------------------------------------------


def test_each_step_reached_shows_when_it_was_reached_and_steps_to_come_show_none(priya, case_in):
    case = case_in(S.IN_TRANSIT)
    entered = {
        event.to_state: timezone.localdate(event.created_at)
        for event in CaseEvent.objects.filter(case=case).order_by("created_at", "pk")
    }

    steps = progress_of(case).steps

    first_three = (S.SUBMITTED, S.FORMS_PREPARATION, S.AWAITING_PERMIT)
    for step, state in zip(steps[:3], first_three, strict=True):
        assert step.reached_on == entered[state]
    assert steps[4].status == "current" and steps[4].reached_on == entered[S.IN_TRANSIT]
    assert [step.reached_on for step in steps[5:]] == [None] * (len(steps) - 5)
    html = page(priya, case)
    items = re.findall(r"<li class=\"(\w+)\".*?</li>", html, re.S)
    dated = re.findall(r'<li class="(\w+)"[^>]*>.*?<span class="step-date">([^<]+)</span>', html)
    assert len(dated) == 5 and {cls for cls, _ in dated} == {"done", "current"}
    assert dated[0][1] == entered[S.SUBMITTED].strftime("%-d %b %Y")
    assert items.count("todo") == len(steps) - 5


def test_a_question_to_the_doctor_dates_the_check_from_its_last_start(case_in, coordinator):
    case = case_in(S.SUBMITTED)
    case = case_transition(
        case=case, actor=coordinator, transition="request_information", note="Dose?"
    )
    answer = case_transition(
        case=case, actor=case.physician.user, transition="resubmit", note="2 capsules twice daily"
    )

    last = CaseEvent.objects.filter(case=answer, to_state=S.SUBMITTED).latest("created_at")
    assert reached_on(answer)[S.SUBMITTED] == timezone.localdate(last.created_at)


# --- Expected delivery -------------------------------------------------------------------


def test_expected_delivery_adds_the_steps_left_by_the_pathways_days_and_urgency(case_in, settings):
    settings.NPP_URGENT_EXPECTED_PERCENT = 50
    case = case_in(S.SUPPLIER_ORDERING)  # India: ordering 7, transit 7, customs 3, delivery 2
    entered = case.state_changed_at

    normal = expected_delivery(case, now=entered)
    case.priority = "urgent"
    urgent = expected_delivery(case, now=entered)

    assert normal == timezone.localdate(entered + dt.timedelta(days=19))
    assert urgent == timezone.localdate(entered + dt.timedelta(days=9.5))


def test_an_overdue_step_pushes_the_expected_delivery_from_today(case_in):
    case = case_in(S.SUPPLIER_ORDERING)
    late = case.state_changed_at + dt.timedelta(days=10)  # 3 days past its 7

    assert expected_delivery(case, now=late) == timezone.localdate(late + dt.timedelta(days=12))


def test_the_page_shows_the_expected_delivery_and_hides_it_once_delivered(
    priya, case_in, coordinator
):
    case = case_in(S.IN_TRANSIT)
    with time_machine.travel(case.state_changed_at, tick=False):
        html = page(priya, case)
        listing = priya.get("/my/").content.decode()
    expected = expected_delivery(case, now=case.state_changed_at)
    assert f"Expected delivery: <strong>{expected:%A %-d %B %Y}</strong>" in html
    assert f"Expected delivery: <strong>{expected:%-d %b %Y}</strong>" in listing

    delivered = demo.walk_to(case, S.DELIVERED, coordinator=coordinator, signing_password=PASSWORD)

    assert progress_of(delivered).expected_delivery is None
    assert "Expected delivery" not in page(priya, delivered)
    assert "Expected by" not in page(priya, delivered)


@pytest.mark.parametrize("state", [S.ON_HOLD, S.CANCELLED])
def test_no_delivery_date_is_promised_while_paused_or_after_cancelling(case_in, coordinator, state):
    case = case_in(S.AWAITING_PERMIT)
    transition = "hold" if state == S.ON_HOLD else "cancel"
    case = case_transition(case=case, actor=coordinator, transition=transition, note="Asked to")

    assert expected_delivery(case) is None


# --- The parcel --------------------------------------------------------------------------


def test_the_courier_and_tracking_number_link_to_the_carriers_tracking_page(
    priya, case_in, catalogue
):
    case = case_in(S.IN_TRANSIT)  # dispatched with DHL Express
    shipment = case.current_shipment
    dhl = Carrier.objects.get(name="DHL Express")

    html = page(priya, case)

    assert "DHL Express" in html and shipment.tracking_number in html
    link = dhl.tracking_url.replace("{number}", shipment.tracking_number).replace("&", "&amp;")
    assert f'href="{link}"' in html


def test_a_courier_the_catalogue_does_not_know_shows_its_number_without_a_link(
    priya, case_in, catalogue
):
    case = case_in(S.IN_TRANSIT)
    case.current_shipment.__class__.objects.filter(case=case).update(courier="City Cold Chain")

    html = page(priya, case)

    assert "City Cold Chain" in html and case.current_shipment.tracking_number in html
    assert "Track your parcel" not in html


def test_a_short_courier_name_finds_its_carrier_and_the_number_is_escaped_in_the_link(
    catalogue,
):
    carrier = Carrier.for_courier("  dhl ")

    assert carrier is not None and carrier.name == "DHL Express"
    assert carrier.tracking_link("JD 01/46").endswith("tracking-id=JD%2001%2F46&submit=1")
    assert Carrier.for_courier("") is None


def test_the_parcel_is_no_longer_shown_once_delivered(priya, case_in, catalogue):
    case = case_in(S.DELIVERED)

    assert progress_of(case).parcel is None
    assert "Track your parcel" not in page(priya, case)


# --- Someone to call -----------------------------------------------------------------------


def test_the_order_page_gives_the_services_phone_as_a_call_link(priya, case_in, settings):
    settings.NPP_SERVICE_PHONE = "+91 80 4718 2200"
    case = case_in(S.SUBMITTED)

    html = page(priya, case)

    assert 'href="tel:+918047182200"' in html
    assert "+91 80 4718 2200" in html
    assert "Call us" in html


# --- One message per change ------------------------------------------------------------------


def patient_labels_told(case, patient) -> list[str]:
    for event in CaseEvent.objects.filter(case=case).order_by("created_at", "pk"):
        event_fan_out(event=event)
    rows = Notification.objects.filter(
        recipient=patient.user, channel=Channel.INBOX, event__case=case
    ).order_by("event__created_at", "event__pk")
    return [row.subject.split(": ", 1)[1] for row in rows]


def test_a_question_and_its_answer_tell_the_patient_nothing_new(
    case_in, coordinator, patient, physician
):
    case = case_in(S.SUBMITTED)
    case = case_transition(
        case=case, actor=coordinator, transition="request_information", note="Dose?"
    )
    case = case_transition(
        case=case, actor=physician.user, transition="resubmit", note="Twice daily"
    )
    demo.walk_to(case, S.FORMS_PREPARATION, coordinator=coordinator)

    told = patient_labels_told(case, patient)

    assert told == [PATIENT_LABELS[S.SUBMITTED], PATIENT_LABELS[S.FORMS_PREPARATION]]


def test_along_the_whole_way_the_patient_never_hears_the_same_news_twice_in_a_row(case_in, patient):
    case = case_in(S.CLOSED)

    told = patient_labels_told(case, patient)

    assert all(a != b for a, b in itertools.pairwise(told)), told
    assert told[0] == PATIENT_LABELS[S.SUBMITTED] and told[-1] == PATIENT_LABELS[S.CLOSED]
    assert PATIENT_LABELS[S.SUPPLIER_ORDERING] in told  # the permit's news, once


def test_the_doctor_still_hears_the_question_and_the_coordinator_the_answer(
    case_in, coordinator, physician
):
    case = case_in(S.SUBMITTED)
    case_transition(case=case, actor=coordinator, transition="request_information", note="Dose?")
    question = CaseEvent.objects.filter(case=case).latest("created_at", "pk")

    audiences = {recipient.audience for recipient in recipients_of_event(question)}

    assert audiences == {Audience.PHYSICIAN}


def test_text_messages_to_patients_fit_one_gsm_segment(case_in, patient, settings):
    from notifications.models import NotificationPreference

    settings.SITE_URL = "https://npp.example.in"
    NotificationPreference.objects.update_or_create(
        user=patient.user, category="case_updates", defaults={"sms": True}
    )
    patient.phone = "+91 98450 12345"
    patient.save()
    case = case_in(S.CLOSED)
    for event in CaseEvent.objects.filter(case=case):
        event_fan_out(event=event)

    texts = list(
        Notification.objects.filter(recipient=patient.user, channel=Channel.SMS).values_list(
            "body", flat=True
        )
    )

    assert texts
    gsm = re.compile(
        r"^[A-Za-z0-9 @£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,\-./:;<=>?¡ÄÖÑÜ§¿äöñüà\n]*$"
    )
    for text in texts:
        assert len(text) <= 160, text
        assert gsm.match(text), text


# --- Papers from the service -------------------------------------------------------------------


def test_papers_the_service_generated_carry_no_review_badge(priya, case_in, coordinator):
    from documents.generation.jobs import render_job_run
    from documents.generation.requests import request_render
    from documents.models import DocumentKind

    case = case_in(S.OUT_FOR_DELIVERY)
    job = request_render(case=case, kind=DocumentKind.PATIENT_INFORMATION, actor=coordinator)
    render_job_run(job.pk)
    generated = case.documents.get(generated=True, kind=DocumentKind.PATIENT_INFORMATION)

    html = page(priya, case)
    item = re.search(
        rf'<li><a href="/documents/{generated.pk}/download">.*?</li>', html, re.S
    ).group(0)

    assert "badge" not in item
    assert "from the service" in item
