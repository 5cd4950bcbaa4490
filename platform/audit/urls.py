from django.urls import path

from . import views

urlpatterns = [
    path("subjects/<uuid:subject_id>/audit/", views.subject_audit, name="subject-audit"),
    path("audit/checkpoints.json", views.checkpoints_json, name="audit-checkpoints"),
]
