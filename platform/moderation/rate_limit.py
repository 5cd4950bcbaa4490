"""The page form's limit on report submissions: the same "report" budget as POST /api/reports/."""

from __future__ import annotations

from django.http import HttpRequest

from config.rate_limits import rate_limit_check


def report_rate_check(request: HttpRequest) -> None:
    """Count this submission; refuse it when the client has sent too many this hour."""
    rate_limit_check(request, scope="report", message="Too many reports from your connection.")
