from django.contrib import admin

from config.admin_bases import PrivateFilesAdmin

from .models import ConsentRecord, Subject


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ("display_name", "vital_status", "owner", "organisation", "created_at")
    list_filter = ("vital_status",)
    search_fields = ("display_name",)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(PrivateFilesAdmin):
    """Consent changes go through the services (and the audit trail), never the admin."""

    private_files = ("signed_form",)

    list_display = ("id", "subject", "status", "grantor_kind", "expires_at")
    list_filter = ("status", "grantor_kind", "assurance")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
