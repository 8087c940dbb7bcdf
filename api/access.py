"""Which cases an API caller reaches: the pages' rule (orders.access, where a draft is
not shown to its patient until it is sent) and, for a courier's or supplier's service
account, the cases it carries."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from api.models import CarrierAccount
from npp.accounts.models import Role
from orders.access import cases_visible_to
from orders.models import ImportCase, Shipment


def cases_for(user) -> QuerySet[ImportCase]:
    if user.is_authenticated and user.role == Role.SYSTEM:
        return cases_carried_by(carrier_of(user))
    return cases_visible_to(user)


def case_for(user, reference: str) -> ImportCase:
    """The case, or 404 when it does not exist or the caller may not see it."""
    case = cases_for(user).filter(reference=reference).first()
    if case is None:
        raise Http404(_("No such import case."))
    return case


def carrier_of(user) -> CarrierAccount | None:
    if not user.is_authenticated or user.role != Role.SYSTEM:
        return None
    return CarrierAccount.objects.filter(user=user).select_related("supplier").first()


def cases_carried_by(account: CarrierAccount | None) -> QuerySet[ImportCase]:
    """Cases whose current (not rejected) shipment is this courier's or from this
    supplier; none for anyone else."""
    if account is None:
        return ImportCase.objects.none()
    mine = Q()
    if account.courier:
        mine |= Q(courier__iexact=account.courier)
    if account.supplier_id:
        mine |= Q(supplier_id=account.supplier_id)
    if not mine:
        return ImportCase.objects.none()
    carried = Shipment.objects.filter(mine, rejected_at__isnull=True).values("case_id")
    return ImportCase.objects.filter(pk__in=carried)


def people_only(user) -> None:
    """A service account reads the cases it carries and reports milestones; the rest
    (history, papers, moves, side effects) is for people."""
    if user.role == Role.SYSTEM:
        raise PermissionDenied("A service account only reads its cases and reports milestones.")
