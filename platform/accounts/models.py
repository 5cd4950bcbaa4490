"""Members, the organisations they belong to, invitations to join one, and API tokens.

A member is a user of a genealogy site; an organisation is a site that integrates over the API
with tokens; moderators are staff users. Nobody is put into an organisation without agreeing:
a member invites an e-mail address and the invitee accepts through a single-use signed link.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class Organisation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member. ``is_staff`` marks a moderator."""

    email = models.EmailField(unique=True)

    class OrganisationRole(models.TextChoices):
        MEMBER = "member", "member"
        OWNER = "owner", "owner"  # may remove members and make other members owners

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    organisation_role = models.CharField(
        max_length=10, choices=OrganisationRole.choices, default=OrganisationRole.MEMBER
    )

    @property
    def is_organisation_owner(self) -> bool:
        return bool(self.organisation_id) and self.organisation_role == self.OrganisationRole.OWNER

    @property
    def is_moderator(self) -> bool:
        return self.is_staff


class ApiToken(models.Model):
    """A bearer token for an organisation's integration. Only its SHA-256 is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_tokens"
    )
    # The member who created the token; requests made with it act as this member, within
    # the organisation's objects.
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class OrganisationInvitation(models.Model):
    """An invitation for an e-mail address to join an organisation, pending until the person
    who holds that address accepts, declines, or the inviter cancels it (or it expires)."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        ACCEPTED = "accepted", "accepted"
        DECLINED = "declined", "declined"
        CANCELLED = "cancelled", "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()  # stored lower-cased
    invited_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # The single-use part of the e-mailed link; cleared once the invitation is answered.
    nonce = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=models.Q(status="pending"),
                name="one_pending_invitation_per_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation} ({self.status})"

    def is_expired(self, now) -> bool:
        return self.expires_at <= now
