"""Money steps through the pages, for the browser walks: the coordinator names the
patient as payer and quotes, the patient accepts in the tracker, the coordinator
records the payment and sends the order to the supplier."""

from __future__ import annotations

MONEY_EVENTS = [
    "set_payer",
    "issue_quotation",
    "accept_quotation",
    "record_payment",
    "order_from_supplier",
]


def settle_through_pages(office, tracker, case, *, payer_name: str) -> None:
    office.goto(f"/work/cases/{case.pk}/#money")
    office.locator('[name="payer-kind"]').select_option("patient")
    office.locator('[name="payer-name"]').fill(payer_name)
    office.locator('[name="payer-address"]').fill("12 MG Road\nBengaluru")
    office.locator('[name="payer-state"]').select_option("Karnataka")
    office.locator('[name="payer-postal_code"]').fill("560001")
    with office.expect_navigation():
        office.get_by_role("button", name="Save the payer").click()
    with office.expect_navigation():
        office.get_by_role("button", name="Issue the quotation").click()

    tracker.goto(f"/my/orders/{case.pk}/")
    with tracker.expect_navigation():
        tracker.get_by_role("button", name="Accept the quotation").click()

    office.goto(f"/work/cases/{case.pk}/")
    office.locator("summary", has_text="Record a payment").click()
    office.locator('[name="payment-method"]').select_option("upi")
    office.locator('[name="payment-reference"]').fill("UPI-PAGES-1")
    with office.expect_navigation():
        office.get_by_role("button", name="Record the payment").click()
    with office.expect_navigation():
        office.locator("#act-order_from_supplier button[type=submit]").click()
    assert "Send the order to the supplier" in office.locator(".messages").inner_text()
