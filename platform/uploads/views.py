"""Pages: upload a portrait or speech for a subject, download or delete it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from config.pages import confirmation_page, confirmed
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
        return _refused(request, subject, form, 400)
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
        form.add_error(None, exc.message)
        return _refused(request, subject, form, exc.status)
    messages.success(request, f"{upload.get_kind_display()} accepted.")
    return redirect("subject-detail", subject_id=subject.id)


def _refused(request, subject, form, status):
    """The subject's page again, the refusal at the top of the upload form (focus moves there)."""
    context = subject_page_context(request, subject)
    context["upload_form"] = form
    return render(request, "consent/subject_detail.html", context, status=status)


@login_required
def upload_file(request, upload_id):
    """A download; ?inline=1 for a picture or player on a page (the album's portraits)."""
    upload = get_object_or_404(selectors.uploads_visible_to(request.user), pk=upload_id)
    return upload_file_response(upload, inline=request.GET.get("inline") == "1")


@login_required
@require_http_methods(["GET", "POST"])
def upload_delete(request, upload_id):
    """Asks first, then deletes the file for good."""
    upload = get_object_or_404(selectors.uploads_visible_to(request.user), pk=upload_id)
    back = reverse("subject-detail", args=[upload.subject_id])
    if not confirmed(request):
        is_portrait = upload.kind == upload.Kind.PORTRAIT
        return confirmation_page(
            request,
            heading=f"Delete this {'portrait' if is_portrait else 'recording'}?",
            consequences=[
                f"{upload.description} is deleted for good; it cannot be restored.",
                "A consent that names it no longer covers anything made from it.",
            ],
            button="Delete",
            back_url=back,
            picture=(
                (reverse("upload-file", args=[upload.id]) + "?inline=1", upload.description)
                if is_portrait
                else None
            ),
        )
    try:
        services.upload_delete(upload=upload, user=request.user)
        messages.success(request, "File deleted.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(back)
