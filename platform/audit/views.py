"""Pages: a subject's audit trail, for the member who owns the subject; and the public list of
signed checkpoints of the whole chain."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from consent.selectors import subjects_visible_to

from .checkpoints import checkpoints_document
from .selectors import audit_checkpoints_published, audit_events_for_subject

CHECKPOINTS_PAGE_SIZE = 1000


@login_required
def subject_audit(request, subject_id):
    subject = get_object_or_404(subjects_visible_to(request.user), pk=subject_id)
    events = audit_events_for_subject(subject_id=subject.id)
    return render(request, "audit/subject_audit.html", {"subject": subject, "events": events})


@require_GET
def checkpoints_json(request):
    """Public, no login: seq, hash, time, signature and certificates only (nothing personal).
    Paged by ``?after=<seq>``; ``next`` names the following page."""
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        return JsonResponse({"detail": "'after' must be a whole number (a seq)."}, status=400)
    page = audit_checkpoints_published(after_seq=after, limit=CHECKPOINTS_PAGE_SIZE + 1)
    more = len(page) > CHECKPOINTS_PAGE_SIZE
    page = page[:CHECKPOINTS_PAGE_SIZE]
    document = checkpoints_document(page)
    document["next"] = (
        request.build_absolute_uri(f"{reverse('audit-checkpoints')}?after={page[-1].seq}")
        if more
        else None
    )
    response = JsonResponse(document, json_dumps_params={"indent": 1})
    response["Cache-Control"] = "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"  # auditors' own tools may fetch it
    return response
