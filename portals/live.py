"""Parts of pages that keep up by themselves (htmx polls them): the inbox count in
the header. Each is also part of its full page, so nothing depends on them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
@login_required
def inbox_count(request: HttpRequest) -> HttpResponse:
    """The header's unread count (unread_count comes from the context processor)."""
    return render(request, "portals/_inbox_count.html")
