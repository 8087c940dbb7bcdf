"""Pages that keep up (issue 13), in a real browser: previews of uploaded and generated
papers, the next step saying what it waits for, live updates without reloads, and the
same pages with JavaScript off. Every page is screenshotted at phone and desktop width
and checked with axe-core."""

from __future__ import annotations

import re

import pytest

from documents.generation.jobs import render_job_run
from documents.generation.requests import request_render
from documents.models import DocumentKind, RenderStatus
from orders.states import CaseStatus
from tests.portals.conftest import DESKTOP, PHONE, assert_accessible, shoot
from tests.portals.test_browser_coordinator import check as check_desktop
from tests.portals.test_browser_coordinator import office_page

pytestmark = pytest.mark.django_db(transaction=True)
S = CaseStatus


def check(page, name: str) -> None:
    """Screenshots at both widths, nothing refused by the CSP, and axe-core clean at
    phone width as well as at desktop width."""
    original = page.viewport_size
    page.set_viewport_size(PHONE)
    assert_accessible(page)
    page.set_viewport_size(original or DESKTOP)
    check_desktop(page, name)


def open_preview(page, scope) -> None:
    """Unfold a preview and wait until its image has been drawn."""
    scope.locator("summary", has_text="Preview").first.click()
    image = scope.locator("img.preview-image").first
    image.wait_for(state="visible")
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )


def test_previews_of_an_uploaded_pdf_and_a_generated_one_render_on_the_case_page(
    live_server, browser_page, coordinator, case_in
):
    case = case_in(S.FORMS_PREPARATION)
    job = render_job_run(
        request_render(case=case, kind=DocumentKind.REGULATORY_APPLICATION, actor=coordinator).pk
    )
    assert job.status == RenderStatus.READY
    page = office_page(browser_page, coordinator)
    page.goto(f"/work/cases/{case.pk}/")

    # The physician's prescription, as uploaded.
    prescription = page.locator("#documents li", has_text="Prescription").first
    open_preview(page, prescription)
    # The application pack the system rendered.
    open_preview(page, page.locator("#generated li", has_text="Regulatory application").first)
    check(page, "pages-case-previews")


def test_a_foreign_physician_gets_404_for_the_preview(
    live_server, browser_page, case_in, other_physician
):
    case = case_in(S.SUBMITTED)
    prescription = case.documents.get(kind=DocumentKind.PRESCRIPTION)
    page = browser_page(other_physician.user)
    response = page.goto(f"/documents/{prescription.pk}/preview")
    assert response.status == 404


def test_the_next_step_lists_what_a_case_waiting_for_signatures_needs(
    live_server, browser_page, coordinator, case_in
):
    case = case_in(S.FORMS_PREPARATION)
    page = office_page(browser_page, coordinator)
    page.goto(f"/work/cases/{case.pk}/")
    waiting = page.locator("#wait-file_application").inner_text()
    assert "Waiting for:" in waiting
    assert "an accepted physician undertaking" in waiting
    assert "an accepted patient consent" in waiting
    assert page.locator("#act-file_application").count() == 0
    check(page, "pages-case-waiting-for-signatures")


# --- Live without reloads -------------------------------------------------------------


def mark_page(page) -> None:
    """A flag on the window: gone if the page is ever loaded again."""
    page.evaluate("() => { window.nppSamePage = true; }")


def still_same_page(page) -> bool:
    return page.evaluate("() => window.nppSamePage === true")


def test_a_pdf_turns_ready_on_the_open_page_without_reload(
    live_server, browser_page, coordinator, case_in
):
    case = case_in(S.FORMS_PREPARATION)
    job = request_render(case=case, kind=DocumentKind.REGULATORY_APPLICATION, actor=coordinator)
    pending = [j.pk for j in case.render_jobs.filter(status=RenderStatus.PENDING)] or [job.pk]
    page = office_page(browser_page, coordinator)
    page.goto(f"/work/cases/{case.pk}/")
    generated = page.locator("#generated")
    assert "Pending" in generated.inner_text()
    mark_page(page)
    check(page, "pages-case-generated-pending")

    for pk in pending:  # the worker renders while the page stays open
        render_job_run(pk)

    page.locator("#generated li", has_text="Regulatory application").locator(
        ".badge", has_text="Ready"
    ).wait_for(timeout=15_000)
    assert "Pending" not in generated.inner_text()
    assert still_same_page(page)
    # Polling stops once nothing renders.
    assert generated.get_attribute("hx-get") is None
    check(page, "pages-case-generated-ready")


def test_the_inbox_count_updates_by_itself(
    live_server, browser_page, case_in, patient, coordinator
):
    from notifications.services import event_fan_out
    from tests.notifications.conftest import event_on

    case = case_in(S.SUBMITTED)
    page = browser_page(patient.user)
    page.goto(f"/my/orders/{case.pk}/")
    before = page.locator("#inbox-count").inner_text().strip()
    mark_page(page)

    event_fan_out(event=event_on(case, "verify", coordinator, to_state=S.FORMS_PREPARATION))

    page.wait_for_function(
        "(before) => document.querySelector('#inbox-count').innerText.trim() !== before",
        arg=before,
        timeout=15_000,
    )
    assert int(page.locator("#inbox-count .count").inner_text()) >= 1
    assert still_same_page(page)


def test_queue_filters_apply_without_a_reload(
    live_server, browser_page, coordinator, case_in, other_case, other_physician
):
    from orders.services import case_transition
    from tests.orders.helpers import upload

    mine = case_in(S.SUBMITTED)
    upload(other_case, DocumentKind.PRESCRIPTION, other_physician.user)
    theirs = case_transition(case=other_case, actor=other_physician.user, transition="submit")
    page = office_page(browser_page, coordinator)
    page.goto("/work/")
    results = page.locator("#queue-results")
    assert mine.reference in results.inner_text() and theirs.reference in results.inner_text()
    mark_page(page)

    page.get_by_label("Physician").fill(other_physician.full_name)
    page.get_by_label("Physician").press("Enter")

    page.wait_for_function(
        "(ref) => !document.querySelector('#queue-results').innerText.includes(ref)",
        arg=mine.reference,
    )
    assert theirs.reference in results.inner_text()
    assert still_same_page(page)
    page.get_by_label("State", exact=True).select_option(S.DRAFT)
    page.wait_for_function(
        "(ref) => !document.querySelector('#queue-results').innerText.includes(ref)",
        arg=theirs.reference,
    )
    assert still_same_page(page)
    assert "state=draft" in page.url  # the address follows the filters
    check(page, "pages-queue-filtered-in-place")


# --- With JavaScript off --------------------------------------------------------------


def test_with_javascript_off_the_queue_filters_and_a_transition_walks(
    live_server, browser, coordinator, case_in
):
    from tests.portals.conftest import DESKTOP, sign_in

    case = case_in(S.IN_TRANSIT)
    context = browser.new_context(
        java_script_enabled=False, viewport=DESKTOP, base_url=live_server.url
    )
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.console_errors = []
        sign_in(page, coordinator.email)
        assert "/2fa/authenticate" not in page.url

        page.goto("/work/")
        page.get_by_label("State", exact=True).select_option(S.IN_TRANSIT)
        with page.expect_navigation():
            page.get_by_role("button", name="Show").click()
        assert "state=in_transit" in page.url
        assert case.reference in page.locator("#queue-results").inner_text()

        with page.expect_navigation():
            page.get_by_role("link", name=case.reference).click()
        assert page.locator("#generated").count() in (0, 1)
        with page.expect_navigation():
            page.locator("#act-arrive").get_by_role("button", name="Arrived at customs").click()
        assert (
            f"{case.reference} moved to Customs clearance" in page.locator(".messages").inner_text()
        )
        case.refresh_from_db()
        assert case.status == S.CUSTOMS_CLEARANCE
        # Screenshots only: with scripts off axe-core cannot run in the page (the same
        # page with scripts on is checked in test_browser_coordinator).
        shoot(page, "pages-case-javascript-off")
    finally:
        context.close()


# --- The physician's request form and "My cases" ----------------------------------------


def test_the_request_form_reports_all_its_errors_at_once_and_warns_about_a_duplicate(
    live_server, browser_page, physician, patient, case_in
):
    case_in(S.SUBMITTED)  # Priya Menon is already a patient of the physician's
    page = browser_page(physician.user)
    page.goto("/physician/cases/new/")
    check(page, "pages-new-request")
    page.get_by_label("A new patient").check()
    page.get_by_label("Full name").fill(patient.full_name.upper())
    page.get_by_label("Date of birth").fill(patient.date_of_birth.isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Submit request").click()

    # One round: every missing field of the new patient and of the request, and the
    # possible duplicate, on the first submit.
    summary = page.locator(".form-errors").inner_text()
    assert "You may already have this patient" in summary
    for label in ("Sex", "Occupation", "Delivery address", "Prescribed dose", "Prescription"):
        assert label in summary, label
    errors = page.locator(".field-error")
    assert errors.count() >= 10
    duplicate = page.locator("#duplicate-patient")
    assert f"Use {patient.full_name}" in duplicate.inner_text()
    check(page, "pages-new-request-all-errors-and-duplicate")

    # Using the existing patient: only the request's fields are left to fill.
    duplicate.get_by_label(f"Use {patient.full_name}", exact=False).check()
    page.get_by_label("Product").select_option(index=1)
    with page.expect_navigation():
        page.get_by_role("button", name="Save as draft").click()
    assert "saved as a draft" in page.locator(".messages").inner_text()


def test_my_cases_filters_and_links_what_waits(live_server, browser_page, physician, case_in):
    case = case_in(S.FORMS_PREPARATION)
    page = browser_page(physician.user)
    page.goto("/physician/")
    check(page, "pages-my-cases")
    page.get_by_label("State").select_option(S.SUBMITTED)
    page.wait_for_url(re.compile(r"state=submitted"))
    assert "No case matches" in page.locator("#my-cases").inner_text()
    page.get_by_label("State").select_option("")
    page.wait_for_function(
        "(ref) => document.querySelector('#my-cases').innerText.includes(ref)",
        arg=case.reference,
    )
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Sign the undertaking")).click()
    assert f"/physician/cases/{case.pk}/sign/" in page.url


# --- Inbox volume -----------------------------------------------------------------------


def test_the_inbox_per_case_and_the_preferences_page(
    live_server, browser_page, patient, case_in, coordinator
):
    from notifications.services import event_fan_out
    from tests.notifications.conftest import event_on

    case = case_in(S.SUBMITTED)
    for transition, state in (("verify", S.FORMS_PREPARATION), ("hold", S.ON_HOLD)):
        event_fan_out(event=event_on(case, transition, coordinator, to_state=state))
    page = browser_page(patient.user)
    page.goto("/inbox/")
    assert page.locator(".inbox > li").count() == 1  # one entry for the case
    page.locator(".inbox-earlier summary").click()
    check(page, "pages-inbox-per-case")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Mark read")).click()
    assert "Nothing unread" in page.inner_text("main")

    with page.expect_navigation():
        page.get_by_role("link", name="What you are sent").click()
    check(page, "pages-notification-preferences")
    page.get_by_label("Only what I must act on").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert "preferences were saved" in page.locator(".messages").inner_text()
    assert page.get_by_label("Only what I must act on").is_checked()
