"""Routes of the REST API (mounted under /api/)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api import ApiTokenViewSet, MeView
from consent.api import (
    ConsentLinkConfirmView,
    ConsentLinkRevokeView,
    ConsentViewSet,
    SubjectViewSet,
)
from jobs.api import ClipViewSet, JobViewSet
from uploads.api import UploadViewSet

router = DefaultRouter()
router.register("subjects", SubjectViewSet, basename="api-subject")
router.register("consents", ConsentViewSet, basename="api-consent")
router.register("uploads", UploadViewSet, basename="api-upload")
router.register("tokens", ApiTokenViewSet, basename="api-token")
router.register("jobs", JobViewSet, basename="api-job")
router.register("clips", ClipViewSet, basename="api-clip")

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("consent-links/confirm/", ConsentLinkConfirmView.as_view(), name="api-consent-confirm"),
    path("consent-links/revoke/", ConsentLinkRevokeView.as_view(), name="api-consent-revoke"),
    *router.urls,
]
