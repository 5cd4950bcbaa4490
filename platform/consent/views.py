"""Pages for subjects and consent, and the public confirm/revoke pages behind signed links."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseGone
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from config.pages import confirmation_page, confirmed, run_form_service
from config.rate_limits import rate_limit_check, retry_after_set
from core.errors import DomainError, Gone
from jobs.selectors import consent_withdrawal_reach, jobs_visible_to
from uploads.downloads import upload_file_response
from uploads.forms import UploadForm
from uploads.selectors import uploads_visible_to

from . import links, selectors, services
from .forms import ConsentRequestForm, ReasonForm, SubjectForm, WithdrawForm
from .models import ConsentRecord


@login_required
def subject_create(request):
    if request.method != "POST":
        return render(request, "consent/subject_form.html", {"form": SubjectForm()})

    def create(data):
        subject = services.subject_create(owner=request.user, **data)
        messages.success(request, f"{subject.display_name} added.")
        return redirect("subject-detail", subject_id=subject.id)

    return run_form_service(
        request,
        form=SubjectForm(request.POST),
        template="consent/subject_form.html",
        context={},
        service=create,
    )


@login_required
def subject_detail(request, subject_id):
    subject = get_object_or_404(selectors.subjects_visible_to(request.user), pk=subject_id)
    return render(request, "consent/subject_detail.html", subject_page_context(request, subject))


def subject_page_context(request, subject) -> dict:
    return {
        "subject": subject,
        "consents": subject.consents.all(),
        "uploads": uploads_visible_to(request.user).filter(subject=subject),
        "upload_form": UploadForm(),
        "in_force": selectors.consent_in_force(subject=subject, scopes=["animate"]),
        "jobs": jobs_visible_to(request.user).filter(subject=subject).select_related("clip")[:20],
    }


@login_required
def consent_request(request, subject_id):
    subject = get_object_or_404(selectors.subjects_visible_to(request.user), pk=subject_id)
    if request.method != "POST":
        initial = {"grantor_kind": "subject", "assurance": "subject_link"}
        if subject.is_living:
            initial.update(grantor_name=subject.display_name, grantor_email=subject.email)
        else:
            initial.update(grantor_kind="next_of_kin", assurance="rights_holder_attestation")
        form = ConsentRequestForm(initial=initial, subject=subject)
        return render(request, "consent/consent_form.html", {"form": form, "subject": subject})

    def create(data):
        consent = services.consent_request(
            subject=subject,
            requested_by=request.user,
            **{k: v for k, v in data.items() if v is not None},
        )
        if consent.status == ConsentRecord.Status.PENDING:
            messages.success(request, f"Request sent to {consent.grantor_email}.")
        else:
            messages.success(request, "Consent recorded and in force.")
        return redirect("subject-detail", subject_id=subject.id)

    form = ConsentRequestForm(request.POST, request.FILES, subject=subject)
    return run_form_service(
        request,
        form=form,
        template="consent/consent_form.html",
        context={"subject": subject},
        service=create,
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_revoke(request, consent_id):
    """Asks first, saying what stops, then revokes (with an optional reason)."""
    consent = get_object_or_404(selectors.consents_visible_to(request.user), pk=consent_id)
    back = reverse("subject-detail", args=[consent.subject_id])
    if consent.status_now not in (ConsentRecord.Status.PENDING, ConsentRecord.Status.ACTIVE):
        messages.error(request, "This consent is no longer in force: there is nothing to revoke.")
        return redirect(back)
    if not confirmed(request):
        return confirmation_page(
            request,
            heading=f"Revoke consent for {consent.subject.display_name}?",
            consequences=revocation_consequences(consent),
            button="Revoke consent",
            back_url=back,
            form=ReasonForm(),
        )
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.consent_revoke_by_member(consent=consent, user=request.user, reason=reason)
        messages.success(request, "Consent revoked. It no longer allows anything.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(back)


def revocation_consequences(consent: ConsentRecord) -> list[str]:
    """What revoking ``consent`` does, in words, with what it reaches now."""
    reach = consent_withdrawal_reach(consent=consent)
    lines = [
        "It takes effect at once and cannot be undone: a new consent would have to be asked for."
    ]
    if reach.published:
        lines.append(
            "The published clip made under it leaves public view for good."
            if reach.published == 1
            else f"The {reach.published} published clips made under it leave public view for good."
        )
    if reach.private:
        lines.append(
            "The private clip made under it can no longer be played or downloaded."
            if reach.private == 1
            else f"The {reach.private} private clips made under it can no longer be played or "
            "downloaded."
        )
    if reach.jobs:
        lines.append(
            "The animation in progress stops."
            if reach.jobs == 1
            else f"The {reach.jobs} animations in progress stop."
        )
    lines.append("Nothing more can be made from the portrait under this consent.")
    return lines


def consent_confirm_link(request, token):
    """Public: GET shows what is asked; POST confirms (mail scanners that follow GETs
    must not confirm on the subject's behalf)."""
    return _link_page(
        request,
        template="consent/link_confirm.html",
        read=lambda: _consent_for_confirm(token),
        act=lambda reason: services.consent_confirm_by_token(token=token),
        extra={"file_token": token},
    )


def consent_confirm_file(request, token, upload_id):
    """Public: a portrait or recording the consent names, shown on its confirmation page, for
    as long as the link is unused and unexpired (410 after; 404 for a wrong link)."""
    try:
        upload = selectors.consent_confirm_file(token=token, upload_id=upload_id)
    except Gone:
        return HttpResponseGone()
    if upload is None:
        raise Http404
    return upload_file_response(upload, inline=True)


def consent_revoke_link(request, token):
    """Public: GET shows the consent and what withdrawing it does; the POST withdraws only with
    "I understand" ticked (a second look before something that cannot be undone)."""
    return _link_page(
        request,
        template="consent/link_revoke.html",
        read=lambda: _consent_for_revoke(token),
        act=lambda reason: services.consent_revoke_by_token(token=token, reason=reason),
        form_class=WithdrawForm,
        explain=revocation_consequences,
    )


def _consent_for_confirm(token):
    consent_id, _nonce = links.confirm_token_read(token)
    return ConsentRecord.objects.select_related("subject").filter(pk=consent_id).first()


def _consent_for_revoke(token):
    consent_id = links.revoke_token_read(token)
    return ConsentRecord.objects.select_related("subject").filter(pk=consent_id).first()


def _link_page(request, *, template, read, act, extra=None, form_class=ReasonForm, explain=None):
    context, status, refusal = {"form": form_class(), **(extra or {})}, 200, None
    try:
        if request.method == "POST":
            # The same budget as the API's consent-link endpoints.
            rate_limit_check(request, scope="consent_link", message="Too many attempts.")
        context["consent"] = read()
        if context["consent"] is None:
            raise links.LinkInvalid("This link points to no consent record.")
        if request.method == "POST":
            form = context["form"] = form_class(request.POST)
            if form.is_valid():
                context["consent"] = act(form.cleaned_data["reason"])
                context["done"] = True
            else:
                status = 400
    except DomainError as exc:
        context["error"], status, refusal = exc.message, exc.status, exc
    if explain is not None and context.get("consent") is not None and not context.get("done"):
        context["consequences"] = explain(context["consent"])
    response = render(request, template, context, status=status)
    return retry_after_set(response, refusal) if refusal else response
