"""Signed links sent to a consent's grantor: confirm once, revoke at any time."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from config.errors import DomainError

_CONFIRM_SALT = "consent.confirm.v1"
_REVOKE_SALT = "consent.revoke.v1"


class LinkInvalid(DomainError):
    code = "link_invalid"
    status = 400


def confirm_token_make(*, consent_id, nonce: str) -> str:
    return signing.TimestampSigner(salt=_CONFIRM_SALT).sign_object(
        {"c": str(consent_id), "n": nonce}, compress=True
    )


def confirm_token_read(token: str) -> tuple[str, str]:
    """Returns (consent id, nonce); refuses forged, altered or expired links."""
    max_age = settings.CONSENT_CONFIRM_LINK_MAX_AGE
    try:
        payload = signing.TimestampSigner(salt=_CONFIRM_SALT).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise LinkInvalid(
            "This confirmation link has expired. Ask the member to send a new request.",
            code="link_expired",
        ) from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise LinkInvalid("This confirmation link is not valid (it may be incomplete).") from exc
    if not isinstance(payload, dict) or not {"c", "n"} <= payload.keys():
        raise LinkInvalid("This confirmation link is not valid (it may be incomplete).")
    return str(payload["c"]), str(payload["n"])


def revoke_token_make(*, consent_id) -> str:
    return signing.Signer(salt=_REVOKE_SALT).sign(str(consent_id))


def revoke_token_read(token: str) -> str:
    try:
        return signing.Signer(salt=_REVOKE_SALT).unsign(token)
    except signing.BadSignature as exc:
        raise LinkInvalid("This revocation link is not valid (it may be incomplete).") from exc


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def confirm_url(*, consent_id, nonce: str) -> str:
    token = confirm_token_make(consent_id=consent_id, nonce=nonce)
    return absolute_url(reverse("consent-confirm-link", args=[token]))


def revoke_url(*, consent_id) -> str:
    return absolute_url(
        reverse("consent-revoke-link", args=[revoke_token_make(consent_id=consent_id)])
    )
