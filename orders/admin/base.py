"""What every admin of the domain shares: read-only rows and the visibility rule."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from npp.accounts.models import Role
from orders.access import cases_visible_to


def is_coordinator(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == Role.COORDINATOR)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the domain: the admin may look, never add, edit or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VisibleCaseRowsMixin:
    """Rows that belong to a case are listed only for cases the user may see."""

    case_lookup = "case"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        rows = super().get_queryset(request)  # type: ignore[misc]
        return rows.filter(**{f"{self.case_lookup}__in": cases_visible_to(request.user)})


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
