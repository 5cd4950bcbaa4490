"""Public pages: upload a copy to verify, and the permalink of each result."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render

from config.errors import DomainError
from config.rate_limits import rate_limit_check

from .forms import VerifyForm
from .models import Verification
from .services import verification_run


def verify_page(request):
    if request.method != "POST":
        return render(request, "verification/verify.html", {"form": VerifyForm()})
    form = VerifyForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            rate_limit_check(
                request, scope="verify", limit=settings.VERIFY_RATE_PER_MINUTE, period_seconds=60
            )
            upload = form.cleaned_data["file"]
            result = verification_run(stream=upload, filename=upload.name)
            return redirect("verification-result", verification_id=result.id)
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status
    return render(request, "verification/verify.html", {"form": form}, status=status)


def verification_result(request, verification_id):
    result = get_object_or_404(Verification.objects.select_related("clip"), pk=verification_id)
    return render(request, "verification/result.html", {"result": result, "f": result.findings})
