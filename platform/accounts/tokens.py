"""API token format: ``lk_<prefix>_<secret>``; the database keeps only a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "lk_"


def token_generate() -> tuple[str, str, str]:
    """Returns (raw token shown once, lookup prefix, digest to store)."""
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return raw, prefix, token_digest(raw)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
