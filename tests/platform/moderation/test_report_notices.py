"""What a misuse report sets off by e-mail: the reporter a receipt with its reference and later
the outcome in words; every moderator an alert; the clip's member the takedown and its reason.
Each once, after the change commits."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from core.errors import Conflict
from jobs.models import Clip
from moderation.models import MisuseReport
from moderation.services import report_create, report_decide, report_receive
from notices.models import Notice
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
REPORTER = "reporter@example.org"


class Boom(Exception):
    pass


def _mails_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


@pytest.fixture
def report(clip, moderator, django_capture_on_commit_callbacks) -> MisuseReport:
    with django_capture_on_commit_callbacks(execute=True):
        made = report_create(
            category="impersonation",
            description="This is not my grandmother speaking.",
            content_id=clip.content_id,
            contact_email=REPORTER,
        )
    return made


def test_the_reporter_gets_a_receipt_and_every_moderator_an_alert(
    clip, moderator, django_capture_on_commit_callbacks
):
    UserFactory(is_staff=True, email="")  # no address: nothing to send
    UserFactory(is_staff=True, is_active=False)  # no longer a moderator
    with django_capture_on_commit_callbacks(execute=True):
        made = report_create(
            category="impersonation",
            description="This is not my grandmother speaking.",
            content_id=clip.content_id,
            contact_email=REPORTER,
        )
        assert mail.outbox == []
    [receipt] = _mails_to(REPORTER)
    assert receipt.subject == f"We received your report {made.reference}"
    assert made.reference in receipt.body and "impersonation" in receipt.body
    assert "This is not my grandmother" not in receipt.body  # what they wrote is not echoed
    [alert] = _mails_to(moderator.email)
    assert alert.subject == f"New misuse report {made.reference}: Impersonation"
    assert f"http://testserver/moderation/reports/{made.id}/" in alert.body
    assert "It names a clip made here." in alert.body
    assert len(mail.outbox) == 2  # the member who made the clip is not told of a report
    assert sorted(Notice.objects.values_list("kind", flat=True)) == [
        "report_alert",
        "report_receipt",
    ]


def test_a_report_without_an_address_alerts_moderators_only(
    moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report_create(category="other", description="Something is off.")
    assert [message.to for message in mail.outbox] == [[moderator.email]]


def test_a_bot_caught_by_the_honeypot_sets_off_nothing(
    moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report_receive(
            honeypot="http://spam.example",
            category="other",
            description="Buy now.",
            contact_email=REPORTER,
        )
    assert mail.outbox == [] and not Notice.objects.exists()


def test_a_takedown_tells_the_member_why_and_the_reporter_the_outcome(
    report, clip, member, moderator, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    reason = "It puts words in the mouth of a living person."
    with django_capture_on_commit_callbacks(execute=True):
        report_decide(report=report, moderator=moderator, decision="take_down", reason=reason)
    [to_member] = _mails_to(member.email)
    assert to_member.subject == f"Your clip of {clip.subject.display_name} was taken down"
    assert f"Their reason: “{reason.rstrip('.')}”." in to_member.body  # one full stop
    assert "can no longer be played or downloaded" in to_member.body
    [outcome] = _mails_to(REPORTER)
    assert outcome.subject == f"Your report {report.reference}: we took the clip down"
    assert reason not in outcome.body  # the moderators' reason is for the member, not the public

    # A second report of the same clip: its reporter hears the outcome; the member, nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        again = report_create(
            category="no_consent",
            description="Same clip.",
            content_id=clip.content_id,
            contact_email="cousin@example.org",
        )
    with django_capture_on_commit_callbacks(execute=True):
        report_decide(report=again, moderator=moderator, decision="take_down", reason="Same.")
    assert len(_mails_to(member.email)) == 1
    assert "we took the clip down" in _mails_to("cousin@example.org")[-1].subject
    assert Notice.objects.filter(kind="clip_taken_down").count() == 1


def test_escalation_tells_the_member_the_consent_was_withdrawn_by_moderators(
    report, member, moderator, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report_decide(
            report=report, moderator=moderator, decision="escalate", reason="No consent was given."
        )
    [to_member] = _mails_to(member.email)
    assert "The site's moderators withdrew the consent" in to_member.body
    assert "“No consent was given.”" in to_member.body
    [outcome] = _mails_to(REPORTER)
    assert "we withdrew the consent the clip was made under" in outcome.body
    assert "every other clip made with the same consent" in outcome.body


def test_a_dismissal_tells_the_reporter_in_words_and_is_sent_once(
    report, member, moderator, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report_decide(report=report, moderator=moderator, decision="dismiss", reason="Satire.")
    [outcome] = mail.outbox  # the member's clip is untouched: nothing to tell them
    assert outcome.to == [REPORTER]
    assert "we looked into it and are taking no action" in outcome.body
    assert "Nothing was changed" in outcome.body and "Satire." not in outcome.body
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict, match="already"):
        report_decide(report=report, moderator=moderator, decision="dismiss")
    assert len(mail.outbox) == 1


def test_no_notice_when_the_decision_rolls_back(
    report, clip, moderator, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom):
        with transaction.atomic():
            report_decide(report=report, moderator=moderator, decision="take_down", reason="No.")
            raise Boom
    assert mail.outbox == []
    assert not Notice.objects.filter(kind__in=["clip_taken_down", "report_outcome"]).exists()
    clip.refresh_from_db()
    assert clip.status == Clip.Status.PUBLISHED
