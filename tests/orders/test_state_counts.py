"""The counts per state the queue shows are kept by the database in each change's own
transaction: after any mix of transitions, refused ones included, they equal a fresh
COUNT(*) of the cases."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.errors import DomainError
from orders.models import ImportCase
from orders.selectors import state_counts
from orders.services import TRANSITION_NAMES, case_transition
from orders.states import CaseStatus
from tests.portals.coordinator_helpers import bulk_cases

S = CaseStatus
CASES = 12


def fresh_count() -> dict[str, int]:
    rows = ImportCase.objects.order_by().values_list("status").annotate(n=Count("pk"))
    return dict(rows)


@pytest.fixture
def cases(coordinator, physician, patient, lupkynis) -> list[int]:
    created = bulk_cases(
        CASES, creator=coordinator, physicians=[physician], patients=[patient], product=lupkynis
    )
    return [case.pk for case in created]


steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=CASES - 1),
        st.sampled_from(TRANSITION_NAMES),
        st.booleans(),  # the coordinator acts, or the case's physician
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_counts_equal_a_fresh_count_after_any_mix_of_transitions(
    steps, cases, coordinator, physician
):
    moved = 0
    for index, name, by_coordinator in steps:
        case = ImportCase.objects.get(pk=cases[index])
        try:
            case_transition(
                case=case,
                actor=coordinator if by_coordinator else physician.user,
                transition=name,
                note="Because the test says so.",
            )
        except (DomainError, PermissionDenied):
            continue  # refused: rolled back, and so is its count
        moved += 1
        assert state_counts() == fresh_count()
    assert state_counts() == fresh_count()
    assert sum(state_counts().values()) == ImportCase.objects.count()


def test_counts_follow_bulk_writes_below_the_services(cases):
    ImportCase.objects.filter(pk__in=cases[:5]).update(status=S.CLOSED)
    assert state_counts() == fresh_count()
    ImportCase.objects.filter(pk__in=cases[5:7]).delete()
    assert state_counts() == fresh_count()
    assert state_counts()[S.CLOSED] == 5
