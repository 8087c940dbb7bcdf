"""The case-event handler (settings.NPP_CASE_EVENT_HANDLERS): after the commit, one
delivery per subscriber, each sent by a task. The sweep (webhooks.tasks.sweep)
fans out whatever event this never saw."""

from __future__ import annotations

from orders.models import CaseEvent
from webhooks import services, tasks
from webhooks.models import Subscription


def deliver_on_event(event: CaseEvent) -> None:
    if not Subscription.objects.filter(is_active=True).exists():
        return
    for delivery_id in services.event_fan_out(event=event):
        tasks.enqueue(delivery_id)
