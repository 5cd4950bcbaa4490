"""REST endpoints for subjects and consent; each write calls one service."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.selectors import audit_events_for_subject
from audit.serializers import AuditEventSerializer
from config.rate_limits import ClientRateThrottle

from . import selectors, services
from .serializers import (
    ConsentRequestSerializer,
    ConsentSerializer,
    LinkTokenSerializer,
    ReasonSerializer,
    SubjectSerializer,
)


class SubjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SubjectSerializer

    def get_queryset(self):
        return selectors.subjects_visible_to(self.request.user)

    def create(self, request, *args, **kwargs):
        data = SubjectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subject = services.subject_create(owner=request.user, **data.validated_data)
        return Response(SubjectSerializer(subject).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=AuditEventSerializer(many=True))
    @action(detail=True)
    def audit(self, request, pk=None):
        subject = self.get_object()
        events = audit_events_for_subject(subject_id=subject.id)
        # Paginated like every list (a subject's trail grows without bound).
        page = self.paginate_queryset(events)
        return self.get_paginated_response(AuditEventSerializer(page, many=True).data)


class ConsentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ConsentSerializer

    def get_queryset(self):
        return selectors.consents_visible_to(self.request.user)

    @extend_schema(request=ConsentRequestSerializer, responses=ConsentSerializer)
    def create(self, request, *args, **kwargs):
        data = ConsentRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        subject = (
            selectors.subjects_visible_to(request.user).filter(pk=fields.pop("subject")).first()
        )
        if subject is None:
            return Response(
                {"error": {"code": "not_found", "message": "No such subject."}},
                status=status.HTTP_404_NOT_FOUND,
            )
        consent = services.consent_request(subject=subject, requested_by=request.user, **fields)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses=ConsentSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = services.consent_revoke_by_member(
            consent=self.get_object(), user=request.user, reason=data.validated_data["reason"]
        )
        return Response(ConsentSerializer(consent).data)


class ConsentLinkConfirmView(APIView):
    """The subject confirms consent with the token from the e-mailed link (no account)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ClientRateThrottle]
    throttle_scope = "consent_link"

    @extend_schema(request=LinkTokenSerializer, responses=ConsentSerializer)
    def post(self, request):
        data = LinkTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = services.consent_confirm_by_token(token=data.validated_data["token"])
        return Response(_public_consent(consent))


class ConsentLinkRevokeView(ConsentLinkConfirmView):
    """The grantor revokes with the token from the e-mailed revocation link (no account)."""

    @extend_schema(request=LinkTokenSerializer, responses=ConsentSerializer)
    def post(self, request):
        data = LinkTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = services.consent_revoke_by_token(
            token=data.validated_data["token"], reason=data.validated_data["reason"]
        )
        return Response(_public_consent(consent))


def _public_consent(consent) -> dict:
    """What the holder of a link learns: the terms and status, not the member's data."""
    return {
        "id": str(consent.id),
        "status": consent.status,
        "scopes": consent.scopes,
        "expires_at": consent.expires_at.isoformat(),
    }
