"""Pages: a subject's audit trail, for the member who owns the subject."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from consent.selectors import subjects_visible_to

from .selectors import audit_events_for_subject


@login_required
def subject_audit(request, subject_id):
    subject = get_object_or_404(subjects_visible_to(request.user), pk=subject_id)
    events = audit_events_for_subject(subject_id=subject.id)
    return render(request, "audit/subject_audit.html", {"subject": subject, "events": events})
