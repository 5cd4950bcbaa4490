"""Sending a notice: one plain-text e-mail, recorded, sent once, only after the change commits.

Services call ``notice_on_commit`` inside the transaction of the change the notice is about:
nothing is sent if it rolls back, and a failing mail server is logged without undoing it.
"""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string

from .models import Notice


def notice_send(
    *, kind: str, to: str, subject: str, context: dict, about: models.Model
) -> Notice | None:
    """E-mail ``templates/notices/<kind>.txt`` rendered with ``context`` to ``to`` and record
    it; None, sending nothing, when this kind of notice about ``about`` already went to that
    address (or there is no address). Recorded and sent in one transaction: a failed send
    records nothing, so it can be sent again."""
    to = (to or "").strip()
    if not to:
        return None
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                kind=kind,
                recipient=to,
                object_type=about._meta.label_lower,
                object_id=str(about.pk),
                subject_line=subject,
            )
            send_mail(
                subject=subject,
                message=render_to_string(f"notices/{kind}.txt", context),
                from_email=None,
                recipient_list=[to],
            )
    except IntegrityError:
        return None  # sent before
    return notice


def notice_on_commit(**notice) -> None:
    """``notice_send(**notice)`` once the current transaction commits (never if it rolls back)."""
    transaction.on_commit(lambda: notice_send(**notice), robust=True)
