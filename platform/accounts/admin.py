from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import ApiToken, Organisation, User


@admin.register(User)
class MemberAdmin(UserAdmin):
    list_display = ("username", "email", "organisation", "is_staff", "is_active")
    list_filter = ("is_staff", "is_active", "organisation")
    fieldsets = UserAdmin.fieldsets + (("Organisation", {"fields": ("organisation",)}),)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "organisation", "user", "created_at", "revoked_at")
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")
