"""Bounds on what a verified file says about itself, before it is stored or shown.

Anyone can put a megabyte of text in a manifest's claims (generator names, titles, consent
fields, lists of codes). Each string is cut to ``MAX_TEXT`` characters with "…", each list or
mapping to ``MAX_ITEMS`` entries, nesting to ``MAX_DEPTH`` levels, and the whole findings to
``MAX_FINDINGS_BYTES`` of JSON; whatever was cut is flagged so the page can say so. Pure.
"""

from __future__ import annotations

import json
from typing import Any

MAX_TEXT = 200  # characters in one string
MAX_ITEMS = 20  # entries in one list or mapping
MAX_DEPTH = 3  # nesting levels kept; deeper values become a short text
MAX_FINDINGS_BYTES = 64 * 1024  # the whole findings, as JSON
ELLIPSIS = "…"
CUT_NOTE = (
    "Some of the text this file's credentials carry was too long and has been cut "
    "(marked …): a manifest can say anything, at any length."
)


class _Cut:
    """Whether anything was cut while bounding one value."""

    def __init__(self) -> None:
        self.happened = False


def bounded_text(value: Any, *, limit: int = MAX_TEXT, cut: _Cut | None = None) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return text
    if cut is not None:
        cut.happened = True
    return text[: limit - 1] + ELLIPSIS


def _bounded(value: Any, depth: int, cut: _Cut) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return bounded_text(value, cut=cut)
    if depth >= MAX_DEPTH:
        cut.happened = True
        return ELLIPSIS
    if isinstance(value, dict):
        items = list(value.items())
        if len(items) > MAX_ITEMS:
            cut.happened = True
        return {
            bounded_text(k, limit=64, cut=cut): _bounded(v, depth + 1, cut)
            for k, v in items[:MAX_ITEMS]
        }
    if isinstance(value, list | tuple):
        if len(value) > MAX_ITEMS:
            cut.happened = True
        return [_bounded(v, depth + 1, cut) for v in list(value)[:MAX_ITEMS]]
    return bounded_text(value, cut=cut)


def claims_bounded(value: Any) -> tuple[Any, bool]:
    """(value with every string, list and mapping bounded, whether anything was cut)."""
    cut = _Cut()
    return _bounded(value, 0, cut), cut.happened


def findings_bounded(findings: dict[str, Any], *, claims_key: str = "credentials") -> dict:
    """The findings with the claims under ``claims_key`` bounded, and the whole under
    ``MAX_FINDINGS_BYTES``: if still too large, the claims are dropped, keeping their status."""
    claims, was_cut = claims_bounded(findings.get(claims_key))
    out = {**findings, claims_key: claims}
    if len(json.dumps(out, default=str).encode()) > MAX_FINDINGS_BYTES and isinstance(claims, dict):
        keep = ("status", "present", "trusted", "signed_by_us", "failure_codes")
        out[claims_key] = {k: claims[k] for k in keep if k in claims}
        was_cut = True
    if was_cut:
        out["cut"] = CUT_NOTE
    return out
