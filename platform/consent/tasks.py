"""Periodic consent upkeep (celery beat)."""

from celery import shared_task

from .services import consent_expire_due as expire_due_consents


@shared_task(name="consent.tasks.consent_expire_due")
def consent_expire_due() -> int:
    return expire_due_consents()
