"""Animation jobs (what a member asked for, and how far it got) and the clips they make."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models

from core.storage import private_storage

from .progress import stage_words


def new_content_id() -> str:
    """64 random bits, hex: the id the watermark carries and verification looks up."""
    return secrets.token_hex(8)


class AnimationJob(models.Model):
    class Mode(models.TextChoices):
        AUDIO = "audio", "Speech audio"
        IDLE = "idle", "Idle (no audio)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="animation_jobs"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.SET_NULL
    )
    subject = models.ForeignKey(
        "consent.Subject", on_delete=models.PROTECT, related_name="animation_jobs"
    )
    consent = models.ForeignKey(
        "consent.ConsentRecord", on_delete=models.PROTECT, related_name="animation_jobs"
    )
    portrait = models.ForeignKey(
        "uploads.Upload", on_delete=models.PROTECT, related_name="portrait_jobs"
    )
    audio = models.ForeignKey(
        "uploads.Upload",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audio_jobs",
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.AUDIO)
    idle_seconds = models.FloatField(null=True, blank=True)
    seed = models.PositiveIntegerField(default=0)
    size = models.PositiveSmallIntegerField(default=512)
    # Chosen when the job is created, so a redelivered job embeds the same watermark.
    content_id = models.CharField(max_length=16, unique=True, default=new_content_id)

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    stage = models.CharField(max_length=32, blank=True)
    progress = models.FloatField(default=0.0)  # 0..1 over the whole job
    stage_seconds = models.JSONField(default=dict)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    device = models.CharField(max_length=32, blank=True)
    # Refreshed every few seconds while a worker runs the job; a stale one means the worker died.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Job {self.id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED, self.Status.CANCELLED)

    @property
    def stage_words(self) -> str:
        return stage_words(self.stage)

    @property
    def stage_timings(self) -> list[tuple[str, float]]:
        """Seconds spent in each stage, the stage in words."""
        return [(stage_words(stage), seconds) for stage, seconds in self.stage_seconds.items()]


class Clip(models.Model):
    class Status(models.TextChoices):
        PRIVATE = "private", "Private"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"
        CONSENT_REVOKED = "consent_revoked", "Consent revoked"
        TAKEN_DOWN = "taken_down", "Taken down"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # One clip per job, enforced by the database: a redelivered job never makes two.
    job = models.OneToOneField(AnimationJob, on_delete=models.PROTECT, related_name="clip")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.SET_NULL
    )
    subject = models.ForeignKey("consent.Subject", on_delete=models.PROTECT, related_name="clips")
    consent = models.ForeignKey(
        "consent.ConsentRecord", on_delete=models.PROTECT, related_name="clips"
    )
    content_id = models.CharField(max_length=16, unique=True)
    video = models.FileField(storage=private_storage, max_length=255)
    poster = models.FileField(storage=private_storage, max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    poster_sha256 = models.CharField(max_length=64, blank=True)
    fingerprint = models.TextField(blank=True)  # provenance.fingerprint, hex
    manifest = models.JSONField(default=dict)  # summary of the signed C2PA manifest
    # The active manifest's identifier and its signed store, served by the C2PA Soft Binding
    # Resolution API so a stripped copy can be traced back to its credentials.
    manifest_label = models.CharField(max_length=200, blank=True, db_index=True)
    manifest_store = models.FileField(storage=private_storage, max_length=255, blank=True)
    # The poster is signed apart from the video: its own manifest, served the same way.
    poster_manifest_label = models.CharField(max_length=200, blank=True, db_index=True)
    poster_manifest_store = models.FileField(storage=private_storage, max_length=255, blank=True)
    duration_seconds = models.FloatField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PRIVATE, db_index=True
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # When consent was withdrawn or a moderator took the clip down, and why ("revoked",
    # "expired" or the moderator's reason). Its files are kept, unserved, for
    # CLIPS_WITHDRAWN_RETENTION_DAYS, then deleted (files_deleted_at).
    withdrawn_at = models.DateTimeField(null=True, blank=True, db_index=True)
    withdrawn_reason = models.CharField(max_length=500, blank=True)
    files_deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    WITHDRAWN = (Status.CONSENT_REVOKED, Status.TAKEN_DOWN)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Clip {self.content_id} ({self.status})"

    @property
    def is_withdrawn(self) -> bool:
        """Consent withdrawn or taken down: its files are served to no one."""
        return self.status in self.WITHDRAWN
