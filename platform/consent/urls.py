from django.urls import path

from . import views

urlpatterns = [
    path("subjects/new/", views.subject_create, name="subject-create"),
    path("subjects/<uuid:subject_id>/", views.subject_detail, name="subject-detail"),
    path("subjects/<uuid:subject_id>/consent/", views.consent_request, name="consent-request"),
    path("consents/<uuid:consent_id>/revoke/", views.consent_revoke, name="consent-revoke"),
    path("consent/confirm/<str:token>/", views.consent_confirm_link, name="consent-confirm-link"),
    path(
        "consent/confirm/<str:token>/files/<uuid:upload_id>/",
        views.consent_confirm_file,
        name="consent-confirm-file",
    ),
    path("consent/revoke/<str:token>/", views.consent_revoke_link, name="consent-revoke-link"),
]
