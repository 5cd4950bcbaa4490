"""Subjects (people depicted in portraits) and the consent records that cover them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.storage import private_storage


class Subject(models.Model):
    class Vital(models.TextChoices):
        LIVING = "living", "Living"
        DECEASED = "deceased", "Deceased"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subjects"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subjects",
    )
    display_name = models.CharField(max_length=200)
    vital_status = models.CharField(max_length=10, choices=Vital.choices)
    # Where a living subject is reached to confirm consent.
    email = models.EmailField(blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    death_year = models.PositiveSmallIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name", "created_at"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_living(self) -> bool:
        return self.vital_status == self.Vital.LIVING


class ConsentRecord(models.Model):
    class GrantorKind(models.TextChoices):
        SUBJECT = "subject", "The subject"
        RIGHTS_HOLDER = "rights_holder", "Rights holder"
        NEXT_OF_KIN = "next_of_kin", "Next of kin"

    class Assurance(models.TextChoices):
        SUBJECT_LINK = "subject_link", "Subject confirmed through a link"
        ATTESTATION = "rights_holder_attestation", "Rights-holder attestation"
        SIGNED_FORM = "signed_form", "Uploaded signed form"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="consents")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consent_requests"
    )
    grantor_kind = models.CharField(max_length=20, choices=GrantorKind.choices)
    grantor_name = models.CharField(max_length=200)
    grantor_email = models.EmailField()
    # For a deceased subject: how the grantor is related (e.g. "granddaughter", "estate").
    grantor_relationship = models.CharField(max_length=100, blank=True)

    scope_animate = models.BooleanField(default=True)
    scope_publish = models.BooleanField(default=False)
    scope_voice = models.BooleanField(default=False)

    assurance = models.CharField(max_length=32, choices=Assurance.choices)
    signed_form = models.FileField(storage=private_storage, blank=True, max_length=255)

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    requested_at = models.DateTimeField()
    granted_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=500, blank=True)
    # Single-use: cleared when the subject confirms, so the link works once.
    confirm_nonce = models.CharField(max_length=64, blank=True)
    # SHA-256 of the canonical terms (ids, scope, dates; no names), fixed when granted.
    content_hash = models.CharField(max_length=64, blank=True)
    # The portraits and recordings the grantor was shown and agreed to. A consent that names
    # uploads covers only those; one recorded without naming any (before consents named them,
    # or before anything was uploaded) covers every upload of its subject.
    names_uploads = models.BooleanField(default=False)
    covers = models.ManyToManyField("uploads.Upload", blank=True, related_name="consents")

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope_animate=True)
                | models.Q(scope_publish=False, scope_voice=False),
                name="consent_scope_needs_animate",
            ),
        ]

    def __str__(self) -> str:
        return f"Consent {self.id} for {self.subject_id} ({self.status})"

    @property
    def scopes(self) -> list[str]:
        return [
            name
            for name, granted in (
                ("animate", self.scope_animate),
                ("publish", self.scope_publish),
                ("voice", self.scope_voice),
            )
            if granted
        ]

    # Answers from the dates alone: a consent past its expiry counts as expired even before the
    # periodic task (or a write that locks it) records it so.
    @property
    def status_now(self) -> str:
        """The status as of now: pending or active past the expiry reads as expired."""
        live = self.status in (self.Status.PENDING, self.Status.ACTIVE)
        return self.Status.EXPIRED if live and self.expires_at <= timezone.now() else self.status

    def get_status_now_display(self) -> str:
        return self.Status(self.status_now).label

    def covered_uploads(self):
        """The uploads this consent names: portraits first, then recordings, oldest first."""
        return self.covers.order_by("-kind", "created_at")

    def covers_upload(self, upload) -> bool:
        return not self.names_uploads or self.covers.filter(pk=upload.pk).exists()

    def in_force(self, *, scopes: Iterable[str]) -> bool:
        """Active, unexpired, and covering every one of ``scopes``."""
        return self.status_now == self.Status.ACTIVE and set(scopes) <= set(self.scopes)
