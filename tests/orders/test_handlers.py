"""What follows a committed case event: the handlers listed in settings, in order,
after the commit; one failing undoes nothing and stops none of the others."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings

from orders.errors import GuardFailed
from orders.models import CaseEvent, ImportCase
from orders.services import case_transition
from orders.states import CaseStatus

S = CaseStatus
CALLS: list[tuple[str, int]] = []


def first(event: CaseEvent) -> None:
    CALLS.append(("first", event.pk))


def broken(event: CaseEvent) -> None:
    CALLS.append(("broken", event.pk))
    raise RuntimeError("the mail server is on fire")


def last(event: CaseEvent) -> None:
    # Runs after the commit: the case is already stored in its new state.
    CALLS.append(("last", ImportCase.objects.get(pk=event.case_id).status))


@pytest.fixture(autouse=True)
def _no_calls_yet():
    CALLS.clear()
    yield
    CALLS.clear()


def test_the_configured_handlers_invoice_then_render_papers_then_notify_then_webhooks():
    # The tax invoice is issued before the papers' handler asks for its PDF.
    assert settings.NPP_CASE_EVENT_HANDLERS == [
        "billing.handlers.invoice_on_delivery",
        "documents.generation.requests.render_on_entry",
        "documents.generation.adverse_event_report.prepare_on_report",
        "notifications.tasks.notify_on_event",
        "webhooks.handlers.deliver_on_event",
    ]


def test_handlers_run_after_the_commit_in_the_listed_order(
    settings, case_in, coordinator, django_capture_on_commit_callbacks
):
    case = case_in(S.SUBMITTED)
    settings.NPP_CASE_EVENT_HANDLERS = [f"{__name__}.first", f"{__name__}.last"]

    with django_capture_on_commit_callbacks() as callbacks:
        case_transition(case=case, actor=coordinator, transition="hold", note="Lab report due")
        assert CALLS == []  # nothing before the commit
    for callback in callbacks:
        callback()

    event = CaseEvent.objects.get(case=case, transition="hold")
    assert [("first", event.pk), ("last", S.ON_HOLD)] == CALLS


def test_a_failing_handler_undoes_nothing_and_the_next_still_runs(
    settings, case_in, coordinator, django_capture_on_commit_callbacks, caplog
):
    case = case_in(S.SUBMITTED)
    settings.NPP_CASE_EVENT_HANDLERS = [
        f"{__name__}.first",
        f"{__name__}.broken",
        f"{__name__}.last",
    ]

    with (
        caplog.at_level(logging.ERROR, logger="orders.handlers"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        case_transition(case=case, actor=coordinator, transition="hold", note="Lab report due")

    event = CaseEvent.objects.get(case=case, transition="hold")
    assert [name for name, _ in CALLS] == ["first", "broken", "last"]
    assert ImportCase.objects.get(pk=case.pk).status == S.ON_HOLD
    assert f"{__name__}.broken failed on event {event.pk}" in caplog.text


def test_a_refused_move_calls_no_handler(
    settings, case_in, coordinator, django_capture_on_commit_callbacks
):
    case = case_in(S.SUBMITTED)
    settings.NPP_CASE_EVENT_HANDLERS = [f"{__name__}.first"]

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(GuardFailed),
    ):
        case_transition(case=case, actor=coordinator, transition="verify")

    assert callbacks == []
    assert CALLS == []
    assert ImportCase.objects.get(pk=case.pk).status == S.SUBMITTED


def test_the_handlers_are_imported_once_not_at_every_event(
    settings, case_in, coordinator, django_capture_on_commit_callbacks, monkeypatch
):
    from orders import handlers

    case = case_in(S.SUBMITTED)
    settings.NPP_CASE_EVENT_HANDLERS = [f"{__name__}.first", f"{__name__}.last"]
    imported: list[str] = []
    real_import = handlers.import_string

    def counting_import(path: str):
        imported.append(path)
        return real_import(path)

    monkeypatch.setattr(handlers, "import_string", counting_import)
    handlers._resolve.cache_clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = case_transition(case=case, actor=coordinator, transition="hold", note="Lab")
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case=case, actor=coordinator, transition="resume", note="Back")
    handlers._resolve.cache_clear()

    assert imported == [f"{__name__}.first", f"{__name__}.last"]
    assert [name for name, _ in CALLS] == ["first", "last", "first", "last"]
