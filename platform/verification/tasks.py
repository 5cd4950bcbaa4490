"""Celery tasks of verification: the retention sweep (run by beat, see CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from .services import verifications_purge_expired


@shared_task(name="verification.purge_expired")
def purge_expired() -> int:
    return verifications_purge_expired()
