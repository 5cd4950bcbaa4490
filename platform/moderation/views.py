"""Pages: the public report form, and the moderators' queue, report page and audit trails.

Moderation pages answer 404 to anyone who is not staff (the login page to the anonymous), so
they do not even confirm that a report or a clip exists.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable, Iterator
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify, audit_events_for_subject
from config.pages import run_form_service
from config.rate_limits import retry_after_set
from consent.models import Subject
from core.canonical_json import canonical_json
from core.errors import DomainError

from . import selectors, services
from .forms import AssignForm, DecisionForm, NoteForm, QueueFilterForm, ReportForm
from .rate_limit import report_rate_check

_SESSION_REFERENCE = "moderation_report_reference"


# ---------------------------------------------------------------- public
def report_create(request):
    template = "moderation/report_form.html"
    if request.method != "POST":
        form = ReportForm(initial=_prefill(request.GET))
        return render(request, template, {"form": form})
    form = ReportForm(request.POST, request.FILES)
    try:
        report_rate_check(request)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return retry_after_set(render(request, template, {"form": form}, status=exc.status), exc)

    def receive(data):
        reference = services.report_receive(**form.service_fields())
        request.session[_SESSION_REFERENCE] = reference
        return redirect("report-thanks")

    return run_form_service(request, form=form, template=template, context={}, service=receive)


def report_thanks(request):
    reference = request.session.pop(_SESSION_REFERENCE, None)
    if reference is None:
        return redirect("report-create")
    return render(request, "moderation/report_thanks.html", {"reference": reference})


def _prefill(query) -> dict:
    initial = {"content_id": query.get("content_id", "")[:64]}
    try:
        initial["verification"] = uuid.UUID(query.get("verification", ""))
    except ValueError:
        pass
    return initial


# ---------------------------------------------------------------- moderators
def moderator_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise Http404()
        return view(request, *args, **kwargs)

    return wrapped


@moderator_required
def queue(request):
    filters = QueueFilterForm(request.GET or None)
    reports = selectors.reports_for_queue(**filters.filters())[:200]
    return render(request, "moderation/queue.html", {"filters": filters, "reports": reports})


@moderator_required
def report_detail(request, report_id):
    report = _report_or_404(report_id)
    return render(request, "moderation/report_detail.html", _report_context(request, report))


def _report_context(request, report, *, decided_with=None) -> dict:
    """The report page; ``decided_with``: a decision form sent back with its errors."""
    forms = DecisionForm.for_report(report)
    if decided_with is not None:
        forms = [decided_with if f.decision == decided_with.decision else f for f in forms]
    return {
        "report": report,
        "notes": report.notes.select_related("author"),
        "assign_form": AssignForm(
            moderators=selectors.moderators(), initial={"assignee": request.user.pk}
        ),
        "note_form": NoteForm(),
        "decision_forms": forms,
    }


@moderator_required
@require_POST
def report_assign(request, report_id):
    report = _report_or_404(report_id)
    form = AssignForm(request.POST, moderators=selectors.moderators())
    if not form.is_valid():
        messages.error(request, "Choose a moderator to assign the report to.")
    else:
        assignee = form.cleaned_data["assignee"]
        _run(
            request,
            lambda: services.report_assign(
                report=report, moderator=request.user, assignee=assignee
            ),
            f"Assigned to {assignee.get_username()}.",
        )
    return redirect("moderation-report", report_id=report.id)


@moderator_required
@require_POST
def report_note(request, report_id):
    report = _report_or_404(report_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A note needs some text (at most 5000 characters).")
    else:
        text = form.cleaned_data["text"]
        _run(
            request,
            lambda: services.report_note_add(report=report, author=request.user, text=text),
            "Note added.",
        )
    return redirect("moderation-report", report_id=report.id)


@moderator_required
@require_POST
def report_decide(request, report_id):
    """One decision; a refusal (no reason, "I understand" not ticked) shows the report page
    again with the problem at the top of that decision's form."""
    report = _report_or_404(report_id)
    decision = request.POST.get("decision", "")
    try:
        services.report_decision_check(report=report, decision=decision)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("moderation-report", report_id=report.id)
    form = DecisionForm(request.POST, decision=decision)
    status = 400
    if form.is_valid():
        try:
            services.report_decide(
                report=report,
                moderator=request.user,
                decision=decision,
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, "Decision recorded.")
            return redirect("moderation-report", report_id=report.id)
        except DomainError as exc:
            field = "reason" if isinstance(exc, services.ReasonRequired) else None
            form.add_error(field, exc.message)
            status = exc.status
    context = _report_context(request, report, decided_with=form)
    return render(request, "moderation/report_detail.html", context, status=status)


@moderator_required
def report_attachment(request, report_id):
    report = _report_or_404(report_id)
    if not report.attachment:
        raise Http404()
    extension = report.attachment.name.rsplit(".", 1)[-1]
    response = FileResponse(
        report.attachment.open("rb"),
        content_type=report.attachment_content_type,
        as_attachment=True,
        filename=f"report-{report.reference}.{extension}",
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _report_or_404(report_id):
    report = selectors.report_for_moderator(report_id=report_id)
    if report is None:
        raise Http404()
    return report


def _run(request, action, success: str) -> None:
    try:
        action()
        messages.success(request, success)
    except DomainError as exc:
        messages.error(request, exc.message)


# ---------------------------------------------------------------- audit trails
@moderator_required
def clip_audit(request, content_id):
    clip = _clip_or_404(content_id)
    return _audit_page(
        request,
        title=f"clip {clip.content_id}",
        events=selectors.audit_events_for_clip(clip=clip),
        csv_url_name="moderation-clip-audit-csv",
        csv_arg=clip.content_id,
        extra={"clip": clip},
    )


@moderator_required
def clip_audit_csv(request, content_id):
    clip = _clip_or_404(content_id)
    return _audit_csv(selectors.audit_events_for_clip(clip=clip), f"audit-clip-{clip.content_id}")


@moderator_required
def subject_audit(request, subject_id):
    subject = get_object_or_404(Subject, pk=subject_id)
    return _audit_page(
        request,
        title=f"subject {subject.display_name}",
        events=audit_events_for_subject(subject_id=subject.id),
        csv_url_name="moderation-subject-audit-csv",
        csv_arg=subject.id,
        extra={"subject": subject},
    )


@moderator_required
def subject_audit_csv(request, subject_id):
    subject = get_object_or_404(Subject, pk=subject_id)
    return _audit_csv(
        audit_events_for_subject(subject_id=subject.id), f"audit-subject-{subject.id}"
    )


def _clip_or_404(content_id):
    clip = selectors.clip_for_moderator(content_id=content_id)
    if clip is None:
        raise Http404()
    return clip


def _audit_page(request, *, title, events, csv_url_name, csv_arg, extra):
    context = {
        "title": title,
        "events": events,
        "chain": audit_chain_verify(),
        "csv_url_name": csv_url_name,
        "csv_arg": csv_arg,
        **extra,
    }
    return render(request, "moderation/audit_trail.html", context)


CSV_COLUMNS = [
    "seq",
    "created_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "subject_id",
    "details",
    "prev_hash",
    "hash",
]


class _Echo:
    """A file-like object whose write hands the row back, for a streamed csv.writer."""

    def write(self, value: str) -> str:
        return value


def _audit_csv(events: Iterable[AuditEvent], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_rows(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


# A cell a spreadsheet would run as a formula starts with one of these (OWASP CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def csv_cell(value) -> str:
    """A value made safe to open in a spreadsheet, reversibly: one apostrophe goes before any
    cell that starts like a formula (or with an apostrophe), so removing one leading apostrophe
    from every cell that has one gives back exactly what was hashed."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_rows(events) -> Iterator[str]:
    # Values exactly as hashed (ISO time with microseconds, canonical JSON details), behind
    # csv_cell's reversible guard, so anyone holding the file can recompute every hash in it.
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in events.iterator(chunk_size=1000):
        yield writer.writerow(
            map(
                csv_cell,
                [
                    event.seq,
                    event.created_at.isoformat(timespec="microseconds"),
                    event.actor_type,
                    event.actor_id,
                    event.actor_label,
                    event.action,
                    event.object_type,
                    event.object_id,
                    event.subject_id,
                    canonical_json(event.details),
                    event.prev_hash,
                    event.hash,
                ],
            )
        )
