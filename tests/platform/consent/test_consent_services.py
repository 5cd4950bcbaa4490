"""Consent services: request, confirm once, revoke at any time, expire; each step audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from consent import links, services
from consent.models import ConsentRecord
from consent.selectors import consent_in_force
from consent.terms import consent_canonical_terms, consent_content_hash
from core.actors import Actor
from core.errors import Conflict, DomainError, NotAllowed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Status = ConsentRecord.Status


def _in(days: int):
    return timezone.now() + timedelta(days=days)


def _request_living(subject, member, scopes=("animate",), **extra):
    with_defaults = dict(
        subject=subject,
        requested_by=member,
        grantor_kind="subject",
        grantor_name="Lena Living",
        grantor_email="lena@example.org",
        scopes=scopes,
        expires_at=_in(365),
        assurance="subject_link",
    )
    with_defaults.update(extra)
    return services.consent_request(**with_defaults)


def _request_deceased(subject, member, **extra):
    """A next-of-kin attestation for a deceased subject; ``extra`` overrides any field."""
    with_defaults = dict(
        subject=subject,
        requested_by=member,
        grantor_kind="next_of_kin",
        grantor_name="Grace",
        grantor_email="grace@example.org",
        grantor_relationship="granddaughter",
        scopes=["animate"],
        expires_at=_in(2),
        assurance="rights_holder_attestation",
        attested=True,
    )
    with_defaults.update(extra)
    return services.consent_request(**with_defaults)


def _links_in_last_mail() -> tuple[str, str]:
    body = mail.outbox[-1].body
    confirm = re.search(r"/consent/confirm/([^/\s]+)/", body)
    revoke = re.search(r"/consent/revoke/([^/\s]+)/", body)
    return (confirm.group(1) if confirm else ""), (revoke.group(1) if revoke else "")


def _actions(subject) -> list[str]:
    return list(
        AuditEvent.objects.filter(subject_id=str(subject.id))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_living_subject_confirms_through_the_single_use_link(
    living, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        consent = _request_living(living, member, scopes=("animate", "publish"))
    assert consent.status == Status.PENDING
    assert consent_in_force(subject=living, scopes=["animate"]) is None
    assert mail.outbox[-1].to == ["lena@example.org"]
    confirm_token, revoke_token = _links_in_last_mail()
    assert confirm_token and revoke_token

    confirmed = services.consent_confirm_by_token(token=confirm_token)
    assert confirmed.status == Status.ACTIVE
    assert confirmed.content_hash == consent_content_hash(confirmed)
    assert consent_in_force(subject=living, scopes=["animate", "publish"]) == confirmed
    assert consent_in_force(subject=living, scopes=["voice"]) is None

    with pytest.raises(DomainError, match="already confirmed") as second:
        services.consent_confirm_by_token(token=confirm_token)
    assert second.value.status == 409
    assert _actions(living) == ["subject.created", "consent.requested", "consent.confirmed"]
    confirmed_event = AuditEvent.objects.get(action="consent.confirmed")
    assert confirmed_event.actor_type == "grantor"


def test_grantor_revokes_through_the_link_at_once(
    living, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _request_living(living, member)
    confirm_token, revoke_token = _links_in_last_mail()
    services.consent_confirm_by_token(token=confirm_token)
    revoked = services.consent_revoke_by_token(token=revoke_token, reason="changed my mind")
    assert revoked.status == Status.REVOKED and revoked.revoked_at is not None
    assert consent_in_force(subject=living, scopes=["animate"]) is None
    with pytest.raises(Conflict, match="revoked"):
        services.consent_revoke_by_token(token=revoke_token)
    assert _actions(living)[-1] == "consent.revoked"
    assert audit_chain_verify().ok


def test_pending_consent_can_be_declined_and_its_confirm_link_then_fails(
    living, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _request_living(living, member)
    confirm_token, revoke_token = _links_in_last_mail()
    services.consent_revoke_by_token(token=revoke_token)
    with pytest.raises(DomainError) as refused:
        services.consent_confirm_by_token(token=confirm_token)
    assert refused.value.status in (400, 409)


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "a:b:c", ".eJyrVkpJLElUslIqSk0sSkzOL0pVqgUAQbkGfQ:1:forged"],
)
def test_forged_or_broken_links_are_refused(token):
    with pytest.raises(links.LinkInvalid):
        services.consent_confirm_by_token(token=token)
    with pytest.raises(links.LinkInvalid):
        services.consent_revoke_by_token(token=token)


def test_confirm_link_expires(living, member, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _request_living(living, member)
    confirm_token, _ = _links_in_last_mail()
    settings.CONSENT_CONFIRM_LINK_MAX_AGE = timedelta(seconds=-1)
    with pytest.raises(links.LinkInvalid, match="expired"):
        services.consent_confirm_by_token(token=confirm_token)


def test_a_revoke_token_cannot_confirm(living, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _request_living(living, member)
    _, revoke_token = _links_in_last_mail()
    with pytest.raises(links.LinkInvalid):
        services.consent_confirm_by_token(token=revoke_token)


def test_deceased_subject_consent_by_next_of_kin_attestation_is_active_and_notified(
    deceased, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        consent = services.consent_request(
            subject=deceased,
            requested_by=member,
            grantor_kind="next_of_kin",
            grantor_name="Grace Grandchild",
            grantor_email="grace@example.org",
            grantor_relationship="granddaughter",
            scopes=["animate", "voice"],
            expires_at=_in(30),
            assurance="rights_holder_attestation",
            attested=True,
        )
    assert consent.status == Status.ACTIVE and consent.content_hash
    assert mail.outbox[-1].to == ["grace@example.org"]
    _, revoke_token = _links_in_last_mail()
    assert revoke_token
    assert _actions(deceased) == ["subject.created", "consent.requested", "consent.confirmed"]


def test_signed_form_is_stored_privately(deceased, member, private_files):
    form = SimpleUploadedFile("form.pdf", b"%PDF-1.4 signed form", content_type="application/pdf")
    consent = services.consent_request(
        subject=deceased,
        requested_by=member,
        grantor_kind="rights_holder",
        grantor_name="Estate of Arthur",
        grantor_email="estate@example.org",
        grantor_relationship="estate executor",
        scopes=["animate"],
        expires_at=_in(30),
        assurance="signed_form",
        signed_form=form,
    )
    assert consent.status == Status.ACTIVE
    assert private_files() == [consent.signed_form.name]
    assert consent.signed_form.name.startswith("consent-forms/")
    assert "form.pdf" not in consent.signed_form.name


def test_refused_signed_form_leaves_nothing(deceased, member, private_files):
    form = SimpleUploadedFile("form.pdf", b"<html>not a form</html>")
    with pytest.raises(DomainError, match="PDF, JPEG or PNG") as refused:
        services.consent_request(
            subject=deceased,
            requested_by=member,
            grantor_kind="rights_holder",
            grantor_name="Estate",
            grantor_email="estate@example.org",
            grantor_relationship="estate",
            scopes=["animate"],
            expires_at=_in(30),
            assurance="signed_form",
            signed_form=form,
        )
    assert refused.value.status == 415
    assert private_files() == [] and ConsentRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"grantor_kind": "subject"}, "rights holder or next of kin"),
        ({"grantor_relationship": ""}, "related"),
        ({"attested": False}, "attestation"),
        ({"assurance": "signed_form"}, "signed consent form"),
        ({"assurance": "subject_link"}, "attestation or a signed form"),
        ({"scopes": ["publish"]}, "must include animation"),
        ({"scopes": ["animate", "sell"]}, "Unknown scope"),
        ({"expires_at": "past"}, "future"),
        ({"expires_at": "far"}, "at most"),
        ({"grantor_email": "not-an-email"}, "valid email"),
        ({"grantor_name": "  "}, "Name the person"),
    ],
)
def test_deceased_request_rules(deceased, member, changes, message):
    changes = dict(changes)
    if changes.get("expires_at") == "past":
        changes["expires_at"] = _in(-1)
    if changes.get("expires_at") == "far":
        changes["expires_at"] = _in(10 * 366)
    with pytest.raises(DomainError, match=re.compile(message, re.I)) as refused:
        _request_deceased(deceased, member, **changes)
    assert 400 <= refused.value.status < 500
    assert ConsentRecord.objects.count() == 0


def test_living_subject_cannot_be_consented_for_by_someone_else(living, member):
    with pytest.raises(DomainError, match="for themselves"):
        _request_living(living, member, grantor_kind="next_of_kin")
    with pytest.raises(DomainError, match="e-mailed link"):
        _request_living(living, member, assurance="rights_holder_attestation")


def test_in_force_answers_from_the_dates_and_writes_nothing(deceased, member):
    consent = _request_deceased(deceased, member)
    assert consent_in_force(subject=deceased, scopes=["animate"]) == consent
    ConsentRecord.objects.filter(pk=consent.pk).update(expires_at=_in(-1))
    events = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        assert consent_in_force(subject=deceased, scopes=["animate"]) is None
    assert queries.captured_queries
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)
    consent.refresh_from_db()
    assert consent.status == Status.ACTIVE and consent.status_now == Status.EXPIRED
    assert AuditEvent.objects.count() == events


def test_the_subject_page_shows_expiry_without_recording_it(deceased, member, client):
    consent = _request_deceased(deceased, member)
    ConsentRecord.objects.filter(pk=consent.pk).update(expires_at=_in(-1))
    client.force_login(member)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("subject-detail", args=[deceased.id]))
    assert b"No consent in force" in page.content and b"Expired" in page.content
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith("UPDATE")]
    assert not [sql for sql in writes if "consent" in sql]  # (the session may be saved)
    consent.refresh_from_db()
    assert consent.status == Status.ACTIVE


def test_the_periodic_task_records_expiry(deceased, member):
    from consent.tasks import consent_expire_due

    consent = _request_deceased(deceased, member)
    assert consent_expire_due.delay().get() == 0
    ConsentRecord.objects.filter(pk=consent.pk).update(expires_at=_in(-1))
    assert consent_expire_due.delay().get() == 1
    consent.refresh_from_db()
    assert consent.status == Status.EXPIRED
    assert _actions(deceased)[-1] == "consent.expired"
    assert consent_expire_due.delay().get() == 0  # recorded once
    with pytest.raises(Conflict, match="expired"):
        services.consent_revoke(consent=consent, actor=Actor.system())


def test_the_periodic_task_is_scheduled(settings):
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedule["consent.tasks.consent_expire_due"] <= 60


def test_a_write_that_locks_a_consent_past_due_records_its_expiry(deceased, member):
    consent = _request_deceased(deceased, member)
    ConsentRecord.objects.filter(pk=consent.pk).update(expires_at=_in(-1))
    with transaction.atomic():
        assert services.consent_in_force_for_use(subject=deceased, scopes=["animate"]) is None
        consent.refresh_from_db()
        assert consent.status == Status.EXPIRED  # in the caller's transaction
    assert _actions(deceased)[-1] == "consent.expired"


def test_member_revokes_only_their_own(deceased, member):
    consent = _request_deceased(deceased, member)
    with pytest.raises(NotAllowed):
        services.consent_revoke_by_member(consent=consent, user=UserFactory())
    services.consent_revoke_by_member(consent=consent, user=member, reason="done")
    consent.refresh_from_db()
    assert consent.status == Status.REVOKED


def test_content_hash_covers_ids_scope_and_dates_but_no_names(deceased, member):
    consent = services.consent_request(
        subject=deceased,
        requested_by=member,
        grantor_kind="next_of_kin",
        grantor_name="Grace Grandchild",
        grantor_email="grace@example.org",
        grantor_relationship="granddaughter",
        scopes=["animate", "publish"],
        expires_at=_in(30),
        assurance="rights_holder_attestation",
        attested=True,
    )
    terms = consent_canonical_terms(consent)
    flat = repr(terms)
    for personal in ("Grace", "grace@example.org", "Arthur", "granddaughter", member.username):
        assert personal not in flat
    assert terms["consent_id"] == str(consent.id)
    assert terms["subject_id"] == str(deceased.id)
    assert terms["scope"] == ["animate", "publish"]
    assert re.fullmatch(r"[0-9a-f]{64}", consent.content_hash)
    original = consent.content_hash
    consent.scope_voice = True
    assert consent_content_hash(consent) != original


def test_subject_rules(member):
    with pytest.raises(DomainError, match="name"):
        services.subject_create(owner=member, display_name=" ", vital_status="living")
    with pytest.raises(DomainError, match="living or deceased"):
        services.subject_create(owner=member, display_name="X", vital_status="undead")
    with pytest.raises(DomainError, match="year of death"):
        services.subject_create(
            owner=member, display_name="X", vital_status="living", death_year=1990
        )
