"""What a log line may say about a person."""

from __future__ import annotations

import pytest

from npp.logs import mask_phone


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+91 98450 37164", "***64"),
        ("+919845037164", "***64"),
        ("(080) 4718-2200", "***00"),
        ("1234", "***"),
        ("", "***"),
    ],
)
def test_a_phone_number_is_masked_to_its_last_two_digits_and_not_its_length(number, masked):
    assert mask_phone(number) == masked
