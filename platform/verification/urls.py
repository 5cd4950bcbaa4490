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
    # C2PA Soft Binding Resolution API, at the paths the specification gives.
    path("matches/byBinding", soft_binding.matches_by_binding, name="c2pa-matches-by-binding"),
    path("matches/byContent", soft_binding.matches_by_content, name="c2pa-matches-by-content"),
    path("manifests/<path:manifest_id>", soft_binding.manifest_by_id, name="c2pa-manifest"),
    path(
        "services/supportedAlgorithms",
        soft_binding.supported_algorithms,
        name="c2pa-supported-algorithms",
    ),
]
