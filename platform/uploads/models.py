"""Validated portraits and speech audio, stored privately under generated names."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.dateformat import format as date_format

from core.storage import private_storage


class Upload(models.Model):
    class Kind(models.TextChoices):
        PORTRAIT = "portrait", "Portrait"
        AUDIO = "audio", "Speech audio"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploads"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="uploads",
    )
    subject = models.ForeignKey("consent.Subject", on_delete=models.PROTECT, related_name="uploads")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # True when the audio is a real recording of the subject's own voice (needs voice scope).
    is_subject_voice = models.BooleanField(default=False)
    file = models.FileField(storage=private_storage, max_length=255)
    # The name the member gave the file, shown back to them only; never used on disk.
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=50)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    source_format = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.id}"

    @property
    def description(self) -> str:
        """In plain words, e.g. "Portrait uploaded 3 May 2026 (family-photo.jpg)"."""
        what = "Portrait" if self.kind == self.Kind.PORTRAIT else "Recording"
        when = date_format(timezone.localtime(self.created_at), "j F Y")
        return f"{what} uploaded {when}" + (
            f" ({self.original_name})" if self.original_name else ""
        )
