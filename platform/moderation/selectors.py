"""Reads for moderators: the report queue, one report, the moderators, and audit trails."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import AuditEvent
from jobs.models import Clip

from .models import MisuseReport

# The queue's default view: everything still waiting for a decision.
PENDING = "pending"
QUEUE_ORDERS = {"newest": "-created_at", "oldest": "created_at"}


def reports_for_queue(
    *,
    status: str = PENDING,
    category: str = "",
    older_than_days: int | None = None,
    order: str = "newest",
) -> QuerySet[MisuseReport]:
    reports = MisuseReport.objects.select_related("clip", "assignee")
    if status == PENDING:
        reports = reports.filter(
            status__in=[MisuseReport.Status.OPEN, MisuseReport.Status.ASSIGNED]
        )
    elif status in MisuseReport.Status.values:
        reports = reports.filter(status=status)
    if category in MisuseReport.Category.values:
        reports = reports.filter(category=category)
    if older_than_days:
        reports = reports.filter(created_at__lte=timezone.now() - timedelta(days=older_than_days))
    return reports.order_by(QUEUE_ORDERS.get(order, "-created_at"), "reference")


def report_for_moderator(*, report_id) -> MisuseReport | None:
    return (
        MisuseReport.objects.select_related("clip", "clip__subject", "assignee", "decided_by")
        .filter(pk=report_id)
        .first()
    )


def moderators() -> QuerySet:
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")


def clip_for_moderator(*, content_id: str) -> Clip | None:
    """Any clip, whatever its status: moderators see withdrawn clips too."""
    return Clip.objects.select_related("subject").filter(content_id=content_id).first()


def audit_events_for_clip(*, clip: Clip) -> QuerySet[AuditEvent]:
    """The clip's trail: its job, the clip itself, and the reports made about it."""
    report_ids = [str(pk) for pk in clip.misuse_reports.values_list("pk", flat=True)]
    return AuditEvent.objects.filter(
        Q(object_type="job", object_id=str(clip.job_id))
        | Q(object_type="clip", object_id=str(clip.id))
        | Q(object_type="report", object_id__in=report_ids)
    ).order_by("seq")
