"""Our watermark as a C2PA soft binding: its algorithm name and the value it carries.

Value encoding: the watermark's 64-bit content id as 8 bytes, big-endian, in standard base64
with padding (RFC 4648 section 4), a text string of 12 characters (``0123456789abcdef`` ->
``ASNFZ4mrze8=``), in manifests' ``c2pa.soft-binding`` blocks and in Soft Binding Resolution
API queries alike.

Algorithm name: ``<domain>.ssw.v3``, where ``<domain>`` is the operator's reversed Internet
domain (the setting ``PROVENANCE_SOFT_BINDING_ALG_DOMAIN``). The default domain is a
placeholder: the name it gives is NOT registered on the C2PA soft-binding algorithm list
(see docs/soft-binding.md for what a registration entry needs).
"""

from __future__ import annotations

import base64
import binascii
import re

__all__ = [
    "ALG_NAME",
    "DEFAULT_ALG",
    "DEFAULT_ALG_DOMAIN",
    "binding_value",
    "content_id_from_binding",
    "soft_binding_alg",
]

ALG_NAME = "ssw.v3"  # this watermark algorithm and the version of its payload format
DEFAULT_ALG_DOMAIN = "com.likeness"  # a placeholder, unregistered: operators set their own
# A reversed domain of two labels or more, in the characters the C2PA algorithm list's
# pattern for `alg` allows (letters, digits, dots).
_DOMAIN_PATTERN = re.compile(r"[a-zA-Z0-9]+(\.[a-zA-Z0-9]+)+")


def soft_binding_alg(domain: str = DEFAULT_ALG_DOMAIN) -> str:
    """The soft-binding algorithm name under ``domain`` (reversed, e.g. ``org.example``)."""
    if not _DOMAIN_PATTERN.fullmatch(domain):
        raise ValueError(
            f"soft-binding algorithm domain {domain!r} must be a reversed Internet domain of "
            "letters and digits separated by dots, e.g. 'org.example'"
        )
    return f"{domain}.{ALG_NAME}"


DEFAULT_ALG = soft_binding_alg()  # "com.likeness.ssw.v3"


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
