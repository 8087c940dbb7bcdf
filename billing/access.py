"""Who reads a case's money, besides the coordinators: the one rule for the pages
(portals.payer) and the API. Payers never read the supplier's cost lines
(QuotationLine.audience "internal"): billing.selectors.payer_lines."""

from __future__ import annotations

from billing.models import Payer
from npp.accounts.models import Role
from orders.models import ImportCase


def reads_money(case: ImportCase, user) -> bool:
    """The physician reads the money of their cases; the patient when they (or their
    family) pay. (The case itself is visible to them: orders.access decides that.)"""
    if user.role == Role.PHYSICIAN:
        return True
    payer = Payer.objects.filter(case=case).first()
    return user.role == Role.PATIENT and payer is not None and payer.patient_side
