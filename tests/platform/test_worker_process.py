"""A real Celery worker process picks up a task from the broker and changes the database:
the embedded filesystem broker by default, Redis when CELERY_BROKER_URL says so (CI)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from config.celery import app
from consent.models import ConsentRecord
from tests.factories import ConsentFactory
from tests.real_worker import RealWorker, wait_for


@pytest.mark.slow
@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_a_task_from_the_broker(tmp_path):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    consent = ConsentFactory()
    ConsentRecord.objects.filter(pk=consent.pk).update(expires_at=timezone.now() - timedelta(1))
    with RealWorker(queue, tmp_path / "worker.log") as worker:
        app.send_task("consent.tasks.consent_expire_due", queue=queue)

        def expired():
            consent.refresh_from_db()
            return consent.status == ConsentRecord.Status.EXPIRED

        wait_for(expired, timeout=90, worker=worker, what="the consent to expire")
    assert AuditEvent.objects.filter(action="consent.expired").count() == 1
