"""GST identities: state codes (place of supply) and GSTIN checks."""

from __future__ import annotations

STATE_CODES = {
    "Jammu and Kashmir": "01",
    "Himachal Pradesh": "02",
    "Punjab": "03",
    "Chandigarh": "04",
    "Uttarakhand": "05",
    "Haryana": "06",
    "Delhi": "07",
    "Rajasthan": "08",
    "Uttar Pradesh": "09",
    "Bihar": "10",
    "Sikkim": "11",
    "Arunachal Pradesh": "12",
    "Nagaland": "13",
    "Manipur": "14",
    "Mizoram": "15",
    "Tripura": "16",
    "Meghalaya": "17",
    "Assam": "18",
    "West Bengal": "19",
    "Jharkhand": "20",
    "Odisha": "21",
    "Chhattisgarh": "22",
    "Madhya Pradesh": "23",
    "Gujarat": "24",
    "Dadra and Nagar Haveli and Daman and Diu": "26",
    "Maharashtra": "27",
    "Karnataka": "29",
    "Goa": "30",
    "Lakshadweep": "31",
    "Kerala": "32",
    "Tamil Nadu": "33",
    "Puducherry": "34",
    "Andaman and Nicobar Islands": "35",
    "Telangana": "36",
    "Andhra Pradesh": "37",
    "Ladakh": "38",
}
STATE_CHOICES = [(name, f"{name} ({code})") for name, code in STATE_CODES.items()]

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def gstin_check_character(first14: str) -> str:
    """The 15th character of a GSTIN: a base-36 checksum of the first fourteen."""
    total = 0
    for position, char in enumerate(first14):
        value = _ALPHABET.index(char) * (2 if position % 2 else 1)
        total += value // 36 + value % 36
    return _ALPHABET[(36 - total % 36) % 36]


def gstin_problems(gstin: str, *, state: str = "") -> list[str]:
    """What is wrong with `gstin` (empty: nothing). 15 characters: the state code,
    the holder's PAN, an entity number, 'Z' and a check character."""
    value = (gstin or "").strip().upper()
    if len(value) != 15 or any(char not in _ALPHABET for char in value):
        return ["a GSTIN of 15 letters and digits"]
    problems = []
    if value[:2] not in STATE_CODES.values():
        problems.append(f"a GSTIN starting with a state code ({value[:2]} is none)")
    elif state and STATE_CODES.get(state) not in (None, value[:2]):
        problems.append(f"a GSTIN of {state} (state code {STATE_CODES[state]})")
    if gstin_check_character(value[:14]) != value[14]:
        problems.append("a GSTIN whose check character matches (a character is mistyped)")
    return problems


def place_of_supply(state: str) -> str:
    code = STATE_CODES.get(state)
    return f"{state} ({code})" if code else state
