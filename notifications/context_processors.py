"""`unread_count` for page headers: counted only when a template shows it."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from notifications.services import inbox_unread_count


def unread_count(request) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": SimpleLazyObject(lambda: inbox_unread_count(user=user))}
