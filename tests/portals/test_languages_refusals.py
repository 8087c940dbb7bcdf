"""What a Hindi-reading patient met in English or broken after issue 12 (the walk of
her side at phone width): the CSRF failure and 403 pages, Django's own form errors
(its Hindi for them is wrong or missing), a file over the size limit reported as
missing, a refused file named by its media type, the reset link opening in the
browser's language, and the service's name in English on the error pages."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from orders.states import CaseStatus
from tests.conftest import PASSWORD
from tests.portals.test_languages import in_language

pytestmark = pytest.mark.django_db
S = CaseStatus
# Django's own Hindi for its form errors, which the project's catalogue replaces.
DJANGOS_HINDI = ("अपेक्षित", "डाक पता", "संचिका", "वैध तिथि", "इच्छा")


@pytest.fixture(autouse=True)
def _back_to_english():
    yield
    translation.activate("en")


def text_of(response) -> str:
    return response.content.decode()


# --- The CSRF failure and 403 pages ------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "heading", "back"),
    [
        ("en", "<h1>Please reload the page and try again</h1>", "Back to the page"),
        ("hi", "<h1>कृपया पेज फिर से लोड करें और दोबारा कोशिश करें</h1>", "पेज पर वापस जाएँ"),
    ],
)
def test_a_form_refused_for_its_csrf_token_says_to_reload_the_page_in_her_language(
    case_in, patient, language, heading, back
):
    case = case_in(S.OUT_FOR_DELIVERY)
    in_language(patient.user, language)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(patient.user)
    page = f"http://testserver/my/orders/{case.pk}/"

    response = browser.post(
        f"/my/orders/{case.pk}/confirm-delivery/", {"delivered_lot": ""}, HTTP_REFERER=page
    )

    html = text_of(response)
    assert response.status_code == 403
    assert f'<html lang="{language}">' in html
    assert heading in html
    assert f'<a class="btn btn-primary" href="{page}">{back}</a>' in html
    assert "CSRF" not in html and "Forbidden" not in html and "DEBUG" not in html
    if language == "hi":
        assert "कुछ भी सहेजा या भेजा नहीं गया।" in html
        assert "NPP नेम्ड-पेशेंट आयात सेवा" in html
    case.refresh_from_db()
    assert case.status == S.OUT_FOR_DELIVERY


def test_the_csrf_page_links_back_only_to_a_page_of_this_site(case_in, patient):
    case = case_in(S.OUT_FOR_DELIVERY)
    in_language(patient.user)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(patient.user)

    response = browser.post(
        f"/my/orders/{case.pk}/confirm-delivery/",
        {"delivered_lot": ""},
        HTTP_REFERER="https://evil.example/phish",
    )

    html = text_of(response)
    assert response.status_code == 403
    assert "evil.example" not in html and "btn-primary" not in html
    assert "शुरुआत पर वापस जाएँ" in html


def test_the_sign_in_form_refused_for_its_csrf_token_is_in_the_browsers_language(db):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(
        "/accounts/login/",
        {"login": "someone@example.com", "password": "x"},
        HTTP_ACCEPT_LANGUAGE="hi",
    )

    assert response.status_code == 403
    assert "<h1>कृपया पेज फिर से लोड करें और दोबारा कोशिश करें</h1>" in text_of(response)


@pytest.mark.parametrize("path", ["/work/", "/admin/"])
def test_a_page_of_another_role_is_refused_in_her_language(client, patient, path):
    in_language(patient.user)
    client.force_login(patient.user)

    response = client.get(path, follow=True)

    html = text_of(response)
    assert response.status_code == 403
    assert '<html lang="hi">' in html
    assert "<h1>आप यह पेज नहीं खोल सकते</h1>" in html
    assert "Forbidden" not in html


def test_the_error_pages_sign_with_the_services_name_in_her_language(client, patient):
    in_language(patient.user)
    client.force_login(patient.user)

    html = text_of(client.get("/my/orders/999999/"))

    assert "<p>NPP नेम्ड-पेशेंट आयात सेवा</p>" in html
    assert "Named-Patient Import Service" not in html


# --- Django's own form errors, in the project's Hindi ------------------------------------


def test_djangos_form_errors_read_as_the_project_writes_hindi():
    with translation.override("hi"):
        for field, value, words in [
            (forms.CharField(), "", "यह ज़रूरी है।"),
            (forms.EmailField(), "not-an-email", "सही ईमेल पता लिखें।"),
            (forms.DateField(), "31/02/2026", "सही तारीख़ लिखें।"),
            (forms.ChoiceField(choices=[("a", "A")]), "b", "सूची में से कोई विकल्प चुनें।"),
            (forms.CharField(max_length=100), "x" * 150, "ज़्यादा से ज़्यादा 100 अक्षर हो सकते हैं"),
        ]:
            with pytest.raises(forms.ValidationError) as refused:
                field.clean(value)
            assert words in refused.value.messages[0]


def test_the_side_effect_form_sent_empty_or_with_a_bad_date_is_refused_in_hindi(
    client, case_in, patient
):
    case = case_in(S.OUT_FOR_DELIVERY)
    in_language(patient.user)
    client.force_login(patient.user)
    url = f"/my/orders/{case.pk}/side-effect/"

    empty = text_of(client.post(url, {"description": ""}))
    bad_date = text_of(client.post(url, {"onset_date": "31/02/2026", "description": "x"}))

    assert empty.count("यह ज़रूरी है।") >= 3
    assert "सही तारीख़ लिखें।" in bad_date
    for html in (empty, bad_date):
        assert "This field is required" not in html
        assert not any(words in html for words in DJANGOS_HINDI)


def test_the_consent_form_sent_empty_is_refused_in_hindi(client, case_in, patient):
    case = case_in(S.FORMS_PREPARATION)
    in_language(patient.user)
    client.force_login(patient.user)

    response = client.post(f"/my/orders/{case.pk}/consent/", {"printed_name": ""})

    html = text_of(response)
    assert response.status_code == 400
    assert "अपना पूरा नाम लिखें</a>: यह ज़रूरी है।" in html
    assert "आपका पासवर्ड</a>: यह ज़रूरी है।" in html
    assert not any(words in html for words in DJANGOS_HINDI)


def test_the_delivery_lot_too_long_is_refused_in_hindi(client, case_in, patient):
    case = case_in(S.OUT_FOR_DELIVERY)
    in_language(patient.user)
    client.force_login(patient.user)

    response = client.post(f"/my/orders/{case.pk}/confirm-delivery/", {"delivered_lot": "x" * 150})

    html = text_of(response)
    assert response.status_code == 400
    assert "इसमें ज़्यादा से ज़्यादा 100 अक्षर हो सकते हैं (अभी 150 हैं)।" in html
    assert "Ensure this value" not in html


@pytest.mark.parametrize(
    ("post", "words"),
    [
        ({"kind": "patient_identity"}, 'id="id_file_error">यह ज़रूरी है।'),
        (
            {"kind": "patient_identity", "file": SimpleUploadedFile("id.pdf", b"")},
            "भेजी गई फ़ाइल खाली है।",
        ),
        (
            {"kind": "patient_identity", "file": SimpleUploadedFile("id.pdf", b"plain words")},
            "इसकी सामग्री सादा टेक्स्ट जैसी लगती है।",
        ),
        (
            {"kind": "prescription", "file": SimpleUploadedFile("id.pdf", b"%PDF-1.4")},
            "सूची में से कोई विकल्प चुनें। prescription उपलब्ध विकल्पों में नहीं है।",
        ),
    ],
    ids=["no-file", "empty-file", "text-file", "kind-not-hers"],
)
def test_an_upload_refused_by_the_form_is_explained_in_hindi(client, case_in, patient, post, words):
    case = case_in(S.SUBMITTED)
    in_language(patient.user)
    client.force_login(patient.user)

    response = client.post(f"/my/orders/{case.pk}/documents/", post)

    html = text_of(response)
    assert response.status_code == 400
    assert words in html
    assert "text/plain" not in html
    assert not any(words in html for words in DJANGOS_HINDI)


@pytest.mark.parametrize(
    ("language", "words", "not_said"),
    [
        ("en", "The file is larger than the 1 MB limit.", "This field is required."),
        ("hi", "फ़ाइल 1 MB की सीमा से बड़ी है।", "यह ज़रूरी है।"),
    ],
)
def test_a_file_over_the_size_limit_is_refused_as_too_large_not_as_missing(
    client, case_in, patient, settings, language, words, not_said
):
    """The upload handler drops the file as it streams past the limit; the form then
    has none, and used to say only that the file was required."""
    settings.NPP_UPLOAD_MAX_BYTES = 1024 * 1024
    case = case_in(S.SUBMITTED)
    in_language(patient.user, language)
    client.force_login(patient.user)
    big = SimpleUploadedFile("id.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10))

    response = client.post(
        f"/my/orders/{case.pk}/documents/", {"kind": "patient_identity", "file": big}
    )

    html = text_of(response)
    assert response.status_code == 400
    assert words in html
    assert not_said not in html


@pytest.mark.parametrize(
    ("post", "words"),
    [
        ({"login": "", "password": ""}, "ईमेल</a>: यह ज़रूरी है।"),
        ({"login": "not-an-email", "password": "x"}, "सही ईमेल पता लिखें।"),
    ],
)
def test_the_sign_in_form_is_refused_in_hindi(client, db, post, words):
    html = text_of(client.post("/accounts/login/", post, HTTP_ACCEPT_LANGUAGE="hi"))

    assert words in html
    assert not any(words in html for words in DJANGOS_HINDI)


def test_the_reset_form_with_a_bad_address_is_refused_in_hindi(client, db):
    html = text_of(
        client.post("/accounts/password/reset/", {"email": "bad@@x"}, HTTP_ACCEPT_LANGUAGE="hi")
    )

    assert "ईमेल</a>: सही ईमेल पता लिखें।" in html
    assert "डाक पता" not in html


# --- Emails that open pages ----------------------------------------------------------------


def test_the_reset_link_opens_in_her_language_on_an_english_browser(client, patient):
    in_language(patient.user)
    client.post("/accounts/password/reset/", {"email": patient.user.email})
    [email] = mail.outbox
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", email.body).group(1)

    phone = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = phone.get(link, follow=True)

    assert link.endswith("?lang=hi")
    assert '<html lang="hi">' in text_of(page)
    assert "Choose" not in text_of(page)


# --- Forms sent from a page opened before the order moved on --------------------------------


def test_an_upload_sent_after_the_order_moved_on_is_refused_where_she_can_read_it(
    client, case_in, patient
):
    """The order page no longer has the upload form once the medicine is delivered: a
    page opened before says its refusal at the top, not beside a field that is gone."""
    case = case_in(S.DELIVERED)
    in_language(patient.user)
    client.force_login(patient.user)

    response = client.post(
        f"/my/orders/{case.pk}/documents/",
        {"kind": "patient_identity", "file": SimpleUploadedFile("id.pdf", b"%PDF-1.4")},
        follow=True,
    )

    html = text_of(response)
    assert response.redirect_chain == [(f"/my/orders/{case.pk}/", 302)]
    assert '<p class="message message-error">PDF ख़राब है और पढ़ी नहीं जा सकती।</p>' in html


def test_a_delivery_lot_too_long_sent_after_delivery_is_refused_where_she_can_read_it(
    client, case_in, patient
):
    case = case_in(S.DELIVERED)
    in_language(patient.user)
    client.force_login(patient.user)

    response = client.post(
        f"/my/orders/{case.pk}/confirm-delivery/", {"delivered_lot": "x" * 150}, follow=True
    )

    assert "इसमें ज़्यादा से ज़्यादा 100 अक्षर हो सकते हैं (अभी 150 हैं)।" in text_of(response)


# --- allauth's pages open to her without a link ---------------------------------------------


def test_the_password_change_page_is_in_her_language_and_refuses_in_it(client, patient):
    in_language(patient.user)
    client.force_login(patient.user)

    page = text_of(client.get("/accounts/password/change/"))
    refused = text_of(
        client.post(
            "/accounts/password/change/",
            {"oldpassword": "not-it", "password1": "x", "password2": "y"},
        )
    )

    assert "<h1>अपना पासवर्ड बदलें</h1>" in page
    assert "मौजूदा पासवर्ड" in page and "मेरा नया पासवर्ड सहेजें" in page
    assert "Change Password" not in page and "Current Password" not in page
    assert "कृपया अपना मौजूदा पासवर्ड लिखें।" in refused


def test_the_closed_sign_up_page_is_in_hindi(client, db):
    html = text_of(client.get("/accounts/signup/", HTTP_ACCEPT_LANGUAGE="hi"))

    assert "<h1>खाते सेवा की ओर से खोले जाते हैं</h1>" in html
    assert "Sign Up Closed" not in html and "sorry" not in html


# --- Sentences end as Hindi ends them -------------------------------------------------------


def test_her_orders_dates_and_signature_end_with_a_hindi_full_stop(client, case_in, patient):
    """A full stop written after a date or a signature in the template (outside any
    translated sentence) was an English one in a Hindi sentence."""
    case = case_in(S.FORMS_PREPARATION)
    in_language(patient.user)
    client.force_login(patient.user)
    version = client.get(f"/my/orders/{case.pk}/consent/").context["paper"].data_version
    client.post(
        f"/my/orders/{case.pk}/consent/",
        {
            "printed_name": patient.full_name,
            "password": PASSWORD,
            "confirm": "on",
            "read_version": version,
        },
    )

    order = text_of(client.get(f"/my/orders/{case.pk}/"))
    orders = text_of(client.get("/my/"))
    consent = text_of(client.get(f"/my/orders/{case.pk}/consent/"))

    assert re.search(r"डिलीवरी की अनुमानित तारीख: <strong>[^<]+</strong>।</p>", order)
    assert "· सहमति दी गई।</p>" in order
    assert re.search(r"डिलीवरी की अनुमानित तारीख: <strong>[^<]+</strong>।</p>", orders)
    assert re.search(r"\(संस्करण \d+\)।</p>", consent)
    for html in (order, orders, consent):
        assert "</strong>.<" not in html and "सहमति दी गई.<" not in html


def test_a_preview_and_an_orders_link_are_named_in_hindi_word_order(client, case_in, patient):
    """A screen reader read "झलक मरीज़ की सहमति की" (Preview, of the consent) and
    "विवरण देखें NPP-… का" (See details, of the order): what is named comes first."""
    from tests.documents.files import png

    case = case_in(S.SUBMITTED)
    in_language(patient.user)
    client.force_login(patient.user)
    client.post(
        f"/my/orders/{case.pk}/documents/",
        {"kind": "patient_identity", "file": SimpleUploadedFile("id.png", png())},
    )

    html = text_of(client.get(f"/my/orders/{case.pk}/"))
    orders = text_of(client.get("/my/"))

    preview = '<span class="visually-hidden">मरीज़ का पहचान पत्र की </span>झलक</summary>'
    assert preview in html
    assert f'<span class="visually-hidden">{case.reference} का </span>विवरण देखें</a>' in orders


def test_a_request_the_server_cannot_read_is_answered_in_her_language(
    client, case_in, patient, settings
):
    """Django's own page for it is a bare English "Bad Request (400)"."""
    case = case_in(S.OUT_FOR_DELIVERY)
    in_language(patient.user)
    client.force_login(patient.user)
    too_many_fields = {f"field{n}": "x" for n in range(1100)}

    response = client.post(f"/my/orders/{case.pk}/side-effect/", too_many_fields)

    html = text_of(response)
    assert response.status_code == 400
    assert "<h1>जो भेजा गया, उसे हम पढ़ नहीं सके</h1>" in html
    assert f"{settings.NPP_SERVICE_PHONE}</a> पर फ़ोन करें" in html
    assert "Bad Request" not in html


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/accounts/email/", "ये ईमेल पते आपके खाते से जुड़े हैं:"),
        ("/accounts/reauthenticate/", "अपने खाते की सुरक्षा के लिए कृपया फिर से पुष्टि करें"),
        ("/accounts/confirm-email/", "हमने पुष्टि के लिए आपको एक ईमेल भेजा है।"),
        ("/accounts/2fa/", "कोई ऑथेंटिकेटर ऐप चालू नहीं है।"),
    ],
)
def test_allauths_account_pages_open_to_her_are_in_hindi(client, patient, path, words):
    """Linked from none of her pages, but open to her by their address; allauth has no
    Hindi, so its words there are in the project's catalogue."""
    in_language(patient.user)
    client.force_login(patient.user)

    html = text_of(client.get(path))
    main = re.sub(r"<[^>]+>", " ", html[html.index("<main") : html.index("</main>")])

    assert words in main
    her_address = set(re.findall(r"[A-Za-z]{3,}", patient.user.email))
    assert set(re.findall(r"[A-Za-z]{3,}", main)) - her_address - {"Priya", "Menon"} == set()
