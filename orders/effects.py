"""What leaves the process after a case event commits.

The event row is the record (the outbox); everything here is scheduled with
`transaction.on_commit`, so nothing is rendered or sent for a transaction that
rolled back, and a periodic sweep re-enqueues what never ran.
"""

from __future__ import annotations

from orders.models import CaseEvent


def after_event(event: CaseEvent) -> None:
    """Called by the service layer inside the transaction that appended `event`."""
    # Local imports: both consumers import orders.models themselves.
    from documents.generation import on_transition
    from notifications.tasks import deliver_event_on_commit

    deliver_event_on_commit(event)
    on_transition(event)
