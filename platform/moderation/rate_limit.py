"""The page form's limit on report submissions, like the API's "report" throttle."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from config.rate_limits import rate_limit_check


def report_rate_per_hour() -> int:
    return int(getattr(settings, "REPORT_RATE_PER_HOUR", 10))


def report_rate_check(request: HttpRequest) -> None:
    """Count this submission; refuse it when the client has sent too many this hour."""
    rate_limit_check(
        request,
        scope="report",
        limit=report_rate_per_hour(),
        period_seconds=3600,
        message="Too many reports from your connection in the last hour; please try again later.",
    )
