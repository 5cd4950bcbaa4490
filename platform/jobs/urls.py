from django.urls import path

from . import views

urlpatterns = [
    path("subjects/<uuid:subject_id>/animate/", views.job_create, name="job-create"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job-detail"),
    path("jobs/<uuid:job_id>/progress/", views.job_progress, name="job-progress"),
    path("jobs/<uuid:job_id>/cancel/", views.job_cancel, name="job-cancel"),
    path("clips/<uuid:clip_id>/", views.clip_detail, name="clip-detail"),
    path("clips/<uuid:clip_id>/video.mp4", views.clip_file, {"part": "video"}, name="clip-video"),
    path(
        "clips/<uuid:clip_id>/poster.png", views.clip_file, {"part": "poster"}, name="clip-poster"
    ),
    path("clips/<uuid:clip_id>/publish/", views.clip_publish, name="clip-publish"),
    path("clips/<uuid:clip_id>/unpublish/", views.clip_unpublish, name="clip-unpublish"),
    path("c/<str:content_id>/", views.public_clip, name="public-clip"),
    path(
        "c/<str:content_id>/video.mp4",
        views.public_clip_file,
        {"part": "video"},
        name="public-clip-video",
    ),
    path(
        "c/<str:content_id>/poster.png",
        views.public_clip_file,
        {"part": "poster"},
        name="public-clip-poster",
    ),
]
