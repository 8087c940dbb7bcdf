"""Filters of the generated papers' templates."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def full_stop(text: object) -> str:
    """End a sentence once: "Aurinia Pharmaceuticals Inc." takes no second full stop."""
    text = str(text or "").rstrip()
    return text if not text or text.endswith((".", "!", "?")) else f"{text}."
