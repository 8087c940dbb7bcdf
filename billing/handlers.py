"""What billing does after a committed case event (settings.NPP_CASE_EVENT_HANDLERS)."""

from __future__ import annotations

import logging

from billing.services import invoice_issue
from orders.models import CaseEvent
from orders.states import CaseStatus

log = logging.getLogger(__name__)


def invoice_on_delivery(event: CaseEvent) -> None:
    """Delivery produces the tax invoice (listed before the papers' handler, which then
    renders it). A case nobody was quoted has none. A crash before this ran is caught
    by `tasks.invoice_sweep`."""
    if event.transition != "confirm_delivery" or event.to_state != CaseStatus.DELIVERED:
        return
    from orders.services import system_user

    invoice = invoice_issue(case=event.case, actor=system_user())
    if invoice is not None:
        log.info("Tax invoice %s issued for %s", invoice.number, event.case.reference)
