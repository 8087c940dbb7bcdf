"""A coordinator whose move was not applied, because the case moved under them, is
told who did what and when, at the top of the page, whatever forms the case's new
state draws: the loser of a real race between two requests, and anyone acting from a
page drawn before the case moved."""

from __future__ import annotations

import threading
from functools import partial

import pytest
from django.db import connection
from django.utils import timezone

from orders.models import CaseEvent, ImportCase
from orders.services import case_transition
from orders.states import CaseStatus
from portals import demo
from tests.conftest import PASSWORD, need, new_case
from tests.portals.coordinator_helpers import action_url, case_url, signed_in, transition_post

S = CaseStatus


def local_time(event: CaseEvent) -> str:
    return f"{timezone.localtime(event.created_at):%H:%M}"


def top_messages(html: str) -> str:
    """The page's flash messages: above the case, not inside any form."""
    start = html.index('<div class="messages"')
    return html[start : html.index("</div>", start)]


def test_a_page_drawn_before_another_coordinator_moved_the_case_says_who_did_what_when(
    coordinator, other_coordinator, case_in
):
    case = case_in(S.SUBMITTED)
    page = transition_post(case, "verify", prescriber_registration_checked=True)
    case_transition(case=case, actor=other_coordinator, transition="hold", note="Patient away")
    held = case.events.order_by("pk").last()
    events = case.events.count()

    response = signed_in(coordinator).post(action_url(case, "verify"), page)

    assert response.status_code == 409
    html = response.content.decode()
    assert (
        f"Another coordinator, Colin Coordinator, put this case on hold at {local_time(held)}; "
        "your Verify prescription was not applied. The case is now on hold"
    ) in top_messages(html)
    assert 'id="act-verify"' not in html  # the form the message used to hang on
    case.refresh_from_db()
    assert case.status == S.ON_HOLD
    assert case.events.count() == events


def test_a_move_still_offered_in_the_new_state_is_not_applied_to_it_either(
    coordinator, other_coordinator, case_in
):
    case = case_in(S.SUBMITTED)
    page = transition_post(case, "hold", note="Waiting for the patient")
    case_transition(
        case=case, actor=other_coordinator, transition="request_information", note="Weight?"
    )

    response = signed_in(coordinator).post(action_url(case, "hold"), page)

    assert response.status_code == 409
    assert (
        "Another coordinator, Colin Coordinator, asked the physician for information on this "
        "case at"
    ) in top_messages(response.content.decode())
    case.refresh_from_db()
    assert case.status == S.INFORMATION_REQUESTED


def test_ones_own_move_in_another_window_is_named_as_such(coordinator, case_in):
    case = case_in(S.SUBMITTED)
    page = transition_post(case, "hold", note="Pause")
    case_transition(case=case, actor=coordinator, transition="reject", note="Not eligible")

    response = signed_in(coordinator).post(action_url(case, "hold"), page)

    assert response.status_code == 409
    assert "You (in another window) rejected this case at" in response.content.decode()


# --- Real concurrent requests ---------------------------------------------------------------


def race(requests: list) -> list[object]:
    """Each request in its own thread (its own database connection), released at once."""
    barrier = threading.Barrier(len(requests))
    results: list[object] = [None] * len(requests)

    def run(slot: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[slot] = requests[slot]()
        except Exception as error:  # reported by the assertions
            results[slot] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


MOVES = {"hold": "put this case on hold", "reject": "rejected this case"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_loser_of_a_real_race_is_told_who_won_and_what_they_did(
    coordinator, other_coordinator, draft_case, case_in
):
    need(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    people = {"hold": coordinator, "reject": other_coordinator}
    names = {coordinator.pk: "Cora Coordinator", other_coordinator.pk: "Colin Coordinator"}
    for attempt in range(4):
        case = case_in(S.SUBMITTED) if attempt == 0 else _another_submitted(draft_case, coordinator)
        events = case.events.count()
        clients = {move: signed_in(user) for move, user in people.items()}
        # Both pages drawn in the same state, then both buttons pressed at once.
        posts = {}
        for move, client in clients.items():
            assert client.get(case_url(case)).status_code == 200
            posts[move] = transition_post(case, move, note=f"Race {attempt}")
        results = race(
            [partial(clients[move].post, action_url(case, move), posts[move]) for move in MOVES]
        )

        statuses = sorted(response.status_code for response in results)
        assert statuses == [302, 409], results
        winner = next(m for m, r in zip(MOVES, results, strict=True) if r.status_code == 302)
        loser, response = next(
            (m, r) for m, r in zip(MOVES, results, strict=True) if r.status_code == 409
        )
        case.refresh_from_db()
        assert case.status == {"hold": S.ON_HOLD, "reject": S.REJECTED}[winner]
        assert case.events.count() == events + 1
        won = case.events.order_by("pk").last()
        label = {"hold": "Put on hold", "reject": "Reject"}[loser]
        assert (
            f"Another coordinator, {names[people[winner].pk]}, {MOVES[winner]} at "
            f"{local_time(won)}; your {label} was not applied."
        ) in top_messages(response.content.decode())


def _another_submitted(draft_case, coordinator) -> ImportCase:
    case = new_case(
        physician=draft_case.physician, patient=draft_case.patient, product=draft_case.product
    )
    return demo.walk_to(case, S.SUBMITTED, coordinator=coordinator, signing_password=PASSWORD)
