from django.urls import path

from . import views

urlpatterns = [
    path("subjects/<uuid:subject_id>/uploads/", views.upload_create, name="upload-create"),
    path("uploads/<uuid:upload_id>/file/", views.upload_file, name="upload-file"),
    path("uploads/<uuid:upload_id>/delete/", views.upload_delete, name="upload-delete"),
]
