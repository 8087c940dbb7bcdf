"""Where each role lands after signing in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from npp.accounts.models import Role

HOMES = {
    Role.COORDINATOR: "orders:coordinator-queue",
    Role.PHYSICIAN: "orders:physician-home",
    Role.PATIENT: "orders:patient-home",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(HOMES.get(request.user.role, "admin:index"))
