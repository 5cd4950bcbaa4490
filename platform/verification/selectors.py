"""Reading verification results by permalink: a result the retention sweep deleted is "gone"
(410, with the retention period in words), one that never existed is "not found" (404)."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.http import Http404
from django.utils import timezone

from core.errors import DomainError

from .models import Verification, verification_id_time


class VerificationGone(DomainError):
    code = "gone"
    status = 410


def verification_by_permalink(*, verification_id: uuid.UUID) -> Verification:
    """The result, or VerificationGone when its id dates it past the retention period."""
    result = Verification.objects.select_related("clip").filter(pk=verification_id).first()
    if result is not None:
        return result
    made = verification_id_time(verification_id)
    days = settings.VERIFICATION_RETENTION_DAYS
    cutoff = timezone.now() - datetime.timedelta(days=days)
    if made is not None and made < cutoff.timestamp():
        raise VerificationGone(
            f"This verification result has been deleted: we keep results for {days} days, "
            "and this one is older. Verify the file again for a fresh result."
        )
    raise Http404("No verification result has this id.")
