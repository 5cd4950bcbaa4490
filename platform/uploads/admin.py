from django.contrib import admin

from .models import Upload


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "subject", "owner", "size", "created_at")
    list_filter = ("kind",)
    readonly_fields = [f.name for f in Upload._meta.fields]

    def has_add_permission(self, request):
        return False
