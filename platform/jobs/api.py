"""REST endpoints for animation jobs and clips; each write calls one service."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from consent.selectors import subjects_visible_to
from uploads.selectors import uploads_visible_to

from . import clip_services, selectors, services
from .downloads import clip_file_response
from .models import Clip
from .serializers import ClipSerializer, JobCreateSerializer, JobSerializer, PublicClipSerializer


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = JobSerializer

    def get_queryset(self):
        return selectors.jobs_visible_to(self.request.user).select_related("clip")

    @extend_schema(request=JobCreateSerializer, responses=JobSerializer)
    def create(self, request):
        data = JobCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        subject = subjects_visible_to(request.user).filter(pk=fields["subject"]).first()
        uploads = uploads_visible_to(request.user)
        portrait = uploads.filter(pk=fields["portrait"]).first()
        audio = uploads.filter(pk=fields["audio"]).first() if fields["audio"] else None
        if subject is None or portrait is None or (fields["audio"] and audio is None):
            raise Http404("No such subject or upload.")
        job = services.job_create(
            owner=request.user,
            subject=subject,
            portrait=portrait,
            audio=audio,
            idle_seconds=fields["idle_seconds"],
            seed=fields["seed"],
            size=fields["size"],
        )
        return Response(JobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        job = services.job_cancel_by_member(job=self.get_object(), user=request.user)
        return Response(JobSerializer(job).data)


class ClipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Members list and manage their clips; anyone may read a clip's public status."""

    lookup_field = "content_id"
    serializer_class = ClipSerializer

    def get_queryset(self):
        return selectors.clips_visible_to(self.request.user)

    def get_permissions(self):
        if self.action == "retrieve":
            return [AllowAny()]
        return super().get_permissions()

    @extend_schema(responses=ClipSerializer)
    def retrieve(self, request, content_id=None):
        own = self.get_queryset().filter(content_id=content_id).first()
        if own is not None:
            return Response(ClipSerializer(own).data)
        clip = Clip.objects.filter(content_id=content_id).first()
        if clip is None:
            raise Http404("No clip has this id.")
        return Response(PublicClipSerializer(clip).data)

    @extend_schema(request=None, responses=ClipSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, content_id=None):
        clip = clip_services.clip_publish(clip=self.get_object(), user=request.user)
        return Response(ClipSerializer(clip).data)

    @extend_schema(request=None, responses=ClipSerializer)
    @action(detail=True, methods=["post"])
    def unpublish(self, request, content_id=None):
        clip = clip_services.clip_unpublish(clip=self.get_object(), user=request.user)
        return Response(ClipSerializer(clip).data)

    @extend_schema(responses={(200, "video/mp4"): OpenApiTypes.BINARY})
    @action(detail=True)
    def video(self, request, content_id=None):
        return clip_file_response(self.get_object(), "video", as_attachment=True)
