"""A per-client rate limit for plain Django views (DRF views use DRF's throttles).

A fixed-window count in Django's cache, keyed by the client identity DRF's throttles use (so
NUM_PROXIES applies alike), hashed so no address is kept in clear.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from .errors import DomainError


class RateLimited(DomainError):
    code = "throttled"
    status = 429


def rate_limit_check(
    request, *, scope: str, limit: int, period_seconds: int, message: str = ""
) -> None:
    """Count this request against ``limit`` per ``period_seconds``; refuse beyond it."""
    client = hashlib.sha256(BaseThrottle().get_ident(request).encode()).hexdigest()[:32]
    key = f"rate:{scope}:{client}:{int(time.time() // period_seconds)}"
    cache.add(key, 0, timeout=period_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ran out between add and incr
        cache.set(key, 1, timeout=period_seconds)
        count = 1
    if count > limit:
        raise RateLimited(
            message or "Too many requests from your connection; please try again later."
        )
