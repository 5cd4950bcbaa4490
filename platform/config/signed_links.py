"""Single-use, expiring links sent by e-mail: a signed token naming one record and a nonce.

The signature (Django's ``TimestampSigner``, a salt per kind of link) makes a token unforgeable
and gives it a lifetime; the nonce, stored on the record and cleared when the link is used,
makes it work once. Consent confirmations and organisation invitations both use this.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing

from core.errors import DomainError


class LinkInvalid(DomainError):
    code = "link_invalid"
    status = 400


def link_nonce_new() -> str:
    return secrets.token_urlsafe(24)


def link_nonce_matches(*, stored: str, given: str) -> bool:
    """False once the stored nonce was cleared (link used or withdrawn) or replaced."""
    return bool(stored) and secrets.compare_digest(stored, given)


@dataclass(frozen=True)
class SingleUseLink:
    """One kind of single-use link. ``max_age_setting`` names a ``timedelta`` setting, read
    at each use so tests and deployments can change it."""

    salt: str
    max_age_setting: str
    expired_message: str
    invalid_message: str

    @property
    def max_age(self) -> timedelta:
        return getattr(settings, self.max_age_setting)

    def token_make(self, *, record_id, nonce: str) -> str:
        return signing.TimestampSigner(salt=self.salt).sign_object(
            {"c": str(record_id), "n": nonce}, compress=True
        )

    def token_read(self, token: str) -> tuple[str, str]:
        """Returns (record id, nonce); refuses forged, altered or expired tokens."""
        try:
            payload = signing.TimestampSigner(salt=self.salt).unsign_object(
                token, max_age=self.max_age
            )
        except signing.SignatureExpired as exc:
            raise LinkInvalid(self.expired_message, code="link_expired") from exc
        except (signing.BadSignature, ValueError, TypeError) as exc:
            raise LinkInvalid(self.invalid_message) from exc
        if not isinstance(payload, dict) or not {"c", "n"} <= payload.keys():
            raise LinkInvalid(self.invalid_message)
        return str(payload["c"]), str(payload["n"])


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"
