"""Scheduled, signed checkpoints of the audit chain's head."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from audit.models import AuditCheckpoint
from audit.services import audit_record
from core.actors import Actor

pytestmark = pytest.mark.django_db


def _record() -> None:
    with transaction.atomic():
        audit_record(actor=Actor.system(), action="test.event", object_type="t", object_id=1)


def test_beat_runs_the_checkpoint_task_which_signs_only_new_heads():
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]
    app.loader.import_default_modules()
    task = app.tasks[entry["task"]]
    assert task.delay().get() is None  # empty chain: nothing to sign
    _record()
    _record()
    assert task.delay().get() == 2
    assert task.delay().get() is None  # head unchanged: no duplicate
    checkpoint = AuditCheckpoint.objects.get()
    assert checkpoint.algorithm == "ES256" and "BEGIN CERTIFICATE" in checkpoint.certificate_chain


def test_audit_verify_is_read_only(capsys):
    _record()
    call_command("audit_verify")
    assert AuditCheckpoint.objects.count() == 0
    assert "0 signed checkpoints" in capsys.readouterr().out
