"""Finding a case by whatever a coordinator quotes: its reference, the patient's name,
phone or identity last four, the physician's name, the regulator's reference, the
permit, the Bill of Entry, a lot or an AWB.

Three ways, the first that finds something among the cases in view wins:

1. A full case reference (`NPP-2026-00042`, any case, spaces or no dashes) goes
   straight to the unique index.
2. The exact path: a term that is a whole identifier of some case, or the whole name
   of a patient or physician ("Dr" or not). Identifiers are read from CaseIdentifier
   (kept by the database, one b-tree entry per identifier and case), compared in lower
   case without spaces or dashes; a phone number by its digits. Names through the
   expression indexes on lower(full_name). A handful of index pages whatever the
   number of cases.
3. Otherwise, word by word, as a substring of the case's search document (CaseSearch,
   which the database keeps): through the pg_trgm GIN index on PostgreSQL, through
   the FTS5 trigram table on SQLite. Each word of three characters or more is served
   by the index; shorter words only narrow what it found.

Four digits are the exception: they may be an identity's last four and as well a part
of references, phones and numbers ("2026"), so they add the cases they name to the
substring search's instead of replacing them.

So a whole identifier finds the case it names and not the others that merely contain
it (a permit number inside another case's AWB, the identity's last four inside a
phone): a trigram index reads posting lists that grow with the cases, and digit-heavy
identifiers share their trigrams with most documents (at a million cases a phone took
66 ms that way, against well under one on the exact path).
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from orders.models import CaseSearch, ImportCase

REFERENCE = re.compile(r"NPP-?(\d{4})-?(\d{5,})", re.IGNORECASE)
# A phone number as people write it: digits with spaces, dashes, dots, brackets, a plus.
PHONE = re.compile(r"\+?[\d\s().-]{6,}")
# An identity document's last four: also a piece of many other identifiers.
LAST_FOUR = re.compile(r"\d{4}")
MIN_WORD = 3  # the trigram indexes serve words of three characters or more
# Up to this many cases, the exact path's cases are handed to the page's query as a
# list of ids (found by primary key whatever the plan); beyond it, as a subquery.
EXACT_LIST = 1000

# The cases of whole identifiers and whole names. The key is normalised here as the
# triggers normalise identifiers (migration 0020): lower case, no spaces, no dashes.
EXACT = """
SELECT case_id FROM orders_caseidentifier
WHERE key IN (lower(replace(replace(%s, ' ', ''), '-', '')), %s)
UNION
SELECT c.id FROM orders_importcase c JOIN orders_patient p ON p.id = c.patient_id
WHERE lower(p.full_name) = lower(%s)
UNION
SELECT c.id FROM orders_importcase c JOIN orders_physician d ON d.id = c.physician_id
WHERE lower(d.full_name) = lower(%s)
"""


def search_words(term: str) -> list[str]:
    """The words to find, lower case; a phone number is one word of its digits (the
    document holds phones as digits only)."""
    term = term.strip().lower()
    if digits := _phone_digits(term):
        return [digits]
    return term.split()


def phone_digits(phone: str) -> str:
    """A phone number's key: its ASCII digits, and nothing else (spaces, a plus,
    brackets, slashes, "ext" all go). The one rule: the database's triggers compute
    the same keys for the identifiers and the search document (migration 0021), and
    tests/orders/test_search_phone.py holds them to it."""
    return "".join(ch for ch in phone if ch in "0123456789")


def _phone_digits(term: str) -> str:
    """The digits of a term that is written as a phone number, or ''."""
    digits = phone_digits(term)
    return digits if PHONE.fullmatch(term.strip()) and len(digits) >= 6 else ""


def is_searchable(term: str) -> bool:
    return any(len(word) >= MIN_WORD for word in search_words(term))


def case_reference(term: str) -> str:
    """The case reference `term` spells, as stored, or ''."""
    match = REFERENCE.fullmatch("".join(term.split()))
    return f"NPP-{match[1]}-{match[2]}" if match else ""


def exact_condition(term: str, within: QuerySet[ImportCase] | None = None) -> Q | None:
    """The cases `term` names whole (an identifier, a patient's or physician's name)
    among `within` (the page's other filters; all cases by default), or None when it
    names none of them."""
    spaced = " ".join(term.split())
    # A physician is often quoted with the title, which their name does not hold.
    physician = re.sub(r"^dr\.?\s+", "", spaced, flags=re.IGNORECASE)
    params = [spaced, _phone_digits(spaced) or None, spaced, physician]
    cases = ImportCase.objects.all() if within is None else within
    named = cases.filter(pk__in=RawSQL(EXACT, params)).order_by().values_list("pk", flat=True)
    ids = list(named[: EXACT_LIST + 1])
    if not ids:
        return None
    if len(ids) > EXACT_LIST:
        return Q(pk__in=RawSQL(EXACT, params))
    return Q(pk__in=ids)


def search_condition(term: str, within: QuerySet[ImportCase] | None = None) -> Q:
    """Cases matching `term`, as one filter on ImportCase; `within`: the cases the
    page's other filters leave, among which the exact path must find something to win."""
    term = term.strip()
    if reference := case_reference(term):
        return Q(reference=reference)
    exact = exact_condition(term, within)
    if exact is not None and not LAST_FOUR.fullmatch(term):
        return exact
    substring = _substring_condition(term)
    return substring if exact is None else exact | substring


def _substring_condition(term: str) -> Q:
    words = search_words(term)
    long_words = [word for word in words if len(word) >= MIN_WORD]
    documents = CaseSearch.objects.all()
    for word in words:
        if connection.vendor != "sqlite" or word not in long_words:
            documents = documents.filter(document__contains=word)
    if connection.vendor == "sqlite" and long_words:
        # FTS5 trigram: a quoted phrase matches wherever it occurs in the document.
        match = " AND ".join('"' + word.replace('"', '""') + '"' for word in long_words)
        documents = documents.filter(
            case_id__in=RawSQL(
                "SELECT rowid FROM orders_casesearch_fts WHERE orders_casesearch_fts MATCH %s",
                [match],
            )
        )
    return Q(pk__in=documents.values("case_id"))
