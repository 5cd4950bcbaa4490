"""Jobs and clips in Django admin, read-only: every change is a service call with its audit
event (the member's pages, the worker, moderation). A withdrawn clip's video and poster are
served to no one, here included."""

from __future__ import annotations

from django.contrib import admin

from config.admin_bases import ReadOnlyAdmin

from .models import AnimationJob, Clip
from .withdrawal import clip_withdrawn_error


@admin.register(AnimationJob)
class AnimationJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "status", "subject", "owner", "mode", "progress")
    list_filter = ("status", "mode")
    search_fields = ("id", "content_id")
    list_select_related = ("subject", "owner")
    ordering = ("-created_at",)


@admin.register(Clip)
class ClipAdmin(ReadOnlyAdmin):
    list_display = ("content_id", "created_at", "status", "subject", "owner", "withdrawn_at")
    list_filter = ("status",)
    search_fields = ("content_id", "sha256", "manifest_label")
    list_select_related = ("subject", "owner")
    ordering = ("-created_at",)
    private_files = ("video", "poster", "manifest_store", "poster_manifest_store")

    def private_file_refusal(self, obj, field):
        if field in ("video", "poster") and obj.is_withdrawn:
            return f"Not served: {clip_withdrawn_error(obj).message}"
        return None
