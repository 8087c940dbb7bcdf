"""Money rules every layer shares: the rounding rules (paise; customs duty to the
rupee), amounts in words for an invoice, and the vocabulary of a quotation's life that
the domain's guard reads (orders.guards.quotation_paid_or_waived). Amounts are shown
with orders.display.format_money (Indian digit grouping).

A leaf: it imports nothing of the project. Amounts are `Decimal`, never float.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_noop

PAISE = Decimal("0.01")
RUPEE = Decimal("1")


class QuotationStatus(models.TextChoices):
    # Marked for the catalogue, plain English here (a payer's refusal translates them).
    ISSUED = "issued", gettext_noop("Issued, awaiting acceptance")
    ACCEPTED = "accepted", gettext_noop("Accepted")
    SUPERSEDED = "superseded", gettext_noop("Superseded by a newer version")


def to_paise(amount: Decimal) -> Decimal:
    """Round half up to the paisa: the rule for every rupee amount but customs duty."""
    return Decimal(amount).quantize(PAISE, rounding=ROUND_HALF_UP)


def to_rupee(amount: Decimal) -> Decimal:
    """Round to the nearest rupee, fifty paise and more going up: customs duty
    (Customs Act 1962, section 154A)."""
    return Decimal(amount).quantize(RUPEE, rounding=ROUND_HALF_UP)


_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _below_thousand(number: int) -> str:
    words = []
    hundreds, rest = divmod(number, 100)
    if hundreds:
        words.append(f"{_ONES[hundreds]} hundred")
    if rest:
        if rest < 20:
            words.append(_ONES[rest])
        else:
            tens, ones = divmod(rest, 10)
            words.append(_TENS[tens] + (f"-{_ONES[ones]}" if ones else ""))
    return " ".join(words)


def number_in_words(number: int) -> str:
    """Indian numbering: 320000 -> 'three lakh twenty thousand'."""
    if number == 0:
        return "zero"
    parts = []
    for size, name in ((10**7, "crore"), (10**5, "lakh"), (10**3, "thousand")):
        count, number = divmod(number, size)
        if count:
            parts.append(
                f"{number_in_words(count) if count >= 100 else _below_thousand(count)} {name}"
            )
    if number:
        parts.append(_below_thousand(number))
    return " ".join(parts)


def rupees_in_words(amount: Decimal) -> str:
    """'Rupees three lakh twenty thousand and fifty paise only', as invoices print it."""
    value = to_paise(Decimal(str(amount)))
    prefix = "Minus rupees" if value < 0 else "Rupees"
    rupees, paise = divmod(int(abs(value) * 100), 100)
    text = f"{prefix} {number_in_words(rupees)}"
    if paise:
        text += f" and {number_in_words(paise)} paise"
    return text + " only"


# Hindi has a word of its own for each number below a hundred (no tens-and-ones rule):
# ten to a line, as they are counted, easier to check than a hundred-line list.
_HINDI_BELOW_HUNDRED = (  # noqa: SIM905
    "शून्य एक दो तीन चार पाँच छह सात आठ नौ "
    "दस ग्यारह बारह तेरह चौदह पंद्रह सोलह सत्रह अठारह उन्नीस "
    "बीस इक्कीस बाईस तेईस चौबीस पच्चीस छब्बीस सत्ताईस अट्ठाईस उनतीस "
    "तीस इकतीस बत्तीस तैंतीस चौंतीस पैंतीस छत्तीस सैंतीस अड़तीस उनतालीस "
    "चालीस इकतालीस बयालीस तैंतालीस चवालीस पैंतालीस छियालीस सैंतालीस अड़तालीस उनचास "
    "पचास इक्यावन बावन तिरपन चौवन पचपन छप्पन सत्तावन अट्ठावन उनसठ "
    "साठ इकसठ बासठ तिरसठ चौंसठ पैंसठ छियासठ सड़सठ अड़सठ उनहत्तर "
    "सत्तर इकहत्तर बहत्तर तिहत्तर चौहत्तर पचहत्तर छिहत्तर सतहत्तर अठहत्तर उन्यासी "
    "अस्सी इक्यासी बयासी तिरासी चौरासी पचासी छियासी सत्तासी अट्ठासी नवासी "
    "नब्बे इक्यानबे बानबे तिरानबे चौरानबे पंचानबे छियानबे सत्तानबे अट्ठानबे निन्यानबे"
).split()


def number_in_hindi_words(number: int) -> str:
    """Indian numbering in Hindi: 320000 -> 'तीन लाख बीस हज़ार'."""
    if number < 100:
        return _HINDI_BELOW_HUNDRED[number]
    parts = []
    for size, name in ((10**7, "करोड़"), (10**5, "लाख"), (10**3, "हज़ार"), (100, "सौ")):
        count, number = divmod(number, size)
        if count:
            parts.append(f"{number_in_hindi_words(count)} {name}")
    if number:
        parts.append(_HINDI_BELOW_HUNDRED[number])
    return " ".join(parts)


def rupees_in_hindi_words(amount: Decimal) -> str:
    """'तीन लाख बीस हज़ार रुपये और पचास पैसे मात्र', as a Hindi invoice prints it."""
    value = to_paise(Decimal(str(amount)))
    rupees, paise = divmod(int(abs(value) * 100), 100)
    text = ("ऋण " if value < 0 else "") + number_in_hindi_words(rupees)
    text += " रुपया" if rupees == 1 else " रुपये"
    if paise:
        text += f" और {number_in_hindi_words(paise)} {'पैसा' if paise == 1 else 'पैसे'}"
    return text + " मात्र"


def amount_in_words(amount: Decimal, language: str) -> str:
    """The amount in words in a paper's language (Hindi or English)."""
    return rupees_in_hindi_words(amount) if language == "hi" else rupees_in_words(amount)
