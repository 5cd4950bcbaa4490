from django.contrib import admin

from config.admin_bases import PrivateFilesAdmin

from .models import Upload


@admin.register(Upload)
class UploadAdmin(PrivateFilesAdmin):
    private_files = ("file",)
    list_display = ("id", "kind", "subject", "owner", "size", "created_at")
    list_filter = ("kind",)
    readonly_fields = [f.name for f in Upload._meta.fields]

    def has_add_permission(self, request):
        return False
