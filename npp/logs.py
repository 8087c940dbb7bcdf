"""Logging helpers for a system that holds health data: what a log line may say."""

from __future__ import annotations

import re

# Digits shown at the end of a masked phone number: enough to tell two numbers of
# one person apart, too few to call anyone.
PHONE_DIGITS_SHOWN = 2


def mask_phone(number: str) -> str:
    """`+91 98450 00012` -> `***12`: the last digits only, never the length."""
    digits = re.sub(r"\D", "", number or "")
    if len(digits) <= 2 * PHONE_DIGITS_SHOWN:
        return "***"
    return "***" + digits[-PHONE_DIGITS_SHOWN:]
