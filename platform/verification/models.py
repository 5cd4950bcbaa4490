"""A verification result: what a copy of a clip said about where it came from.

The uploaded file itself is never kept; the result keeps hashes and findings, and has a
permalink that can be shared or attached to a misuse report."""

from __future__ import annotations

import uuid

from django.db import models


class Verification(models.Model):
    class Verdict(models.TextChoices):
        MADE_HERE = "made_here_intact", "Made here, credentials intact"
        STRIPPED = "made_here_stripped", "Made here, credentials stripped"
        ALTERED = "altered", "Altered after it was made here"
        OTHER_SIGNER = "signed_by_other", "Signed by someone else"
        BROKEN = "invalid_credentials", "Broken credentials, not linked to us"
        NO_SIGN = "no_sign", "No sign that it was made here"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    verdict = models.CharField(max_length=24, choices=Verdict.choices)
    media_type = models.CharField(max_length=20)
    filename = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # The clip our records matched, if any (a watermark or fingerprint alone never counts).
    clip = models.ForeignKey(
        "jobs.Clip", null=True, blank=True, on_delete=models.SET_NULL, related_name="verifications"
    )
    findings = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Verification {self.id}: {self.verdict}"
