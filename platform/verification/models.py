"""A verification result: what a copy of a clip said about where it came from.

The uploaded file itself is never kept; the result keeps hashes and findings, and has a
permalink that can be shared or attached to a misuse report."""

from __future__ import annotations

import os
import time
import uuid

from django.db import models


def new_verification_id() -> uuid.UUID:
    """A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.

    The time in the id lets a permalink to a result deleted by the retention sweep answer
    "gone" (410) rather than "never existed" (404), without keeping a list of deleted ids."""
    millis = time.time_ns() // 1_000_000
    value = (millis & (2**48 - 1)) << 80 | int.from_bytes(os.urandom(10), "big") & (2**80 - 1)
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC 4122 variant
    return uuid.UUID(int=value)


def verification_id_time(value: uuid.UUID) -> float | None:
    """The Unix time (seconds) a version-7 id was made at; None for other ids."""
    if value.version != 7:
        return None
    return (value.int >> 80) / 1000.0


class Verification(models.Model):
    class Verdict(models.TextChoices):
        MADE_HERE = "made_here_intact", "Made here, credentials intact"
        STRIPPED = "made_here_stripped", "Made here, credentials stripped"
        ALTERED = "altered", "Altered after it was made here"
        OTHER_SIGNER = "signed_by_other", "Signed by someone else"
        BROKEN = "invalid_credentials", "Broken credentials, not linked to us"
        NO_SIGN = "no_sign", "No sign that it was made here"
        MARK_NOT_CLIP = "watermark_not_clip", "Our watermark, but not the clip it names"

    id = models.UUIDField(primary_key=True, default=new_verification_id, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    verdict = models.CharField(max_length=24, choices=Verdict.choices)
    media_type = models.CharField(max_length=20)
    filename = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # The clip our own evidence matched (our signature, our watermark agreeing with the
    # picture, our fingerprint, or the sha256 of a file we stored); never a claim we did not sign.
    clip = models.ForeignKey(
        "jobs.Clip", null=True, blank=True, on_delete=models.SET_NULL, related_name="verifications"
    )
    findings = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Verification {self.id}: {self.verdict}"
