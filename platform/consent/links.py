"""Signed links sent to a consent's grantor: confirm once, revoke at any time."""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from config.signed_links import LinkInvalid, SingleUseLink, absolute_url

_REVOKE_SALT = "consent.revoke.v1"

CONFIRM_LINK = SingleUseLink(
    salt="consent.confirm.v1",
    max_age_setting="CONSENT_CONFIRM_LINK_MAX_AGE",
    expired_message="This confirmation link has expired. Ask the member to send a new request.",
    invalid_message="This confirmation link is not valid (it may be incomplete).",
)


def confirm_token_make(*, consent_id, nonce: str) -> str:
    return CONFIRM_LINK.token_make(record_id=consent_id, nonce=nonce)


def confirm_token_read(token: str) -> tuple[str, str]:
    """Returns (consent id, nonce); refuses forged, altered or expired links."""
    return CONFIRM_LINK.token_read(token)


def revoke_token_make(*, consent_id) -> str:
    return signing.Signer(salt=_REVOKE_SALT).sign(str(consent_id))


def revoke_token_read(token: str) -> str:
    try:
        return signing.Signer(salt=_REVOKE_SALT).unsign(token)
    except signing.BadSignature as exc:
        raise LinkInvalid("This revocation link is not valid (it may be incomplete).") from exc


def confirm_url(*, consent_id, nonce: str) -> str:
    token = confirm_token_make(consent_id=consent_id, nonce=nonce)
    return absolute_url(reverse("consent-confirm-link", args=[token]))


def revoke_url(*, consent_id) -> str:
    return absolute_url(
        reverse("consent-revoke-link", args=[revoke_token_make(consent_id=consent_id)])
    )
