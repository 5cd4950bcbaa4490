"""Bases for Django admin: records that are only read, and private files as links to a view
that checks the admin's permission.

Private storage has no URLs (see core.storage), so the admin's usual display of a file field
(a link to ``file.url``) fails. A ModelAdmin with ``PrivateFilesAdmin`` names its file fields in
``private_files``: they leave the form, and each shows instead as a link to
``<object>/file/<field>/``, which serves the file to staff allowed to view the object.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.contrib import admin
from django.contrib.admin.utils import quote, unquote
from django.http import FileResponse, Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from .pages import gone_page


class PrivateFilesAdmin(admin.ModelAdmin):
    private_files: tuple[str, ...] = ()

    def private_file_refusal(self, obj, field: str) -> str | None:
        """Why this file is not served (shown instead of its link), or None to serve it."""
        return None

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        # Made once: the admin matches readonly fields by identity.
        self._file_links = tuple(self._link_display(field) for field in self.private_files)

    # ---------------------------------------------------------------- the form
    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or ()), *self.private_files]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        kept = [name for name in fields if name not in self.private_files]
        return [*kept, *self._file_links]

    def _link_display(self, field: str):
        def link(obj):
            return self._file_link(obj, field)

        link.__name__ = f"{field}_link"
        link.short_description = self.opts.get_field(field).verbose_name  # type: ignore[attr-defined]
        return link

    def _file_link(self, obj, field: str) -> str:
        file = getattr(obj, field)
        if not file:
            return "—"
        refusal = self.private_file_refusal(obj, field)
        if refusal is not None:
            return refusal
        info = self.opts.app_label, self.opts.model_name
        url = reverse("admin:{}_{}_file".format(*info), args=[quote(obj.pk), field])
        return format_html('<a href="{}">Download {}</a>', url, PurePosixPath(file.name).name)

    # ---------------------------------------------------------------- the view
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view(self.private_file_view)
        route = path("<path:object_id>/file/<str:field>/", view, name="{}_{}_file".format(*info))
        return [route, *super().get_urls()]

    def private_file_view(self, request, object_id, field) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if field not in self.private_files or obj is None or not getattr(obj, field):
            raise Http404()
        if not self.has_view_permission(request, obj):
            raise Http404()
        refusal = self.private_file_refusal(obj, field)
        if refusal is not None:
            return gone_page(request, heading="This file is not served", message=refusal)
        file = getattr(obj, field)
        response = FileResponse(
            file.open("rb"), as_attachment=True, filename=PurePosixPath(file.name).name
        )
        response["Cache-Control"] = "private, no-store"
        return response


class ReadOnlyAdmin(PrivateFilesAdmin):
    """Records written by the services alone (each change with its audit event): shown, never
    added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
