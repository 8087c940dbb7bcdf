"""Country names the papers print for ISO 3166 codes (a supplier's, a pathway's).

Marked for the catalogue, plain English here: papers hold the English name (their data
is what signatures seal); the patient's consent translates it where it is shown."""

from __future__ import annotations

from django.utils.translation import gettext_noop

COUNTRY_NAMES = {
    "AE": gettext_noop("United Arab Emirates"),
    "AU": gettext_noop("Australia"),
    "BE": gettext_noop("Belgium"),
    "CA": gettext_noop("Canada"),
    "CH": gettext_noop("Switzerland"),
    "DE": gettext_noop("Germany"),
    "DK": gettext_noop("Denmark"),
    "ES": gettext_noop("Spain"),
    "EU": gettext_noop("European Union"),
    "FR": gettext_noop("France"),
    "GB": gettext_noop("United Kingdom"),
    "IE": gettext_noop("Ireland"),
    "IN": gettext_noop("India"),
    "IT": gettext_noop("Italy"),
    "JP": gettext_noop("Japan"),
    "NL": gettext_noop("Netherlands"),
    "SE": gettext_noop("Sweden"),
    "SG": gettext_noop("Singapore"),
    "US": gettext_noop("United States"),
}


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get((code or "").upper(), code or "")
