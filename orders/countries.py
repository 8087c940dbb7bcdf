"""Country names the papers print for ISO 3166 codes (a supplier's, a pathway's)."""

from __future__ import annotations

COUNTRY_NAMES = {
    "AE": "United Arab Emirates",
    "AU": "Australia",
    "BE": "Belgium",
    "CA": "Canada",
    "CH": "Switzerland",
    "DE": "Germany",
    "DK": "Denmark",
    "ES": "Spain",
    "EU": "European Union",
    "FR": "France",
    "GB": "United Kingdom",
    "IE": "Ireland",
    "IN": "India",
    "IT": "Italy",
    "JP": "Japan",
    "NL": "Netherlands",
    "SE": "Sweden",
    "SG": "Singapore",
    "US": "United States",
}


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get((code or "").upper(), code or "")
