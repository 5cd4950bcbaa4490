from django.urls import path

from . import api, soft_binding, views

urlpatterns = [
    path("verify/", views.verify_page, name="verify"),
    path("verify/<uuid:verification_id>/", views.verification_result, name="verification-result"),
    path("api/verify/", api.VerifyView.as_view(), name="api-verify"),
    path(
        "api/verify/<uuid:verification_id>/",
        api.VerificationDetailView.as_view(),
        name="api-verification",
    ),
    # C2PA Soft Binding Resolution API, at the paths (and with the parameter names) its
    # specification gives; config.api_paths lists their prefixes for CORS and JSON errors.
    path(
        "matches/byBinding",
        soft_binding.MatchesByBindingView.as_view(),
        name="c2pa-matches-by-binding",
    ),
    path(
        "matches/byContent",
        soft_binding.MatchesByContentView.as_view(),
        name="c2pa-matches-by-content",
    ),
    path("manifests/<path:manifestId>", soft_binding.ManifestView.as_view(), name="c2pa-manifest"),
    path(
        "services/supportedAlgorithms",
        soft_binding.SupportedAlgorithmsView.as_view(),
        name="c2pa-supported-algorithms",
    ),
]
