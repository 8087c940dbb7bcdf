"""The in-app inbox: a user's own messages, unread count, mark read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from notifications import services
from notifications.access import get_inbox_message_for_user
from notifications.models import Notification

PAGE_SIZE = 50


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    inbox = Notification.objects.inbox_of(request.user).select_related("case")
    page = Paginator(inbox, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {
            "messages": page.object_list,
            "groups": services.inbox_by_case(page.object_list),
            "page": page,
        },
    )


@require_GET
@login_required
def message(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_inbox_message_for_user(request.user, pk)
    return render(request, "notifications/message.html", {"message": notification})


@require_GET
@login_required
def unread_count(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"unread": services.inbox_unread_count(user=request.user)})


@require_POST
@login_required
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_inbox_message_for_user(request.user, pk)
    services.inbox_mark_read(user=request.user, notification_id=notification.pk)
    return redirect("notifications:inbox")


@require_POST
@login_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    case = request.POST.get("case", "")
    # Only the user's own messages are touched, whatever case id is posted.
    services.inbox_mark_read(user=request.user, case_id=int(case) if case.isdigit() else None)
    return redirect("notifications:inbox")
