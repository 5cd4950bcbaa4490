from django.contrib import admin

from .models import AuditCheckpoint, AuditEvent


class _AppendOnlyAdmin(admin.ModelAdmin):
    """Read-only: the table is append-only and written by services alone."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
