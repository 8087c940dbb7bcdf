"""Filters of the generated papers' templates."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def full_stop(text: object) -> str:
    """End a sentence once: "Aurinia Pharmaceuticals Inc." takes no second full stop."""
    text = str(text or "").rstrip()
    return text if not text or text.endswith((".", "!", "?")) else f"{text}."


@register.filter
def as_written(value: object) -> object:
    """A paper's date as its data holds it ("17 May 1990", English: the data is what
    signatures seal and what the pack shows in English) as the active language writes
    it: "17 मई 1990". Anything else is left as it is."""
    try:
        day = dt.datetime.strptime(str(value), "%d %B %Y").date()
    except ValueError:
        return value
    return formats.date_format(day, "j F Y")
