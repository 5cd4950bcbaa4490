"""The tamper-evident audit trail: one append-only, hash-chained row per state change."""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    # Position in the chain; gap-free and strictly increasing.
    seq = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField()
    actor_type = models.CharField(max_length=20)  # user, grantor, system, public
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    # The subject the change concerns, so a subject's whole trail can be read at once.
    subject_id = models.CharField(max_length=64, blank=True, db_index=True)
    details = models.JSONField(default=dict)
    # The previous event's hash; unique, so two writers can never extend the same link.
    prev_hash = models.CharField(max_length=64, unique=True)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditCheckpoint(models.Model):
    """A signed statement that the chain had ``head_hash`` at ``seq`` at ``created_at``.

    Published (see ``/audit/checkpoints.json``) so that anyone who keeps a copy can later
    prove a rewrite or a cut tail, even one re-hashed consistently. Append-only like the chain.
    Holds nothing personal: a position, a hash, a time, a signature and public certificates.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    head_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    algorithm = models.CharField(max_length=16)  # "ES256": ECDSA P-256, SHA-256, raw r||s
    signature = models.CharField(max_length=200)  # base64
    # PEM chain of the signing certificate (signer first), so anyone can check it against
    # the trust root without asking us.
    certificate_chain = models.TextField()

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"checkpoint #{self.seq} {self.head_hash[:12]}…"
