"""What the payer's side reads of a case's money, on the patient's tracker and the
physician's case page: the quotation's payer lines (never the supplier's costs), the
balance, and the button to accept when it is theirs to accept."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from billing import services as billing
from billing.access import reads_money
from billing.selectors import case_account, latest_quotation, payer_lines
from orders.errors import DomainError
from orders.models import ImportCase
from orders.money import QuotationStatus


def payer_money(case: ImportCase, user) -> dict[str, Any] | None:
    if not reads_money(case, user):
        return None
    quotation = latest_quotation(case)
    if quotation is None:
        return None
    account = case_account(case)
    return {
        "quotation": quotation,
        "lines": payer_lines(quotation),
        "account": account,
        "may_accept": quotation.status == QuotationStatus.ISSUED
        and billing.may_accept(quotation, user),
        "payer": quotation.payer,
    }


def accept(request: HttpRequest, case: ImportCase, back: str) -> HttpResponse:
    """The payer's side accepts the latest quotation it was shown."""
    quotation = latest_quotation(case)
    version = request.POST.get("version", "")
    if quotation is None or str(quotation.version) != version:
        messages.error(request, _("That quotation has changed: read the new one before accepting."))
        return redirect(back)
    try:
        billing.quotation_accept(quotation=quotation, actor=request.user)
    except PermissionDenied:
        messages.error(request, _("This quotation is for the payer to accept."))
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "Thank you: you accepted quotation v%(version)s. We order your medicine "
                "once it is paid."
            )
            % {"version": quotation.version},
        )
    return redirect(back)
