from django.contrib import admin

from webhooks.models import Attempt, Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["url", "owner", "scope", "is_active", "consecutive_failures", "created_at"]
    list_filter = ["is_active", "scope"]
    exclude = ["secret"]
    readonly_fields = ["consecutive_failures", "disabled_at", "disabled_reason"]


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    readonly_fields = ["started_at", "duration_ms", "status_code", "error", "succeeded"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "subscription", "status", "attempts", "last_status_code", "created_at"]
    list_filter = ["status"]
    inlines = [AttemptInline]
    readonly_fields = [f.name for f in Delivery._meta.fields]
