from django.contrib import admin

from config.admin_bases import ReadOnlyAdmin

from .models import Notice


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    """Read-only: written when a notice is sent."""

    list_display = ("sent_at", "kind", "recipient", "subject_line")
    list_filter = ("kind",)
    search_fields = ("recipient", "object_id")
