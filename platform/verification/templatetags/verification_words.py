"""Figures of a verification put in words a reader weighs at a glance."""

from django import template

register = template.Library()


@register.filter
def one_in(chance: float | None) -> str:
    """2.98e-08 -> "1 in 33,554,432" (a small probability, as odds)."""
    if not chance or chance <= 0:
        return ""
    return f"1 in {round(1.0 / float(chance)):,}"
