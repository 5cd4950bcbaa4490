"""URL routes: pages, the REST API under /api/, its schema and offline docs, and the admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .content_security import API_DOCS_POLICY, content_security_policy
from .health import healthz

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("consent.urls")),
    path("", include("uploads.urls")),
    path("", include("audit.urls")),
    path("", include("jobs.urls")),
    path("", include("verification.urls")),
    path("", include("moderation.urls")),
    path("api/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file, not inline (CSP).
    path(
        "api/docs/",
        content_security_policy(API_DOCS_POLICY)(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

# Under /api/ a path that matches no route answers in the API's JSON error shape.
handler404 = "config.api_errors.not_found"
