"""Finding a case by whatever a coordinator quotes: its reference, the patient's name,
phone or identity last four, the physician's name, the regulator's reference, the
permit, the Bill of Entry, a lot or an AWB.

A full case reference goes straight to the unique index. Anything else is matched,
word by word, as a substring of the case's search document (CaseSearch, which the
database keeps): through the pg_trgm GIN index on PostgreSQL, through the FTS5
trigram table on SQLite. Each word of three characters or more is served by the
index; shorter words only narrow what it found.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from orders.models import CaseSearch

REFERENCE = re.compile(r"NPP-\d{4}-\d{5,}", re.IGNORECASE)
# A phone number as people write it: digits with spaces, dashes, dots, brackets, a plus.
PHONE = re.compile(r"\+?[\d\s().-]{6,}")
MIN_WORD = 3  # the trigram indexes serve words of three characters or more


def search_words(term: str) -> list[str]:
    """The words to find, lower case; a phone number is one word of its digits (the
    document holds phones as digits only)."""
    term = term.strip().lower()
    if PHONE.fullmatch(term) and sum(ch.isdigit() for ch in term) >= 6:
        return ["".join(ch for ch in term if ch.isdigit())]
    return term.split()


def is_searchable(term: str) -> bool:
    return any(len(word) >= MIN_WORD for word in search_words(term))


def search_condition(term: str) -> Q:
    """Cases matching `term`, as one filter on ImportCase."""
    term = term.strip()
    if REFERENCE.fullmatch(term):
        return Q(reference=term.upper())
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
