"""REST endpoints for uploads: multipart create, list, detail, private download, delete."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from consent.selectors import subjects_visible_to

from . import selectors, services
from .downloads import upload_file_response
from .serializers import UploadCreateSerializer, UploadSerializer


class UploadViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = UploadSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        queryset = selectors.uploads_visible_to(self.request.user)
        subject = self.request.query_params.get("subject")
        return queryset.filter(subject_id=subject) if subject else queryset

    @extend_schema(request=UploadCreateSerializer, responses=UploadSerializer)
    def create(self, request, *args, **kwargs):
        data = UploadCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        subject = subjects_visible_to(request.user).filter(pk=fields["subject"]).first()
        if subject is None:
            return Response(
                {"error": {"code": "not_found", "message": "No such subject."}},
                status=status.HTTP_404_NOT_FOUND,
            )
        upload = services.upload_create(
            owner=request.user,
            subject=subject,
            kind=fields["kind"],
            stream=fields["file"],
            original_name=fields["file"].name,
            size=fields["file"].size,
            is_subject_voice=fields["is_subject_voice"],
        )
        return Response(UploadSerializer(upload).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.upload_delete(upload=instance, user=self.request.user)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True)
    def file(self, request, pk=None) -> FileResponse:
        return upload_file_response(self.get_object())
