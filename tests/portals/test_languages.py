"""English and Hindi (issue 12, items 1, 3 and 7): the language is the user's, chosen
at the invitation and changed in the header; a patient's pages, emails and text
messages are written in it, dates as India writes them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone, translation

from notifications.models import Channel, Notification, NotificationPreference
from notifications.services import event_fan_out
from orders.models import CaseEvent, Patient
from orders.states import PATIENT_LABELS, CaseStatus
from tests.portals.test_physician import NEW_PATIENT, request_post

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture(autouse=True)
def _back_to_english():
    # A request leaves its language active in the thread; the next test starts afresh.
    yield
    translation.activate("en")


def in_hindi(user) -> None:
    user.language = "hi"
    user.save(update_fields=["language"])


# --- Choosing the language -------------------------------------------------------------


def test_the_switcher_keeps_a_signed_in_users_choice_on_their_profile(client, patient):
    client.force_login(patient.user)

    response = client.post("/language", {"language": "hi", "next": "/my/"})

    patient.user.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == "/my/"
    assert patient.user.language == "hi"
    assert response.cookies["django_language"].value == "hi"
    page = client.get("/my/")
    assert page["Content-Language"] == "hi"
    assert '<html lang="hi">' in page.content.decode()
    assert "मेरे ऑर्डर" in page.content.decode()


def test_the_profile_wins_over_the_browsers_language(client, patient):
    in_hindi(patient.user)
    client.force_login(patient.user)

    page = client.get("/my/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    assert page["Content-Language"] == "hi"


def test_before_signing_in_the_switcher_sets_only_a_cookie(client):
    response = client.post("/language", {"language": "hi", "next": "/accounts/login/"})

    assert response.cookies["django_language"].value == "hi"
    assert "साइन इन करें" in client.get("/accounts/login/").content.decode()


def test_the_switcher_needs_a_post_with_its_csrf_token(patient):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(patient.user)

    assert browser.get("/language?language=hi").status_code == 405
    assert browser.post("/language", {"language": "hi"}).status_code == 403
    patient.user.refresh_from_db()
    assert patient.user.language == "en"


def test_the_switcher_refuses_an_unknown_language_and_a_foreign_next(client, patient):
    client.force_login(patient.user)

    unknown = client.post("/language", {"language": "xx", "next": "/my/"})
    foreign = client.post("/language", {"language": "hi", "next": "https://evil.example/"})

    patient.user.refresh_from_db()
    assert unknown["Location"] == "/my/"
    assert foreign["Location"] == "/"
    assert patient.user.language == "hi"


def test_the_header_offers_the_other_language_in_its_own_script(client, patient):
    client.force_login(patient.user)

    html = client.get("/my/").content.decode()

    assert 'name="language" value="hi"' in html
    assert '<span lang="hi">हिंदी</span>' in html


def test_the_physician_chooses_the_new_patients_language_and_the_invitation_is_in_it(
    client, physician, lupkynis, django_capture_on_commit_callbacks
):
    client.force_login(physician.user)
    data = request_post(
        lupkynis, **NEW_PATIENT, email="lakshmi@example.com", language="hi", action="draft"
    )

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/physician/cases/new/", data)

    patient = Patient.objects.get(full_name="Lakshmi Iyer")
    assert patient.user.language == "hi"
    message = mail.outbox[0]
    assert message.subject == "NPP Named-Patient Import Service के साथ अपनी दवा के आयात की जानकारी देखें"
    assert "प्रिय Lakshmi Iyer," in message.body
    assert "/accounts/password/reset/key/" in message.body
    assert '<html lang="hi">' in message.alternatives[0][0]


def test_a_new_patient_is_in_english_unless_chosen(client, physician, lupkynis):
    client.force_login(physician.user)
    data = request_post(lupkynis, **NEW_PATIENT, email="lakshmi@example.com", action="draft")

    client.post("/physician/cases/new/", data)

    assert Patient.objects.get(full_name="Lakshmi Iyer").user.language == "en"


# --- The patient's pages in Hindi --------------------------------------------------------


def test_the_order_page_speaks_hindi_with_dates_as_india_writes_them(client, patient, case_in):
    case = case_in(S.OUT_FOR_DELIVERY)
    in_hindi(patient.user)
    client.force_login(patient.user)

    html = client.get(f"/my/orders/{case.pk}/").content.decode()

    assert "आगे क्या होगा" in html
    assert "Out for delivery" not in html
    assert "डिलीवरी के लिए निकली है" in html
    today = timezone.localdate()
    months_hi = [
        "जनवरी",
        "फ़रवरी",
        "मार्च",
        "अप्रैल",
        "मई",
        "जून",
        "जुलाई",
        "अगस्त",
        "सितंबर",
        "अक्टूबर",
        "नवंबर",
        "दिसंबर",
    ]
    assert f"{today.day} {months_hi[today.month - 1]} {today.year}" in html
    assert "मुझे मेरी दवा मिल गई है" in html  # the button that confirms the delivery


def test_a_date_is_typed_day_first_in_both_languages(client, patient, case_in):
    from portals.patient.forms import SideEffectForm

    for language in ("en", "hi"):
        with translation.override(language):
            form = SideEffectForm(
                {
                    "onset_date": "03/12/2026",
                    "description": "Headache",
                    "seriousness": "non_serious",
                }
            )
            assert form.is_valid(), form.errors
            assert form.cleaned_data["onset_date"] == dt.date(2026, 12, 3)


def test_an_amount_is_grouped_in_lakhs():
    from portals.templatetags.npp_portal import rupees

    assert rupees(320000) == "₹3,20,000.00"


# --- Messages in the patient's language ------------------------------------------------------


def test_a_patients_email_is_in_her_language_and_the_doctors_in_his(case_in, patient):
    in_hindi(patient.user)
    case = case_in(S.SUBMITTED)
    event = CaseEvent.objects.get(case=case, transition="submit")

    event_fan_out(event=event)

    to_patient = Notification.objects.get(recipient=patient.user, channel=Channel.EMAIL)
    assert to_patient.subject == f"आपकी दवा का अनुरोध {case.reference}: हम पर्चे की जाँच कर रहे हैं"
    assert "प्रिय Priya Menon," in to_patient.body
    assert '<html lang="hi">' in to_patient.body_html
    others = Notification.objects.filter(channel=Channel.EMAIL).exclude(recipient=patient.user)
    assert all(row.subject.isascii() for row in others)


SITE = "https://npp.example.in"


@pytest.mark.parametrize("language", ["en", "hi"])
def test_text_messages_fit_the_limit_of_their_alphabet(case_in, patient, settings, language):
    """English in one GSM-7 segment (160); Hindi is UCS-2, two segments (2 x 67)."""
    settings.SITE_URL = SITE
    patient.user.language = language
    patient.user.save()
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

    assert len(texts) >= 8
    limit = 160 if language == "en" else 2 * 67
    for text in texts:
        assert len(text) <= limit, (len(text), text)
        assert text.endswith(f"{SITE}/inbox/")
        if language == "hi":
            assert "आपकी दवा का अनुरोध" in text


def test_every_status_a_patient_can_be_told_fits_in_a_hindi_text_message(settings):
    """Not only the walk above: the longest label, with a long reference, still fits."""
    from django.template.loader import render_to_string

    settings.SITE_URL = SITE
    with translation.override("hi"):
        for label in PATIENT_LABELS.values():
            subject = render_to_string(
                "notifications/step-patient-subject.txt",
                {"reference": "NPP-2026-00042", "status_label": label},
            ).strip()
            assert len(f"{subject} {SITE}/inbox/") <= 134, subject


def test_her_inbox_is_in_her_language_with_her_messages_in_it(client, case_in, patient):
    in_hindi(patient.user)
    case = case_in(S.SUBMITTED)
    event_fan_out(event=CaseEvent.objects.get(case=case, transition="submit"))
    client.force_login(patient.user)

    html = client.get("/inbox/").content.decode()

    assert "<h1>संदेश</h1>" in html
    assert f"आपकी दवा का अनुरोध {case.reference}: हम पर्चे की जाँच कर रहे हैं" in html
    assert "पढ़ा हुआ मानें" in html


def test_a_refused_upload_is_explained_in_her_language(client, case_in, patient):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = case_in(S.SUBMITTED)
    in_hindi(patient.user)
    client.force_login(patient.user)

    response = client.post(
        f"/my/orders/{case.pk}/documents/",
        {
            "kind": "patient_identity",
            "file": SimpleUploadedFile("id.pdf", b"plain text", content_type="application/pdf"),
        },
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "यह फ़ाइल इस दस्तावेज़ (मरीज़ का पहचान पत्र) के लिए स्वीकार्य प्रकार की नहीं है" in html
