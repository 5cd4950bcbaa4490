from django.urls import path

from . import views
from .api import ReportCreateView

urlpatterns = [
    path("report/", views.report_create, name="report-create"),
    path("report/thanks/", views.report_thanks, name="report-thanks"),
    path("api/reports/", ReportCreateView.as_view(), name="api-report-create"),
    path("moderation/", views.queue, name="moderation-queue"),
    path("moderation/reports/<uuid:report_id>/", views.report_detail, name="moderation-report"),
    path(
        "moderation/reports/<uuid:report_id>/assign/",
        views.report_assign,
        name="moderation-report-assign",
    ),
    path(
        "moderation/reports/<uuid:report_id>/notes/",
        views.report_note,
        name="moderation-report-note",
    ),
    path(
        "moderation/reports/<uuid:report_id>/decide/",
        views.report_decide,
        name="moderation-report-decide",
    ),
    path(
        "moderation/reports/<uuid:report_id>/attachment/",
        views.report_attachment,
        name="moderation-report-attachment",
    ),
    path(
        "moderation/clips/<str:content_id>/audit/",
        views.clip_audit,
        name="moderation-clip-audit",
    ),
    path(
        "moderation/clips/<str:content_id>/audit.csv",
        views.clip_audit_csv,
        name="moderation-clip-audit-csv",
    ),
    path(
        "moderation/subjects/<uuid:subject_id>/audit/",
        views.subject_audit,
        name="moderation-subject-audit",
    ),
    path(
        "moderation/subjects/<uuid:subject_id>/audit.csv",
        views.subject_audit_csv,
        name="moderation-subject-audit-csv",
    ),
]
