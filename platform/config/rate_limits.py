"""Per-client rate limits, one budget per client and action for the pages and the API alike.

The client is ``config.clients.client_identity`` (trusted proxies only, never a header the
client wrote), hashed with the secret key so no address is kept in clear. Rates come from
``settings.RATE_LIMITS`` ("20/min"); a page view calls ``rate_limit_check`` and an API view
lists ``ClientRateThrottle`` with a ``throttle_scope``: both count in the same place, so the
form and the API share a budget.

Counting is a fixed window aligned to the clock (a client may see up to twice the rate across
a window boundary, never more). The counts must be the same for every web worker, so they
live either in a database table, bumped with one atomic ``UPDATE ... SET count = count + 1``
(the embedded default, needs no server), or in Redis through Django's cache, whose ``incr`` is
Redis' atomic INCR (``RATE_LIMIT_STORE=cache``, the default when CACHE_URL/REDIS_URL is set).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import BaseThrottle

from core.errors import DomainError

from .clients import client_identity

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The clock the windows are cut from (tests pin it so a run never straddles a window's end).
_clock = time.time


class RateLimited(DomainError):
    """Too many requests; ``retry_after`` says in how many seconds the budget is back."""

    code = "throttled"
    status = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    count: int
    retry_after: int  # seconds until the current window ends


def scope_rate(scope: str) -> tuple[int, int]:
    """The (limit, period in seconds) configured for ``scope`` in settings.RATE_LIMITS."""
    try:
        rate = settings.RATE_LIMITS[scope]
    except KeyError:
        raise KeyError(f"No rate configured for scope {scope!r} in RATE_LIMITS") from None
    number, period = rate.split("/")
    return int(number), _PERIODS[period.strip()[0].lower()]


def retry_phrase(seconds: int) -> str:
    """'in 42 seconds', 'in 1 minute', 'in 37 minutes': when a refused client may try again."""
    seconds = max(1, int(seconds))
    if seconds < 90:
        return f"in {seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"in {minutes} minutes"


def rate_limit_hit(
    *, scope: str, client: str, limit: int, period_seconds: int, now: float | None = None
) -> RateDecision:
    """Count one request of ``client`` for ``scope``; say whether it is within ``limit``."""
    now = _clock() if now is None else now
    window = int(now // period_seconds)
    window_end = (window + 1) * period_seconds
    digest = hmac.new(settings.SECRET_KEY.encode(), client.encode(), hashlib.sha256).hexdigest()
    key = f"rate:{scope}:{digest[:32]}:{period_seconds}:{window}"
    if settings.RATE_LIMIT_STORE == "cache":
        count = _cache_count(key, timeout=window_end - int(now) + 1)
    else:
        count = _database_count(key, expires_at=window_end, now=now)
    retry_after = max(1, math.ceil(window_end - now))
    return RateDecision(allowed=count <= limit, count=count, retry_after=retry_after)


def scope_decision(request: HttpRequest, *, scope: str) -> RateDecision:
    """Count this request against the client's configured budget for ``scope``."""
    limit, period = scope_rate(scope)
    return rate_limit_hit(
        scope=scope, client=client_identity(request), limit=limit, period_seconds=period
    )


def rate_limit_check(request: HttpRequest, *, scope: str, message: str = "") -> None:
    """Count this request against the client's budget for ``scope``; raise RateLimited beyond
    it, saying when to try again."""
    decision = scope_decision(request, scope=scope)
    if not decision.allowed:
        base = message or "Too many requests from your connection."
        raise RateLimited(
            f"{base} Please try again {retry_phrase(decision.retry_after)}.",
            retry_after=decision.retry_after,
        )


def retry_after_set(response: HttpResponse, error: DomainError) -> HttpResponse:
    """Give a page's refusal the Retry-After header when the refusal was a rate limit."""
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        response["Retry-After"] = str(int(retry_after))
    return response


class ClientRateThrottle(BaseThrottle):
    """DRF throttle on the view's ``throttle_scope``, counted with the pages' counts."""

    def __init__(self) -> None:
        self._wait: int | None = None

    def get_ident(self, request) -> str:
        return client_identity(request)

    def allow_request(self, request, view) -> bool:
        scope = getattr(view, "throttle_scope", None)
        if not scope:
            return True
        decision = scope_decision(request, scope=scope)
        self._wait = None if decision.allowed else decision.retry_after
        return decision.allowed

    def wait(self) -> int | None:
        return self._wait


# ---------------------------------------------------------------- stores
def _database_count(key: str, *, expires_at: float, now: float) -> int:
    from .models import RateCounter  # late: this module is imported before apps are ready

    expires = datetime.fromtimestamp(expires_at, tz=UTC)
    with transaction.atomic():
        RateCounter.objects.bulk_create(
            [RateCounter(key=key, count=0, expires_at=expires)], ignore_conflicts=True
        )
        # The UPDATE locks the row until commit, so the count read back is this request's.
        RateCounter.objects.filter(key=key).update(count=F("count") + 1)
        count = RateCounter.objects.filter(key=key).values_list("count", flat=True).get()
    if count == 1:
        # A new window began for this client: sweep rows of windows that have ended.
        cutoff = datetime.fromtimestamp(now, tz=UTC) - timedelta(seconds=1)
        RateCounter.objects.filter(expires_at__lt=cutoff).delete()
    return count


def _cache_count(key: str, *, timeout: int) -> int:
    from django.core.cache import cache

    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.add(key, 0, timeout=timeout)
        return cache.incr(key)
