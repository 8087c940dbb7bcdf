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


def in_language(user, language: str = "hi") -> None:
    user.language = language
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
    in_language(patient.user)
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
    in_language(patient.user)
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
    in_language(patient.user)
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
# A site address as long as a real deployment's may be (a hospital group's domain under
# .co.in): the text's link is the inbox's, so every character of it counts.
LONG_SITE = "https://named-patient-imports.healthcare-services.co.in"
SITES = [SITE, LONG_SITE]


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("language", ["en", "hi"])
def test_text_messages_fit_the_limit_of_their_alphabet(case_in, patient, settings, language, site):
    """English in one GSM-7 segment (160); Hindi is UCS-2, two segments (2 x 67)."""
    settings.SITE_URL = site
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
        assert text.endswith(f"{site}/inbox/")
        if language == "hi":
            assert "आपकी दवा का अनुरोध" in text


@pytest.mark.parametrize(("language", "limit"), [("en", 160), ("hi", 2 * 67)])
def test_every_status_a_patient_can_be_told_fits_in_a_text_message(language, limit):
    """Not only the walk above: each label in her language (as the sender translates
    it), and the refusal, with the longest reference and the long site address."""
    from django.template.loader import render_to_string
    from django.utils.translation import gettext

    with translation.override(language):
        subjects = [
            render_to_string(
                f"notifications/{template}-patient-subject.txt",
                {"reference": "NPP-2026-99999", "status_label": gettext(label)},
            ).strip()
            for template in ("step", "reject")
            for label in PATIENT_LABELS.values()
        ]
    for subject in subjects:
        text = f"{subject} {LONG_SITE}/inbox/"
        assert len(text) <= limit, (len(text), text)
        if language == "en":
            assert text.isascii()


def test_her_inbox_is_in_her_language_with_her_messages_in_it(client, case_in, patient):
    in_language(patient.user)
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
    in_language(patient.user)
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


# --- Refusals in her language (issue 12: what the domain refuses, a patient reads) ------

REFUSED_DELIVERY = {
    "en": ("Cannot confirm delivery yet. Missing: a lot number that matches the shipment",),
    "hi": (
        "डिलीवरी की पुष्टि अभी संभव नहीं है। इसके लिए चाहिए: ऐसा लॉट नंबर जो भेजी गई दवा "
        "से मेल खाए (LOT99999Z लिखा गया था)",
        "पैक के लेबल पर छपा लॉट नंबर देखकर उसे फिर से लिखें",
    ),
}


@pytest.mark.parametrize("language", ["en", "hi"])
def test_a_refused_delivery_confirmation_is_explained_in_her_language(
    client, case_in, patient, language
):
    case = case_in(S.OUT_FOR_DELIVERY)
    patient.user.language = language
    patient.user.save(update_fields=["language"])
    client.force_login(patient.user)

    response = client.post(
        f"/my/orders/{case.pk}/confirm-delivery/", {"delivered_lot": "LOT99999Z"}, follow=True
    )

    html = response.content.decode()
    for words in REFUSED_DELIVERY[language]:
        assert words in html
    if language == "hi":
        assert "Cannot confirm" not in html and "was entered" not in html
    case.refresh_from_db()
    assert case.status == S.OUT_FOR_DELIVERY


def test_confirming_a_delivery_already_recorded_is_refused_in_her_language(
    client, case_in, patient
):
    case = case_in(S.DELIVERED)
    in_language(patient.user)
    client.force_login(patient.user)

    response = client.post(
        f"/my/orders/{case.pk}/confirm-delivery/", {"delivered_lot": ""}, follow=True
    )

    html = response.content.decode()
    assert "केस की स्थिति “पहुँचा दी गई” होने पर डिलीवरी की पुष्टि संभव नहीं है।" in html
    assert "is not possible" not in html and "Cannot confirm" not in html


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "The patient consent is signed while the application is prepared"),
        ("hi", "इस दस्तावेज़ (मरीज़ की सहमति) पर हस्ताक्षर केवल तब होते हैं जब आवेदन"),
    ],
)
def test_signing_the_consent_after_preparation_is_refused_in_her_language(
    client, case_in, patient, language, words
):
    from tests.conftest import PASSWORD

    case = case_in(S.AWAITING_PERMIT)
    patient.user.language = language
    patient.user.save(update_fields=["language"])
    client.force_login(patient.user)

    response = client.post(
        f"/my/orders/{case.pk}/consent/",
        {
            "printed_name": patient.full_name,
            "password": PASSWORD,
            "confirm": "on",
            "read_version": "x",
        },
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert words in html
    if language == "hi":
        assert "Nothing was signed" not in html and "कोई हस्ताक्षर नहीं हुआ।" in html


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Too many failed login attempts. Try again later."),
        ("hi", "साइन इन की बहुत सारी कोशिशें नाकाम रहीं। कुछ देर बाद फिर कोशिश करें।"),
    ],
)
def test_the_sign_in_lockout_is_explained_in_the_browsers_language(
    client, patient, language, words
):
    from tests.conftest import PASSWORD

    def sign_in(password: str):
        return client.post(
            "/accounts/login/",
            {"login": patient.user.email, "password": password},
            HTTP_ACCEPT_LANGUAGE=language,
        )

    for _ in range(5):
        sign_in("wrong-guess")
    refused = sign_in(PASSWORD)

    html = refused.content.decode()
    assert refused.status_code == 200
    assert "_auth_user_id" not in client.session
    assert words in html


def test_signing_paused_after_wrong_passwords_is_explained_in_her_language(
    client, case_in, patient
):
    case = case_in(S.FORMS_PREPARATION)
    in_language(patient.user)
    client.force_login(patient.user)
    version = client.get(f"/my/orders/{case.pk}/consent/").context["paper"].data_version
    post = {"printed_name": patient.full_name, "confirm": "on", "read_version": version}

    for _ in range(4):
        client.post(f"/my/orders/{case.pk}/consent/", {**post, "password": "wrong-guess"})
    response = client.post(f"/my/orders/{case.pk}/consent/", {**post, "password": "wrong"})

    html = response.content.decode()
    assert "बहुत बार ग़लत पासवर्ड डाला गया: इस खाते से हस्ताक्षर" in html
    assert "Too many wrong passwords" not in html


@pytest.mark.parametrize(
    ("language", "heading", "saved"),
    [
        ("en", "<h1>What you are sent</h1>", "Your notification preferences were saved."),
        ("hi", "<h1>आपको क्या भेजा जाता है</h1>", "आपकी पसंद सहेज ली गई है।"),
    ],
)
def test_her_notification_preferences_page_is_in_her_language(
    client, patient, language, heading, saved
):
    patient.user.language = language
    patient.user.save(update_fields=["language"])
    client.force_login(patient.user)

    html = client.get("/preferences/notifications").content.decode()
    response = client.post("/preferences/notifications", {"case_updates-email": "on"}, follow=True)

    assert heading in html
    if language == "hi":
        for words in (
            "केवल वही, जिस पर मुझे कुछ करना है",
            "केस की ताज़ा जानकारी",
            "याद दिलाने वाले संदेश",
            "टेक्स्ट मैसेज (SMS)",
            ">सहेजें<",
        ):
            assert words in html
        assert "Text message" not in html and "Case updates" not in html
    assert saved in response.content.decode()
    assert NotificationPreference.objects.get(user=patient.user, category="case_updates").email


# --- Sign-in pages, their emails and the error pages ----------------------------------


def test_the_password_reset_pages_and_email_are_in_hindi(client, patient):
    """She asks from a Hindi browser; the link goes to her account in her language."""
    in_language(patient.user)

    page = client.get("/accounts/password/reset/", HTTP_ACCEPT_LANGUAGE="hi")
    done = client.post(
        "/accounts/password/reset/",
        {"email": patient.user.email},
        HTTP_ACCEPT_LANGUAGE="hi",
        follow=True,
    )

    assert "<h1>पासवर्ड भूल गए?</h1>" in page.content.decode()
    assert "मुझे लिंक भेजें" in page.content.decode()
    assert "<h1>अपना ईमेल देखें</h1>" in done.content.decode()
    assert "Password Reset" not in done.content.decode()
    [email] = mail.outbox
    assert email.subject == "[NPP] अपना पासवर्ड बदलें"
    assert "नया पासवर्ड यहाँ चुनें" in email.body


def test_a_reset_link_goes_in_the_accounts_language_not_the_browsers(client, patient):
    in_language(patient.user)

    client.post(
        "/accounts/password/reset/", {"email": patient.user.email}, HTTP_ACCEPT_LANGUAGE="en"
    )

    [email] = mail.outbox
    assert email.subject == "[NPP] अपना पासवर्ड बदलें"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "but the service has no account for it"),
        ("hi", "इस पते का कोई खाता सेवा के पास नहीं है"),
    ],
)
def test_a_reset_asked_for_an_unknown_address_is_answered_in_the_pages_language(
    client, db, language, words
):
    client.post(
        "/accounts/password/reset/",
        {"email": "nobody@example.com"},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    [email] = mail.outbox
    assert words in email.body
    assert "sign up" not in email.body


def test_the_sign_out_page_is_in_her_language(client, patient):
    in_language(patient.user)
    client.force_login(patient.user)

    html = client.get("/accounts/logout/").content.decode()

    assert "क्या आप इस डिवाइस पर NPP से साइन आउट करना चाहते हैं?" in html
    assert "Are you sure" not in html


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("en", "<h1>Something went wrong on our side</h1>"),
        ("hi", "<h1>हमारी तरफ़ से कुछ गड़बड़ हो गई</h1>"),
    ],
)
def test_the_server_error_page_is_in_her_language(client, patient, settings, language, heading):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.npp.urls"
    client.raise_request_exception = False
    patient.user.language = language
    patient.user.save(update_fields=["language"])
    client.force_login(patient.user)

    response = client.get("/boom/")

    html = response.content.decode()
    assert response.status_code == 500
    assert heading in html
    assert f'<html lang="{language}">' in html
    if language == "hi":
        assert "शुरुआत पर वापस जाएँ" in html and "Back to the start" not in html


def test_the_unavailable_page_is_in_hindi():
    from django.template.loader import render_to_string

    with translation.override("hi"):
        html = render_to_string("503.html", {"service_phone": "+91 80 4718 2200"})

    assert "<h1>सेवा अभी कुछ समय के लिए उपलब्ध नहीं है</h1>" in html
    assert 'href="tel:+918047182200"' in html


def test_the_signing_lockout_email_writes_the_date_as_her_language_does(patient):
    from notifications.alerts import account_alert
    from npp.accounts.reentry import AccountAlert

    in_language(patient.user)
    until = timezone.make_aware(dt.datetime(2026, 12, 3, 18, 40))

    rows = account_alert(AccountAlert("reentry_locked", patient.user, "signing", 5, until))

    body = rows[0].body
    assert "18:40 (3 दिसंबर 2026)" in body
    assert "Dec" not in body


def test_signing_in_greets_her_in_her_language_whatever_the_browser(client, patient):
    from tests.conftest import PASSWORD

    in_language(patient.user)

    response = client.post(
        "/accounts/login/",
        {"login": patient.user.email, "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )

    html = response.content.decode()
    assert "आप Priya Menon के रूप में साइन इन हैं।" in html
    assert "Successfully signed in" not in html
    signed_out = client.post("/accounts/logout/", follow=True, HTTP_ACCEPT_LANGUAGE="hi")
    assert "आप साइन आउट हो गए हैं।" in signed_out.content.decode()


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "<h1>We cannot find this page</h1>"), ("hi", "<h1>यह पेज हमें नहीं मिला</h1>")],
)
def test_an_order_she_may_not_see_is_a_page_not_found_in_her_language(
    client, patient, other_case, language, heading
):
    patient.user.language = language
    patient.user.save(update_fields=["language"])
    client.force_login(patient.user)

    response = client.get(f"/my/orders/{other_case.pk}/")

    html = response.content.decode()
    assert response.status_code == 404
    assert heading in html
    assert other_case.reference not in html


def test_her_order_page_ends_its_sentences_as_hindi_does(client, case_in, patient, settings):
    case = case_in(S.SUBMITTED)
    in_language(patient.user)
    client.force_login(patient.user)

    html = client.get(f"/my/orders/{case.pk}/").content.decode()

    assert f"{settings.NPP_SERVICE_EMAIL}</a> पर लिखें। कृपया" in html
    assert "</a> पर लिखें. " not in html


def test_asking_for_reset_links_too_often_is_answered_in_hindi(client, patient):
    statuses = [
        client.post(
            "/accounts/password/reset/",
            {"email": patient.user.email},
            HTTP_ACCEPT_LANGUAGE="hi",
        ).status_code
        for _ in range(8)
    ]

    assert statuses[-1] == 429
    html = client.post(
        "/accounts/password/reset/", {"email": patient.user.email}, HTTP_ACCEPT_LANGUAGE="hi"
    ).content.decode()
    assert "<h1>कृपया थोड़ा रुकें</h1>" in html
    assert "Too Many Requests" not in html
