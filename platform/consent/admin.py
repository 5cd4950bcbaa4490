from django.contrib import admin

from .models import ConsentRecord, Subject


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ("display_name", "vital_status", "owner", "organisation", "created_at")
    list_filter = ("vital_status",)
    search_fields = ("display_name",)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    """Consent changes go through the services (and the audit trail), never the admin."""

    list_display = ("id", "subject", "status", "grantor_kind", "expires_at")
    list_filter = ("status", "grantor_kind", "assurance")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
