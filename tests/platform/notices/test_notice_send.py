"""Sending a notice: after the change commits (never on rollback), once per kind, record and
address, recorded; a send that fails records nothing, so it can be sent again."""

from __future__ import annotations

from smtplib import SMTPException

import pytest
from django.core import mail
from django.db import transaction

from moderation.models import MisuseReport
from notices.models import Notice
from notices.services import notice_on_commit, notice_send

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def _report() -> MisuseReport:
    return MisuseReport.objects.create(category="impersonation", description="Not my aunt.")


@pytest.fixture
def about():
    return _report()


def _notice(about, to="reporter@example.org") -> dict:
    return dict(
        kind=Notice.Kind.REPORT_RECEIPT,
        to=to,
        subject=f"We received your report {about.reference}",
        context={"report": about},
        about=about,
    )


def test_a_notice_is_sent_only_once_the_change_commits_and_is_recorded(
    about, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice_on_commit(**_notice(about))
        assert mail.outbox == [] and not Notice.objects.exists()
    [sent] = mail.outbox
    assert sent.to == ["reporter@example.org"]
    assert sent.subject == f"We received your report {about.reference}"
    assert about.reference in sent.body and "impersonation" in sent.body
    notice = Notice.objects.get()
    assert (notice.kind, notice.recipient) == ("report_receipt", "reporter@example.org")
    assert (notice.object_type, notice.object_id) == ("moderation.misusereport", str(about.pk))
    assert notice.sent_at is not None


def test_no_notice_when_the_change_rolls_back(about, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom):
        with transaction.atomic():
            notice_on_commit(**_notice(about))
            raise Boom
    assert mail.outbox == [] and not Notice.objects.exists()


def test_the_same_notice_is_sent_once_however_often_it_is_asked_for(about):
    assert notice_send(**_notice(about)) is not None
    assert notice_send(**_notice(about)) is None
    assert len(mail.outbox) == 1
    # Another address, or another record, is another notice.
    assert notice_send(**_notice(about, to="someone@example.org")) is not None
    assert notice_send(**_notice(_report())) is not None
    assert len(mail.outbox) == 3 and Notice.objects.count() == 3


def test_no_address_no_notice(about):
    assert notice_send(**_notice(about, to="  ")) is None
    assert mail.outbox == [] and not Notice.objects.exists()


def test_a_failed_send_records_nothing_so_it_can_be_sent_again(about, monkeypatch):
    def refuse(*args, **kwargs):
        raise SMTPException("mail server down")

    monkeypatch.setattr("notices.services.send_mail", refuse)
    with pytest.raises(SMTPException):
        notice_send(**_notice(about))
    assert not Notice.objects.exists()
    monkeypatch.undo()
    assert notice_send(**_notice(about)) is not None
    assert len(mail.outbox) == 1


def test_a_failed_send_after_commit_does_not_undo_the_change(
    about, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("notices.services.send_mail", lambda **kwargs: 1 / 0)
    with django_capture_on_commit_callbacks(execute=True):
        notice_on_commit(**_notice(about))  # logged, not raised: the change stands
    assert not Notice.objects.exists()
