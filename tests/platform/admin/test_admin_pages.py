"""Django admin: every registered model's list, add and change pages open for a superuser
(private files as links to a permission-checked view, never raw storage URLs); jobs and clips
are there, read-only; moderators land on the moderation queue after login, members on home."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.services import api_token_create
from audit.services import audit_checkpoint_create
from consent.models import ConsentRecord
from core.actors import Actor
from jobs import clip_services
from jobs.models import AnimationJob, Clip
from moderation.services import report_create
from tests.factories import ConsentFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
FILE_LINK = re.compile(r'href="(/admin/[^"]+/file/[a-z_]+/)"')


@pytest.fixture
def superuser_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def one_of_each(finished_clip, member, django_capture_on_commit_callbacks):
    """A real object of every registered model, private files included."""
    Group.objects.create(name="Moderators")
    api_token_create(user=UserFactory(organisation=OrganisationFactory()), name="archive sync")
    consent = ConsentFactory(subject=finished_clip.subject)
    consent.signed_form.save("consent/form.png", ContentFile(PNG_1PX))
    with django_capture_on_commit_callbacks(execute=True):  # its receipt is a notice
        report_create(
            category="impersonation",
            description="This is not my grandmother.",
            content_id=finished_clip.content_id,
            contact_email="reporter@example.org",
            attachment=SimpleUploadedFile("copy.png", PNG_1PX),
        )
    audit_checkpoint_create()
    return finished_clip


def test_every_admin_page_opens(superuser_client, one_of_each):
    file_links = set()
    for model, model_admin in admin.site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        changelist = superuser_client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert changelist.status_code == 200, model
        if model_admin.search_fields:
            searched = reverse("admin:{}_{}_changelist".format(*info)) + "?q=a"
            assert superuser_client.get(searched).status_code == 200, model
        if model_admin.has_add_permission(changelist.wsgi_request):
            add = superuser_client.get(reverse("admin:{}_{}_add".format(*info)))
            assert add.status_code == 200, model
        objects = list(model._default_manager.all()[:5])
        assert objects, f"make a {model.__name__} for this test"
        for obj in objects:
            change_url = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
            change = superuser_client.get(change_url)
            assert change.status_code == 200, (model, obj)
            file_links.update(FILE_LINK.findall(change.content.decode()))

    # Every private file is a link to the admin's own view, which serves it: the portrait and
    # the recording, the signed consent form, the report's attachment, four of the clip's.
    assert len(file_links) == 8
    for link in file_links:
        response = superuser_client.get(link)
        assert response.status_code == 200, link
        assert "attachment" in response["Content-Disposition"]
        assert "private, no-store" in response["Cache-Control"]


def test_jobs_and_clips_are_read_only(superuser_client, finished_clip):
    for model in (AnimationJob, Clip):
        model_admin = admin.site._registry[model]
        request = superuser_client.get("/admin/").wsgi_request
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, None)
        assert not model_admin.has_delete_permission(request, None)
    page = superuser_client.get(reverse("admin:jobs_clip_change", args=[finished_clip.pk]))
    assert finished_clip.content_id in page.content.decode()
    assert b'name="_save"' not in page.content
    edit = superuser_client.post(
        reverse("admin:jobs_clip_change", args=[finished_clip.pk]), {"status": "published"}
    )
    assert edit.status_code == 403
    finished_clip.refresh_from_db()
    assert finished_clip.status == Clip.Status.PRIVATE


def test_a_withdrawn_clips_files_are_not_served_by_the_admin(superuser_client, finished_clip):
    clip_services.clip_take_down(
        clip=finished_clip, actor=Actor.system("moderator"), reason="impersonation"
    )
    page = superuser_client.get(reverse("admin:jobs_clip_change", args=[finished_clip.pk]))
    html = page.content.decode()
    assert "Not served: This clip was taken down" in html
    assert "/file/video/" not in html and "/file/poster/" not in html
    assert "/file/manifest_store/" in html  # its credentials are records, still kept
    video = reverse("admin:jobs_clip_file", args=[finished_clip.pk, "video"])
    assert superuser_client.get(video).status_code == 410


def test_the_admin_file_view_needs_staff_and_a_named_file(finished_clip, member):
    video = reverse("admin:jobs_clip_file", args=[finished_clip.pk, "video"])
    client = Client()
    client.force_login(member)  # the clip's owner, but not staff
    assert client.get(video).status_code == 302  # to the admin's login
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    not_a_file = reverse("admin:jobs_clip_file", args=[finished_clip.pk, "sha256"])
    assert staff.get(not_a_file).status_code == 404
    consent = ConsentRecord.objects.get(pk=finished_clip.consent_id)  # has no signed form
    no_form = reverse("admin:consent_consentrecord_file", args=[consent.pk, "signed_form"])
    assert staff.get(no_form).status_code == 404


@pytest.mark.parametrize(
    ("is_staff", "landing"), [(True, "moderation-queue"), (False, "dashboard")]
)
def test_after_login_moderators_land_on_the_queue_and_members_at_home(is_staff, landing):
    user = UserFactory(is_staff=is_staff)
    response = Client().post(
        reverse("login"), {"username": user.username, "password": "correct horse battery"}
    )
    assert response.status_code == 302 and response["Location"] == reverse(landing)


def test_a_next_link_still_wins_after_login():
    user = UserFactory(is_staff=True)
    response = Client().post(
        reverse("login") + "?next=/dashboard/",
        {"username": user.username, "password": "correct horse battery", "next": "/dashboard/"},
    )
    assert response["Location"] == "/dashboard/"
