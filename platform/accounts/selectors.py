"""Reads for accounts."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from config.signed_links import LinkInvalid

from .links import INVITATION_LINK
from .models import ApiToken, OrganisationInvitation, User


def api_tokens_visible_to(user) -> QuerySet[ApiToken]:
    if not user.is_authenticated or not user.organisation_id:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(organisation_id=user.organisation_id).select_related("user")


def organisation_members(*, user) -> QuerySet[User]:
    if not user.is_authenticated or not user.organisation_id:
        return User.objects.none()
    return User.objects.filter(organisation_id=user.organisation_id).order_by("username")


def organisation_invitations_pending(*, user) -> QuerySet[OrganisationInvitation]:
    """The organisation's invitations still open, for its members to see and cancel."""
    if not user.is_authenticated or not user.organisation_id:
        return OrganisationInvitation.objects.none()
    return OrganisationInvitation.objects.filter(
        organisation_id=user.organisation_id,
        status=OrganisationInvitation.Status.PENDING,
        expires_at__gt=timezone.now(),
    ).select_related("invited_by")


def organisation_invitation_for_link(*, token: str) -> OrganisationInvitation:
    """What an invitation link shows before it is answered: the organisation's name and who
    invited, nothing of its content. Raises ``LinkInvalid`` for a forged or expired link."""
    invitation_id, _nonce = INVITATION_LINK.token_read(token)
    invitation = (
        OrganisationInvitation.objects.select_related("organisation", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise LinkInvalid("This invitation link points to no invitation.")
    return invitation
