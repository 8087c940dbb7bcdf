"""Which import cases a user may see: the one rule every page, download, API
endpoint and admin list goes through (design section 5)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from npp.accounts.models import Role
from orders.models import ImportCase
from orders.states import CaseStatus


def cases_visible_to(user, queryset: QuerySet[ImportCase] | None = None) -> QuerySet[ImportCase]:
    cases = ImportCase.objects.all() if queryset is None else queryset
    if user is None or not user.is_authenticated or not user.is_active:
        return cases.none()
    if user.role == Role.COORDINATOR:
        return cases
    if user.role == Role.PHYSICIAN:
        return cases.filter(physician__user=user)
    if user.role == Role.PATIENT:
        # A draft is not shown to its patient until the physician sends it: it may
        # still change entirely (nor its documents, its money or its events).
        return cases.filter(patient__user=user).exclude(status=CaseStatus.DRAFT)
    return cases.none()


def get_case_for_user(user, **lookup) -> ImportCase:
    """The case, or 404 when it does not exist *or* the user may not see it,
    so that nobody learns that someone else's case exists."""
    try:
        return cases_visible_to(user).get(**lookup)
    except (cases_visible_to(user).model.DoesNotExist, ValueError):
        raise Http404(_("No such import case.")) from None
