"""The record of every notice e-mailed to someone: what, to whom, about what, and when."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Notice(models.Model):
    class Kind(models.TextChoices):
        CONSENT_RECEIPT = "consent_receipt", "Receipt of consent given"
        CONSENT_REVOKED = "consent_revoked", "Consent withdrawn"
        CONSENT_EXPIRED = "consent_expired", "Consent ended"
        CLIP_TAKEN_DOWN = "clip_taken_down", "Clip taken down"
        REPORT_RECEIPT = "report_receipt", "Report received"
        REPORT_ALERT = "report_alert", "New report, for moderators"
        REPORT_OUTCOME = "report_outcome", "Report decided"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    recipient = models.EmailField()
    # What the notice is about, as "app.model" and primary key (no foreign key: any record).
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    subject_line = models.CharField(max_length=200)
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            # One notice of a kind about one record to one address: sent once, however many
            # times the service that sends it runs.
            models.UniqueConstraint(
                fields=["kind", "object_type", "object_id", "recipient"], name="notice_sent_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient}"
