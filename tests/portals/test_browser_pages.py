"""Pages that keep up (issue 13), in a real browser: previews of uploaded and generated
papers, the next step saying what it waits for, live updates without reloads, and the
same pages with JavaScript off. Every page is screenshotted at phone and desktop width
and checked with axe-core."""

from __future__ import annotations

import pytest

from documents.generation.jobs import render_job_run
from documents.generation.requests import request_render
from documents.models import DocumentKind, RenderStatus
from orders.states import CaseStatus
from tests.portals.test_browser_coordinator import check, office_page

pytestmark = pytest.mark.django_db(transaction=True)
S = CaseStatus


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
    open_preview(page, page.locator("#generated li").first)
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
