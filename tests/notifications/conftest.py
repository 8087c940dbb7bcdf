"""Fixtures for the notification tests: events made directly on a case, the whole
coordinator team, and (for the integration tests) a real Celery worker."""

from __future__ import annotations

import pytest

from notifications import services
from orders.models import CaseEvent, ImportCase
from orders.services import system_user


def event_on(case: ImportCase, transition: str, actor, *, note: str = "", data=None, to_state=None):
    """An event as the service layer appends it, without walking the case there:
    who hears what depends on the event, not on how the case got there."""
    return CaseEvent.objects.create(
        case=case,
        transition=transition,
        from_state=case.status,
        to_state=to_state or case.status,
        actor=actor,
        note=note,
        data=data or {},
    )


@pytest.fixture
def team(coordinator, other_coordinator):
    return [coordinator, other_coordinator]


@pytest.fixture
def system(db):
    return system_user()


@pytest.fixture(autouse=True)
def _fresh_template_cache():
    services._template_base.cache_clear()
    services._has_html.cache_clear()
