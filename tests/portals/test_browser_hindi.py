"""The patient's side in Hindi on her phone (issue 12, acceptance): invited by her
doctor in Hindi, she chooses her password, follows her order, reads and signs the
consent and confirms the delivery, every page in Hindi at 390 px and clean under
axe-core, then in English after the switcher; screenshots under test-artifacts/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import translation

from orders.models import ImportCase
from orders.patients import patient_create
from orders.states import CaseStatus
from portals import demo
from tests.conftest import PASSWORD, new_case
from tests.portals.conftest import PHONE, assert_accessible, shoot

pytestmark = pytest.mark.django_db(transaction=True)
S = CaseStatus
HER_PASSWORD = "meri-apni-passphrase-2026"


@pytest.fixture(autouse=True)
def _back_to_english():
    yield
    translation.activate("en")


def check(page, name: str, language: str) -> None:
    assert page.locator("html").get_attribute("lang") == language
    shoot(page, name)
    assert_accessible(page)


def message(page) -> str:
    return page.locator(".messages").inner_text()


def test_the_patients_side_in_hindi_on_her_phone(
    live_server, browser_page, render_pending, physician, coordinator, lupkynis
):
    sita = patient_create(
        actor=physician.user,
        full_name="Sita Sharma",
        date_of_birth=dt.date(1988, 8, 15),
        sex="F",
        occupation="Teacher",
        address="22 Ashok Marg",
        city="Lucknow",
        state="Uttar Pradesh",
        postal_code="226001",
        id_document_type="aadhaar",
        id_document_number="5678 1234 9012",
        phone="+91 94150 00000",
        email="sita@example.com",
        language="hi",
    )
    case = new_case(physician=physician, patient=sita, product=lupkynis)
    demo.walk_to(case, S.FORMS_PREPARATION, coordinator=coordinator, signing_password=PASSWORD)
    render_pending()  # the consent to read, made on entering preparation

    # The invitation, in Hindi, leads to choosing her password.
    invitation = next(m for m in mail.outbox if m.to == ["sita@example.com"])
    assert "प्रिय Sita Sharma," in invitation.body
    link = re.search(r"https?://\S+(/accounts/password/reset/key/\S+)", invitation.body).group(1)
    phone = browser_page(viewport=PHONE)
    phone.goto(link)
    assert "अपना पासवर्ड चुनें" in phone.inner_text("main")
    check(phone, "hindi-invitation-set-password", "hi")
    assert "आपके पासवर्ड में कम से कम 10 अक्षर होने चाहिए।" in phone.inner_text("main")
    phone.locator('[name="password1"]').fill(HER_PASSWORD)
    phone.locator('[name="password2"]').fill(HER_PASSWORD)
    with phone.expect_navigation():
        phone.get_by_role("button", name="मेरा पासवर्ड सहेजें").click()

    # Her order, in Hindi.
    phone.wait_for_url(f"**/my/orders/{case.pk}/")
    main = phone.inner_text("main")
    assert "आगे क्या होगा" in main
    assert "आयात आवेदन तैयार हो रहा है" in main
    check(phone, "hindi-order", "hi")

    # She reads the consent and signs it.
    with phone.expect_navigation():
        phone.get_by_role("link", name="अपना सहमति पत्र पढ़ें और हस्ताक्षर करें").click()
    assert "सहमति पत्र पर हस्ताक्षर करें" in phone.inner_text("main")
    assert "यह दवा केवल मेरे अपने निजी उपयोग के लिए है।" in phone.locator("article.paper").inner_text()
    check(phone, "hindi-consent", "hi")
    phone.get_by_label("आपका पासवर्ड").fill(HER_PASSWORD)
    phone.get_by_label("मैंने यह सहमति पत्र पढ़ लिया है").check()
    with phone.expect_navigation():
        phone.get_by_role("button", name="सहमति पत्र पर हस्ताक्षर करें").click()
    assert "धन्यवाद: आपकी सहमति पर हस्ताक्षर हो गए हैं।" in message(phone)

    # The service imports it; she confirms the delivery.
    case = ImportCase.objects.get(pk=case.pk)
    demo.walk_to(case, S.OUT_FOR_DELIVERY, coordinator=coordinator, signing_password=PASSWORD)
    render_pending()  # her information sheet and delivery note, in Hindi
    phone.goto(f"/my/orders/{case.pk}/")
    main = phone.inner_text("main")
    assert "डिलीवरी के लिए निकली है" in main
    assert "मरीज़ के लिए जानकारी पत्र और डिलीवरी नोट" in main
    check(phone, "hindi-out-for-delivery", "hi")
    # A lot number that is not the shipment's: refused in Hindi, with what to do.
    phone.get_by_label("पैक पर लिखा लॉट नंबर (ज़रूरी नहीं)").fill("LOT99999Z")
    with phone.expect_navigation():
        phone.get_by_role("button", name="मुझे मेरी दवा मिल गई है").click()
    refusal = message(phone)
    assert "डिलीवरी की पुष्टि अभी संभव नहीं है।" in refusal
    assert "पैक के लेबल पर छपा लॉट नंबर देखकर उसे फिर से लिखें" in refusal
    check(phone, "hindi-delivery-refused", "hi")
    with phone.expect_navigation():
        phone.get_by_role("button", name="मुझे मेरी दवा मिल गई है").click()
    assert "धन्यवाद: डिलीवरी की पुष्टि हो गई है।" in message(phone)
    check(phone, "hindi-delivered", "hi")
    case.refresh_from_db()
    assert case.status == S.DELIVERED

    # The switcher in the header: the same page in English, kept on her profile.
    with phone.expect_navigation():
        phone.get_by_role("button", name=re.compile("English")).click()
    assert "What happens next" in phone.inner_text("main")
    check(phone, "hindi-switched-to-english", "en")
    sita.user.refresh_from_db()
    assert sita.user.language == "en"


def test_her_refusals_and_error_pages_are_in_hindi_and_fit_her_phone(
    live_server, browser_page, case_in, patient
):
    """What the walk of her side at 390 px found in English or too wide: a refusal
    quoting a long lot number widened the page; a form sent with a stale security
    token got Django's English "Forbidden (403)"; so did a page of another role."""
    case = case_in(S.OUT_FOR_DELIVERY)
    patient.user.language = "hi"
    patient.user.save(update_fields=["language"])
    phone = browser_page(patient.user, viewport=PHONE)
    order = f"/my/orders/{case.pk}/"
    confirm = re.compile("मुझे मेरी दवा मिल गई है")

    # A lot number pasted without spaces: the refusal quoting it wraps on her phone.
    phone.goto(order)
    phone.get_by_label("पैक पर लिखा लॉट नंबर (ज़रूरी नहीं)").fill("Y" * 100)
    with phone.expect_navigation():
        phone.get_by_role("button", name=confirm).click()
    assert "डिलीवरी की पुष्टि अभी संभव नहीं है।" in message(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check(phone, "hindi-long-lot-refused", "hi")

    # The form's security token no longer matches (signed in again elsewhere).
    phone.evaluate(
        "document.querySelectorAll('[name=csrfmiddlewaretoken]')"
        ".forEach(input => input.value = 'y'.repeat(32))"
    )
    with phone.expect_navigation():
        phone.get_by_role("button", name=confirm).click()
    main = phone.inner_text("main")
    assert "कृपया पेज फिर से लोड करें और दोबारा कोशिश करें" in main
    assert "Forbidden" not in phone.content() and "CSRF" not in main
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check(phone, "hindi-csrf-failure", "hi")
    # Back to the page, reloaded: the same form now goes through.
    with phone.expect_navigation():
        phone.get_by_role("link", name="पेज पर वापस जाएँ").click()
    with phone.expect_navigation():
        phone.get_by_role("button", name=confirm).click()
    assert "धन्यवाद: डिलीवरी की पुष्टि हो गई है।" in message(phone)

    # A page of another role.
    response = phone.goto("/work/")
    assert response.status == 403
    assert "आप यह पेज नहीं खोल सकते" in phone.inner_text("main")
    check(phone, "hindi-403", "hi")
