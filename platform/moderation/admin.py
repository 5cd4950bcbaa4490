"""Misuse reports in Django admin: read-only records; decisions go through the services.

Only a dismissal can be made here (for many reports at once). Taking a clip down and revoking
its consent cannot be undone and need a reason the member is told: they are made on the
moderation page, which asks for both; each report here links to it.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from config.admin_bases import ReadOnlyAdmin
from core.errors import DomainError

from . import services
from .models import MisuseReport, ModerationNote


class ModerationNoteInline(admin.TabularInline):
    """Notes as written; new ones are added on the moderation page, which audits them."""

    model = ModerationNote
    extra = 0
    fields = ("created_at", "author", "text")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _decision_action(name: str, label: str):
    def action(modeladmin, request, queryset):
        done = 0
        for report in queryset:
            try:
                services.report_decide(
                    report=report,
                    moderator=request.user,
                    decision=name,
                    reason=f"Decided in admin: {label.lower()}.",
                )
                done += 1
            except DomainError as exc:
                modeladmin.message_user(request, f"{report.reference}: {exc}", messages.ERROR)
        if done:
            modeladmin.message_user(request, f"{label}: {done} report(s).", messages.SUCCESS)

    action.__name__ = f"decide_{name}"
    return admin.action(description=f"{label} (selected reports)")(action)


@admin.register(MisuseReport)
class MisuseReportAdmin(ReadOnlyAdmin):
    private_files = ("attachment",)
    list_display = ("reference", "created_at", "category", "status", "content_id", "assignee")
    list_filter = ("status", "category", "created_at")
    search_fields = ("reference", "content_id", "verification_id")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    inlines = [ModerationNoteInline]
    readonly_fields = ["moderation_page", *(field.name for field in MisuseReport._meta.fields)]
    actions = ["assign_to_me", _decision_action("dismiss", "Dismiss")]

    @admin.display(description="Decide")
    def moderation_page(self, report: MisuseReport) -> str:
        url = reverse("moderation-report", args=[report.id])
        if report.is_decided:
            return format_html('<a href="{}">See it on the moderation page</a>', url)
        return format_html(
            '<a href="{}">Take down or revoke consent on the moderation page</a>', url
        )

    @admin.action(description="Assign to me (selected reports)")
    def assign_to_me(self, request, queryset):
        for report in queryset:
            try:
                services.report_assign(report=report, moderator=request.user, assignee=request.user)
            except DomainError as exc:
                self.message_user(request, f"{report.reference}: {exc}", messages.ERROR)
