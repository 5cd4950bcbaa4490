"""Template filters that say a consent's coded terms in words: how it was given, and what it
allows (as stored on a consent, or as a clip's signed credentials state them)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from ..models import ConsentRecord

register = template.Library()

SCOPE_WORDS = {
    "animate": "animate the portrait",
    "publish": "publish the clip",
    "voice": "use their own voice",
}


@register.filter
def assurance_words(code: str) -> str:
    """``subject_link`` → "Subject confirmed through a link"; an unknown code as it is."""
    try:
        return ConsentRecord.Assurance(code).label
    except ValueError:
        return code


@register.filter
def scope_words(scopes: str | Iterable[str]) -> str:
    """``"animate,publish"`` (or a list of scopes) → "animate the portrait and publish the
    clip"."""
    if isinstance(scopes, str):
        scopes = scopes.split(",")
    words = [SCOPE_WORDS.get(s.strip(), s.strip()) for s in scopes if s.strip()]
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"
