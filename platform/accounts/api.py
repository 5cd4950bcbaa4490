"""REST endpoints for the current member and the organisation's API tokens."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .serializers import ApiTokenCreateSerializer, ApiTokenSerializer, MeSerializer


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ApiTokenSerializer

    def get_queryset(self):
        return selectors.api_tokens_visible_to(self.request.user)

    @extend_schema(
        request=ApiTokenCreateSerializer,
        responses=inline_serializer(
            "ApiTokenCreated", {"token": serializers.CharField(), "detail": ApiTokenSerializer()}
        ),
    )
    def create(self, request):
        data = ApiTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, raw = services.api_token_create(user=request.user, name=data.validated_data["name"])
        return Response(
            {"token": raw, "detail": ApiTokenSerializer(token).data},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses=ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = services.api_token_revoke(token=self.get_object(), user=request.user)
        return Response(ApiTokenSerializer(token).data)
