from django.contrib import admin

from config.admin_bases import ReadOnlyAdmin

from .models import AuditCheckpoint, AuditEvent


class _AppendOnlyAdmin(ReadOnlyAdmin):
    """Read-only: the table is append-only and written by services alone."""


@admin.register(AuditEvent)
class AuditEventAdmin(_AppendOnlyAdmin):
    list_display = ("seq", "created_at", "action", "actor_type", "actor_label", "object_type")
    list_filter = ("action", "actor_type", "object_type")
    search_fields = ("object_id", "subject_id", "actor_label")
    ordering = ("-seq",)


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(_AppendOnlyAdmin):
    """Checkpoints are made by the scheduled task."""

    list_display = ("seq", "created_at", "head_hash", "algorithm")
    ordering = ("-seq",)
