"""Pages: upload a portrait or speech for a subject, download or delete it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from consent.selectors import subjects_visible_to
from consent.views import subject_page_context
from core.errors import DomainError

from . import selectors, services
from .downloads import upload_file_response
from .forms import UploadForm


@login_required
@require_POST
def upload_create(request, subject_id):
    subject = get_object_or_404(subjects_visible_to(request.user), pk=subject_id)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _refused(request, subject, form, "Choose a file and what it is.", 400)
    file = form.cleaned_data["file"]
    try:
        upload = services.upload_create(
            owner=request.user,
            subject=subject,
            kind=form.cleaned_data["kind"],
            stream=file,
            original_name=file.name,
            size=file.size,
            is_subject_voice=form.cleaned_data["is_subject_voice"],
        )
    except DomainError as exc:
        return _refused(request, subject, form, exc.message, exc.status)
    messages.success(request, f"{upload.get_kind_display()} accepted.")
    return redirect("subject-detail", subject_id=subject.id)


def _refused(request, subject, form, message, status):
    context = subject_page_context(request, subject)
    context.update(upload_form=form, upload_error=message)
    return render(request, "consent/subject_detail.html", context, status=status)


@login_required
def upload_file(request, upload_id):
    """A download; ?inline=1 for a picture or player on a page (the album's portraits)."""
    upload = get_object_or_404(selectors.uploads_visible_to(request.user), pk=upload_id)
    return upload_file_response(upload, inline=request.GET.get("inline") == "1")


@login_required
@require_POST
def upload_delete(request, upload_id):
    upload = get_object_or_404(selectors.uploads_visible_to(request.user), pk=upload_id)
    subject_id = upload.subject_id
    services.upload_delete(upload=upload, user=request.user)
    messages.success(request, "File deleted.")
    return redirect("subject-detail", subject_id=subject_id)
