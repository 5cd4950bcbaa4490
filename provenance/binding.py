"""The soft-binding value of our watermark, as C2PA carries it: the 64-bit content id as
base64 of its 8 bytes (in manifests and in Soft Binding Resolution API queries)."""

from __future__ import annotations

import base64
import binascii
import re

__all__ = ["binding_value", "content_id_from_binding"]


def binding_value(content_id_hex: str) -> str:
    """'0123456789abcdef' -> 'ASNFZ4mrze8='"""
    return base64.b64encode(bytes.fromhex(content_id_hex)).decode()


def content_id_from_binding(value: str) -> str | None:
    """The content id (16 hex digits) a binding value names, or None if it names none.

    Accepts base64 (standard or URL-safe, padding optional) and, leniently, the hex id itself.
    """
    value = (value or "").strip()
    if re.fullmatch(r"[0-9a-fA-F]{16}", value):
        return value.lower()
    padded = value + "=" * (-len(value) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            raw = decode(padded.encode())
        except (binascii.Error, ValueError):
            continue
        if len(raw) == 8:
            return raw.hex()
    return None
