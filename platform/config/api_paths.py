"""Which paths are machine APIs: they answer errors in the API's JSON shape, never a page.

The REST API lives under /api/. The C2PA Soft Binding Resolution API keeps the paths its
OpenAPI document gives, at the site's root (``verification/urls.py``); those paths are also
open to scripts on other sites (``config.cors``).
"""

from __future__ import annotations

SOFT_BINDING_PREFIXES = ("/matches/", "/manifests/", "/services/")


def soft_binding_path(path: str) -> bool:
    """A path of the Soft Binding Resolution API (or under one of its prefixes)."""
    return path.startswith(SOFT_BINDING_PREFIXES)


def json_error_path(path: str) -> bool:
    """A path whose errors are JSON in the shape of ``config.api_errors``."""
    return path.startswith("/api/") or soft_binding_path(path)
