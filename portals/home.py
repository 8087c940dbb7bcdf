"""Where each role lands after signing in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from npp.accounts.models import Role
from orders.access import cases_visible_to

HOMES = {
    Role.COORDINATOR: "orders:coordinator-queue",
    Role.PHYSICIAN: "orders:physician-home",
    Role.PATIENT: "orders:patient-home",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.role == Role.PATIENT:
        # A patient with one order (the usual case, and where an invitation leads)
        # lands on it; with several, on the list.
        orders = list(cases_visible_to(request.user).values_list("pk")[:2])
        if len(orders) == 1:
            return redirect("orders:patient-case", pk=orders[0][0])
    return redirect(HOMES.get(request.user.role, "admin:index"))
