"""Public pages: upload a copy to verify, and the permalink of each result."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import redirect, render
from django.urls import reverse

from config.pages import gone_page
from config.rate_limits import RateLimited, rate_limit_check, retry_after_set
from core.errors import DomainError

from .forms import VerifyForm
from .selectors import VerificationGone, verification_by_permalink
from .services import verification_run
from .standing import verification_standing


def verify_page(request):
    if request.method != "POST":
        return render(request, "verification/verify.html", {"form": VerifyForm()})
    # Counted before the upload is read, against the same budget as POST /api/verify/.
    try:
        rate_limit_check(request, scope="verify", message="Too many verifications.")
    except RateLimited as exc:
        form = VerifyForm()  # unbound: the upload is not even read
        form.errors[NON_FIELD_ERRORS] = form.error_class([exc.message], error_class="nonfield")
        response = render(request, "verification/verify.html", {"form": form}, status=exc.status)
        return retry_after_set(response, exc)
    form = VerifyForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            upload = form.cleaned_data["file"]
            result = verification_run(stream=upload, filename=upload.name)
            return redirect("verification-result", verification_id=result.id)
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status
    return render(request, "verification/verify.html", {"form": form}, status=status)


def verification_result(request, verification_id):
    try:
        result = verification_by_permalink(verification_id=verification_id)
    except VerificationGone as exc:
        heading = "This verification result is no longer kept."
        link = (reverse("verify"), "Verify a file")
        return gone_page(request, heading=heading, message=exc.message, link=link)
    context = {"result": result, "f": result.findings, "now": verification_standing(result)}
    return render(request, "verification/result.html", context)
