"""The queue's search term names patients: it is posted, kept in the coordinator's
session behind a token, and never appears in a URL (which access logs, proxies and
browser history keep)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from orders.states import CaseStatus
from tests.portals.coordinator_helpers import signed_in

QUEUE = "/work/"


@pytest.fixture
def cora(coordinator):
    return signed_in(coordinator)


def urls_in(html: str) -> list[str]:
    return re.findall(r'(?:href|action|formaction|value)="([^"]*)"', html)


def test_a_search_is_posted_and_redirected_to_a_url_without_the_term(cora, case_in):
    case = case_in(CaseStatus.SUBMITTED)

    response = cora.post(QUEUE, {"q": "Priya", "state": CaseStatus.SUBMITTED, "physician": ""})

    assert response.status_code == 302
    location = response["Location"]
    assert "Priya" not in location and "priya" not in location.lower()
    query = parse_qs(urlsplit(location).query)
    assert set(query) == {"state", "search"}
    page = cora.get(location)
    assert [row.reference for row in page.context["page"].rows] == [case.reference]
    html = page.content.decode()
    assert 'value="Priya"' in html  # the field shows what was typed
    assert not [url for url in urls_in(html) if "priya" in url.lower() and url != "Priya"]


def test_the_term_in_a_url_is_ignored(cora, case_in, other_case):
    case_in(CaseStatus.SUBMITTED)

    page = cora.get(QUEUE, {"q": "nobody-like-this"})

    assert page.status_code == 200
    assert len(page.context["page"].rows) == 1
    assert page.context["filters"].q == ""


def test_a_token_means_nothing_in_another_session(cora, coordinator, other_coordinator, case_in):
    case_in(CaseStatus.SUBMITTED)
    location = cora.post(QUEUE, {"q": "nobody-like-this"})["Location"]
    assert cora.get(location).context["page"].rows == []

    page = signed_in(other_coordinator).get(location)

    assert page.context["filters"].q == ""
    assert len(page.context["page"].rows) == 1


def test_an_empty_search_shows_the_queue_with_the_other_filters(cora, case_in):
    case_in(CaseStatus.SUBMITTED)

    response = cora.post(QUEUE, {"q": "  ", "overdue": ""})

    assert response["Location"] == QUEUE
