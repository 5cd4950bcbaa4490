"""What the consent ledger tells people by e-mail: the grantor a receipt of what they agreed
to; the member when consent is withdrawn (by whom, and why) or runs out. Each once, after the
change commits."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from consent import services
from consent.models import ConsentRecord
from core.actors import Actor
from core.errors import Conflict
from notices.models import Notice
from tests.factories import ConsentFactory, SubjectFactory, UserFactory
from uploads.services import upload_create

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def _mails_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


@pytest.fixture
def consent(member):
    """Active consent for a subject of ``member``, given by Grace."""
    return ConsentFactory(subject=SubjectFactory(owner=member, display_name="Ada Lovelace"))


def test_the_grantor_gets_a_receipt_of_what_was_agreed(
    deceased, member, astronaut_jpeg, django_capture_on_commit_callbacks
):
    upload_create(
        owner=member,
        subject=deceased,
        kind="portrait",
        stream=SimpleUploadedFile("wedding.jpg", astronaut_jpeg),
    )
    expires = timezone.now() + timedelta(days=60)
    with django_capture_on_commit_callbacks(execute=True):
        consent = services.consent_request(
            subject=deceased,
            requested_by=member,
            grantor_kind="next_of_kin",
            grantor_name="Grace Grandchild",
            grantor_email="grace@example.org",
            grantor_relationship="granddaughter",
            scopes=["animate", "publish"],
            expires_at=expires,
            assurance="rights_holder_attestation",
            attested=True,
        )
        assert mail.outbox == []
    [receipt] = _mails_to("grace@example.org")  # one mail: the receipt is the grant notice
    body = receipt.body
    assert receipt.subject.startswith("Your receipt") and "Arthur Ancestor" in receipt.subject
    assert "Hello Grace Grandchild" in body and "(granddaughter)" in body
    assert f"- Portrait uploaded {timezone.localdate():%-d %B %Y}" in body
    assert "animating the portrait" in body and "showing the animation publicly" in body
    assert "recording of their voice" not in body
    assert f"Until: {expires:%-d %B %Y}" in body
    assert "/consent/revoke/" in body
    words = re.sub(r"http\S+", "", body)  # the text, links aside: no internal ids
    assert str(consent.id) not in words and str(deceased.id) not in words
    notice = Notice.objects.get(kind="consent_receipt")
    assert notice.recipient == "grace@example.org" and notice.object_id == str(consent.id)


def test_a_living_subject_gets_the_receipt_once_they_confirm(
    member, django_capture_on_commit_callbacks
):
    living = services.subject_create(
        owner=member, display_name="Lena Living", vital_status="living", email="lena@example.org"
    )
    with django_capture_on_commit_callbacks(execute=True):
        consent = services.consent_request(
            subject=living,
            requested_by=member,
            grantor_kind="subject",
            grantor_name="Lena Living",
            grantor_email="lena@example.org",
            scopes=["animate", "voice"],
            expires_at=timezone.now() + timedelta(days=30),
            assurance="subject_link",
        )
    [request] = mail.outbox
    assert not Notice.objects.exists()  # a request is not a receipt
    token = request.body.split("/consent/confirm/")[1].split("/")[0]
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_confirm_by_token(token=token)
    receipt = mail.outbox[-1]
    assert receipt.to == ["lena@example.org"] and receipt.subject.startswith("Your receipt")
    assert "you agreed" in receipt.body and "recording of your voice" in receipt.body
    assert Notice.objects.get().object_id == str(consent.id)


def test_the_member_is_told_when_the_grantor_withdraws_consent_and_why(
    consent, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_revoke(
            consent=consent, actor=Actor.grantor(consent.id), reason="Grandmother would mind."
        )
        assert mail.outbox == []
    [notice] = mail.outbox
    assert notice.to == [member.email]
    assert notice.subject == "Consent to animate Ada Lovelace was withdrawn"
    assert "Grace Example withdrew the consent" in notice.body
    assert "“Grandmother would mind.”" in notice.body
    assert "no longer shown to anyone" in notice.body
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict):
        services.consent_revoke(consent=consent, actor=Actor.grantor(consent.id))
    assert len(mail.outbox) == 1
    assert Notice.objects.get().kind == "consent_revoked"


def test_moderators_are_named_as_such_and_a_member_is_not_told_what_they_did_themselves(
    consent, member, django_capture_on_commit_callbacks
):
    moderator = UserFactory(username="mod-anna", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_revoke(
            consent=consent, actor=Actor.of_user(moderator), reason="Made without consent."
        )
    [notice] = mail.outbox
    assert "The site's moderators withdrew" in notice.body and "mod-anna" not in notice.body
    assert "“Made without consent.”" in notice.body

    own = ConsentFactory(subject=SubjectFactory(owner=member))
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_revoke_by_member(consent=own, user=member)
    assert len(mail.outbox) == 1


def test_a_declined_request_says_declined(member, django_capture_on_commit_callbacks):
    pending = ConsentFactory(
        subject=SubjectFactory(owner=member, display_name="Lena Living"),
        status=ConsentRecord.Status.PENDING,
        granted_at=None,
        grantor_name="Lena Living",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_revoke(consent=pending, actor=Actor.grantor(pending.id))
    [notice] = mail.outbox
    assert "Lena Living declined your request" in notice.body


def test_the_member_is_told_once_when_consent_runs_out(
    consent, member, django_capture_on_commit_callbacks
):
    ConsentRecord.objects.filter(pk=consent.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.consent_expire_due() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.consent_expire_due() == 0
    [notice] = mail.outbox
    assert notice.to == [member.email]
    assert notice.subject == "Consent to animate Ada Lovelace has ended"
    assert "ended on" in notice.body and "ask for consent again" in notice.body
    assert Notice.objects.get().kind == "consent_expired"


def test_no_notice_when_the_revocation_rolls_back(consent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom):
        with transaction.atomic():
            services.consent_revoke(consent=consent, actor=Actor.grantor(consent.id))
            raise Boom
    assert mail.outbox == [] and not Notice.objects.exists()
    consent.refresh_from_db()
    assert consent.status == ConsentRecord.Status.ACTIVE
