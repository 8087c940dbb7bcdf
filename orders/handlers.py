"""What follows a committed case event.

The consequences of a transition (papers to render, people to tell, and later
webhooks) are the handlers listed, in order, in `settings.NPP_CASE_EVENT_HANDLERS`:
one list in the wiring layer, the way MIDDLEWARE lists middleware, so a reader finds
them all in one place and `orders` imports none of the apps that provide them.

Each handler is called with the `CaseEvent` after the transaction that appended it
commits: nothing is rendered or sent for a move that rolled back. A handler that
fails is logged and the next one still runs; the committed move stands. A process
that dies between the commit and a handler loses nothing: the event row is the
outbox, and each consumer's periodic sweep picks up the events it never saw.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from orders.models import CaseEvent

log = logging.getLogger(__name__)

Handler = Callable[[CaseEvent], object]


def handlers() -> tuple[tuple[str, Handler], ...]:
    """The configured handlers as (dotted path, callable), in their order."""
    return _resolve(tuple(settings.NPP_CASE_EVENT_HANDLERS))


@functools.cache
def _resolve(paths: tuple[str, ...]) -> tuple[tuple[str, Handler], ...]:
    return tuple((path, import_string(path)) for path in paths)


def after_commit(event: CaseEvent) -> None:
    """Called by the service layer inside the transaction that appended `event`."""
    transaction.on_commit(partial(dispatch, event))


def dispatch(event: CaseEvent) -> None:
    """Hand `event` to every handler in order; one failing stops none of the others."""
    for path, handler in handlers():
        try:
            handler(event)
        except Exception:
            log.exception("Case event handler %s failed on event %s", path, event.pk)
