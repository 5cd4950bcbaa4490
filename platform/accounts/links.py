"""The single-use signed link e-mailed to someone invited to join an organisation."""

from __future__ import annotations

from django.urls import reverse

from config.signed_links import SingleUseLink, absolute_url

INVITATION_LINK = SingleUseLink(
    salt="accounts.invitation.v1",
    max_age_setting="ORGANISATION_INVITATION_MAX_AGE",
    expired_message="This invitation has expired. Ask the organisation to invite you again.",
    invalid_message="This invitation link is not valid (it may be incomplete).",
)


def invitation_url(*, invitation_id, nonce: str) -> str:
    token = INVITATION_LINK.token_make(record_id=invitation_id, nonce=nonce)
    return absolute_url(reverse("organisation-invitation", args=[token]))
