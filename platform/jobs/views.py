"""Pages: start a job, watch it (htmx polling), see the clip, publish it; the public clip page."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from config.pages import confirmation_page, confirmed, gone_page, run_form_service
from consent.selectors import subjects_visible_to
from core.errors import DomainError
from uploads.selectors import uploads_visible_to

from . import clip_services, selectors, services
from .downloads import clip_file_response
from .forms import JobForm
from .withdrawal import ClipWithdrawn, clip_withdrawal_for_owner


@login_required
def job_create(request, subject_id):
    subject = get_object_or_404(subjects_visible_to(request.user), pk=subject_id)
    uploads = list(uploads_visible_to(request.user).filter(subject=subject))
    form = JobForm(request.POST or None, uploads=uploads)
    context = {"subject": subject}
    if request.method != "POST":
        return render(request, "jobs/job_form.html", {**context, "form": form})

    def create(data):
        by_id = {str(u.id): u for u in uploads}
        job = services.job_create(
            owner=request.user,
            subject=subject,
            portrait=by_id[data["portrait"]],
            audio=by_id.get(data["audio"] or ""),
            idle_seconds=data["idle_seconds"],
            size=data["size"],
        )
        return redirect("job-detail", job_id=job.id)

    return run_form_service(
        request, form=form, template="jobs/job_form.html", context=context, service=create
    )


@login_required
def job_detail(request, job_id):
    job = get_object_or_404(selectors.jobs_visible_to(request.user), pk=job_id)
    return render(request, "jobs/job_detail.html", {"job": job})


@login_required
def job_progress(request, job_id):
    """The progress fragment the job page, or the album's card (?card=1), polls (htmx); it
    stops polling when the job ends."""
    job = get_object_or_404(selectors.jobs_visible_to(request.user), pk=job_id)
    context = {"job": job, "card": request.GET.get("card") == "1"}
    return render(request, "jobs/job_progress.html", context)


@login_required
@require_POST
def job_cancel(request, job_id):
    job = get_object_or_404(selectors.jobs_visible_to(request.user), pk=job_id)
    _run(request, lambda: services.job_cancel_by_member(job=job, user=request.user), "Cancelled.")
    return redirect("job-detail", job_id=job.id)


@login_required
def clip_detail(request, clip_id):
    clip = get_object_or_404(selectors.clips_visible_to(request.user), pk=clip_id)
    context = {"clip": clip, "credentials": selectors.clip_credentials(clip)}
    if clip.is_withdrawn:  # no player, no download: why, and what becomes of its files
        context["withdrawal"] = clip_withdrawal_for_owner(clip)
    return render(request, "jobs/clip_detail.html", context)


@login_required
def clip_file(request, clip_id, part):
    clip = get_object_or_404(selectors.clips_visible_to(request.user), pk=clip_id)
    return _clip_file(request, clip, part)


@login_required
@require_http_methods(["GET", "POST"])
def clip_publish(request, clip_id):
    """Asks first (publishing puts the clip where anyone can copy it), then publishes."""
    clip = get_object_or_404(selectors.clips_visible_to(request.user), pk=clip_id)
    if not confirmed(request):
        name = clip.subject.display_name
        return confirmation_page(
            request,
            heading=f"Publish the clip of {name}?",
            consequences=[
                "Anyone with its link can watch and download it, labelled as made with AI.",
                "You can unpublish it later, and consent can be withdrawn, but copies that "
                "people have already downloaded cannot be called back. Anyone who checks such "
                "a copy here is told that it was withdrawn.",
            ],
            button="Publish",
            back_url=reverse("clip-detail", args=[clip.id]),
            picture=(reverse("clip-poster", args=[clip.id]), f"The clip of {name}"),
            danger=False,
        )
    _run(request, lambda: clip_services.clip_publish(clip=clip, user=request.user), "Published.")
    return redirect("clip-detail", clip_id=clip.id)


@login_required
@require_POST
def clip_unpublish(request, clip_id):
    clip = get_object_or_404(selectors.clips_visible_to(request.user), pk=clip_id)
    unpublish = partial(clip_services.clip_unpublish, clip=clip, user=request.user)
    _run(request, unpublish, "Unpublished.")
    return redirect("clip-detail", clip_id=clip.id)


def public_clip(request, content_id):
    """The published clip; 410 saying why for a withdrawn one; 404 for any other id."""
    try:
        clip = selectors.clip_public(content_id=content_id)
    except ClipWithdrawn as exc:
        return _gone(request, exc)
    context = {"clip": clip, "credentials": selectors.clip_credentials(clip)}
    return render(request, "jobs/public_clip.html", context)


def public_clip_file(request, content_id, part):
    try:
        clip = selectors.clip_public(content_id=content_id)
    except ClipWithdrawn as exc:
        return _gone(request, exc)
    return _clip_file(request, clip, part)


def _clip_file(request, clip, part):
    try:
        return clip_file_response(clip, part, as_attachment=request.GET.get("download") == "1")
    except ClipWithdrawn as exc:
        return _gone(request, exc)


def _gone(request, exc: ClipWithdrawn):
    link = (reverse("verify"), "Check a copy you have")
    return gone_page(request, heading=exc.heading, message=exc.message, link=link)


def _run(request, action, success: str) -> None:
    try:
        action()
        messages.success(request, success)
    except DomainError as exc:
        messages.error(request, exc.message)
