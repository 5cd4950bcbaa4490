"""What misuse reports set off by e-mail, once each change commits: the reporter (when they
gave an address) a receipt and later the outcome; every moderator an alert of a new report."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from config.signed_links import absolute_url
from notices.models import Notice
from notices.services import notice_on_commit

from .models import MisuseReport

Status = MisuseReport.Status

# The outcome in the reporter's words; the moderator's own reason stays private.
OUTCOMES = {
    Status.DISMISSED: "we looked into it and are taking no action",
    Status.TAKEN_DOWN: "we took the clip down",
    Status.ESCALATED: "we withdrew the consent the clip was made under",
}


def notify_report_received(report: MisuseReport) -> None:
    """The reporter's receipt, and an alert to every active moderator with an address."""
    notice_on_commit(
        kind=Notice.Kind.REPORT_RECEIPT,
        to=report.contact_email,
        subject=f"We received your report {report.reference}",
        context={"report": report},
        about=report,
    )
    url = absolute_url(reverse("moderation-report", args=[report.id]))
    moderators = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="")
    for moderator in moderators:
        notice_on_commit(
            kind=Notice.Kind.REPORT_ALERT,
            to=moderator.email,
            subject=f"New misuse report {report.reference}: {report.get_category_display()}",
            context={"report": report, "moderator": moderator, "url": url},
            about=report,
        )


def notify_report_decided(report: MisuseReport) -> None:
    outcome = OUTCOMES[report.status]
    notice_on_commit(
        kind=Notice.Kind.REPORT_OUTCOME,
        to=report.contact_email,
        subject=f"Your report {report.reference}: {outcome}",
        context={"report": report, "outcome": outcome},
        about=report,
    )
