"""Which inbox messages a user may see: only their own (design section 5)."""

from __future__ import annotations

from django.http import Http404

from notifications.models import Notification


def get_inbox_message_for_user(user, pk: int) -> Notification:
    """The user's own inbox message, or 404 when it does not exist *or* is someone
    else's, so that nobody learns another person's message exists."""
    try:
        return Notification.objects.inbox_of(user).get(pk=pk)
    except Notification.DoesNotExist:
        raise Http404("No such message.") from None
