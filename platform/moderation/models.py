"""Misuse reports from the public, and the notes moderators keep while they decide them."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models

from core.storage import private_storage

# No 0/O, 1/I/L or U: a reference is read aloud and typed back from paper.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """A short public reference such as ``R-7KQ2-M9XD`` (about 39 random bits)."""
    body = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"R-{body[:4]}-{body[4:]}"


class MisuseReport(models.Model):
    class Category(models.TextChoices):
        NO_CONSENT = "no_consent", "Made without consent"
        IMPERSONATION = "impersonation", "Impersonation"
        MISINFORMATION = "misinformation", "Misinformation"
        HARASSMENT = "harassment", "Harassment"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ASSIGNED = "assigned", "Assigned"
        DISMISSED = "dismissed", "Dismissed"
        TAKEN_DOWN = "taken_down", "Taken down"
        ESCALATED = "escalated", "Escalated to consent revocation"

    DECIDED = (Status.DISMISSED, Status.TAKEN_DOWN, Status.ESCALATED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # What the reporter is told; unique, so it alone finds the report.
    reference = models.CharField(max_length=16, unique=True, default=new_reference, editable=False)
    # The clip id as the reporter gave it; ``clip`` is set when we hold a clip with that id.
    content_id = models.CharField(max_length=16, blank=True, db_index=True)
    clip = models.ForeignKey(
        "jobs.Clip",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="misuse_reports",
    )
    # The verification result the report was made from (the verification app's id; no FK).
    verification_id = models.CharField(max_length=36, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    description = models.TextField(max_length=5000)
    contact_email = models.EmailField(blank=True)
    attachment = models.FileField(storage=private_storage, blank=True, max_length=255)
    attachment_content_type = models.CharField(max_length=50, blank=True)
    attachment_size = models.PositiveBigIntegerField(null=True, blank=True)
    attachment_sha256 = models.CharField(max_length=64, blank=True)

    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_reports",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decided_reports",
    )
    decision_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Report {self.reference} ({self.status})"

    @property
    def is_decided(self) -> bool:
        return self.status in self.DECIDED


class ModerationNote(models.Model):
    report = models.ForeignKey(MisuseReport, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="moderation_notes"
    )
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note on {self.report.reference} by {self.author}"
