"""Reads for accounts."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import ApiToken


def api_tokens_visible_to(user) -> QuerySet[ApiToken]:
    if not user.is_authenticated or not user.organisation_id:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(organisation_id=user.organisation_id).select_related("user")
