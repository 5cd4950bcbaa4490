"""DRF authentication with an organisation's API token (``Authorization: Bearer lk_…``)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import ApiToken
from .tokens import TOKEN_PREFIX, token_digest


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("Bearer", "Token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] not in self.keywords:
            return None
        if len(header) != 2 or not header[1].startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed("Malformed API token header.")
        token = (
            ApiToken.objects.select_related("user", "organisation")
            .filter(digest=token_digest(header[1]))
            .first()
        )
        if token is None or not token.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
        if not token.user.is_active or token.user.organisation_id != token.organisation_id:
            raise exceptions.AuthenticationFailed("The token's member is no longer active here.")
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user, token

    def authenticate_header(self, request) -> str:
        return "Bearer"


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Describes the token scheme in the OpenAPI schema."""

    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organisation's API token: `Authorization: Bearer lk_…`",
        }
