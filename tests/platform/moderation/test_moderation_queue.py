"""Moderation: who can reach it, the queue's filters, and every decision with its audit event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.test import Client, RequestFactory
from django.utils import timezone

from audit.models import AuditEvent
from consent.models import ConsentRecord
from jobs.models import Clip
from moderation import services
from moderation.admin import MisuseReportAdmin
from moderation.models import MisuseReport
from tests.factories import UserFactory
from tests.platform.moderation.conftest import clip_make

pytestmark = pytest.mark.django_db


def _report(clip=None, **fields) -> MisuseReport:
    return services.report_create(
        category=fields.pop("category", "no_consent"),
        description=fields.pop("description", "Made without asking her."),
        content_id=clip.content_id if clip else fields.pop("content_id", ""),
        **fields,
    )


def _events(report, action) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type="report", object_id=str(report.id), action=action)
    )


def _moderation_urls(report, clip) -> list[str]:
    return [
        "/moderation/",
        f"/moderation/reports/{report.id}/",
        f"/moderation/reports/{report.id}/attachment/",
        f"/moderation/clips/{clip.content_id}/audit/",
        f"/moderation/clips/{clip.content_id}/audit.csv",
        f"/moderation/subjects/{clip.subject_id}/audit/",
        f"/moderation/subjects/{clip.subject_id}/audit.csv",
    ]


# ---------------------------------------------------------------- who gets in
def test_public_and_members_cannot_reach_moderation(client, member_client, clip):
    report = _report(clip)
    for url in _moderation_urls(report, clip):
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and anonymous.url.startswith("/login/"), url
        assert member_client.get(url).status_code == 404, url
    for action in ("assign", "notes", "decide"):
        url = f"/moderation/reports/{report.id}/{action}/"
        assert member_client.post(url, {"decision": "take_down"}).status_code == 404
    clip.refresh_from_db()
    report.refresh_from_db()
    assert clip.status == Clip.Status.PUBLISHED and report.status == "open"


def test_moderator_reaches_every_moderation_page(moderator_client, clip):
    report = _report(clip)
    for url in _moderation_urls(report, clip):
        expected = 404 if url.endswith("/attachment/") else 200  # this report has no file
        assert moderator_client.get(url).status_code == expected, url


def test_services_refuse_non_moderators(member, clip):
    report = _report(clip)
    with pytest.raises(services.NotAllowed):
        services.report_take_down(report=report, moderator=member, reason="Not theirs.")
    with pytest.raises(services.DomainError):
        services.report_assign(report=report, moderator=UserFactory(is_staff=True), assignee=member)


# ---------------------------------------------------------------- the queue
def test_queue_filters_by_status_category_and_age(moderator_client, moderator, clip):
    old = _report(clip, category="harassment", description="old one")
    MisuseReport.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    new = _report(clip, category="misinformation", description="new one")
    done = _report(clip, category="other")
    services.report_dismiss(report=done, moderator=moderator)

    def references(query: str) -> list[str]:
        html = moderator_client.get(f"/moderation/?{query}").content.decode()
        return [r.reference for r in (old, new, done) if r.reference in html]

    assert references("") == [old.reference, new.reference]  # pending by default
    assert references("status=dismissed") == [done.reference]
    assert references("status=all") == [old.reference, new.reference, done.reference]
    assert references("category=harassment") == [old.reference]
    assert references("older_than_days=7") == [old.reference]
    html = moderator_client.get("/moderation/?order=oldest").content.decode()
    assert html.index(old.reference) < html.index(new.reference)
    html = moderator_client.get("/moderation/?order=newest").content.decode()
    assert html.index(new.reference) < html.index(old.reference)


def test_report_text_renders_escaped(moderator_client, clip):
    report = _report(clip, description='<script>alert("x")</script><img src=x onerror=alert(1)>')
    moderator_client.post(f"/moderation/reports/{report.id}/notes/", {"text": "<b>bold</b>"})
    html = moderator_client.get(f"/moderation/reports/{report.id}/").content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


# ---------------------------------------------------------------- actions, each audited
def test_assign_and_note_are_audited(moderator_client, moderator, clip):
    other = UserFactory(is_staff=True)
    report = _report(clip)
    url = f"/moderation/reports/{report.id}/"
    moderator_client.post(url + "assign/", {"assignee": moderator.pk})
    moderator_client.post(url + "assign/", {"assignee": other.pk})
    moderator_client.post(url + "notes/", {"text": "Called the family."})
    report.refresh_from_db()
    assert report.status == "assigned" and report.assignee == other
    assert report.notes.get().text == "Called the family."
    assigned = _events(report, "report.assigned")
    assert [e.details["assignee"] for e in assigned] == [moderator.username, other.username]
    assert assigned[1].details["previous_assignee"] == moderator.username
    noted = _events(report, "report.noted")
    assert len(noted) == 1 and noted[0].actor_id == str(moderator.pk)
    assert {e.subject_id for e in assigned + noted} == {str(clip.subject_id)}
    # Only moderators can be assigned.
    member_pk = clip.owner_id
    moderator_client.post(url + "assign/", {"assignee": member_pk})
    report.refresh_from_db()
    assert report.assignee == other and len(_events(report, "report.assigned")) == 2


def test_dismiss_is_audited_and_final(moderator_client, moderator, clip):
    report = _report(clip)
    url = f"/moderation/reports/{report.id}/decide/"
    moderator_client.post(url, {"decision": "dismiss", "reason": "Satire, clearly labelled."})
    report.refresh_from_db()
    assert report.status == "dismissed" and report.decided_by == moderator
    assert report.decided_at is not None and report.decision_reason == "Satire, clearly labelled."
    event = _events(report, "report.dismissed")[0]
    assert event.details["reason"] == "Satire, clearly labelled."
    assert event.subject_id == str(clip.subject_id)
    take_down = {"decision": "take_down", "reason": "Too late.", "understood": "on"}
    page = moderator_client.post(url, take_down, follow=True)
    assert "already decided" in page.content.decode()
    clip.refresh_from_db()
    assert clip.status == Clip.Status.PUBLISHED and not _events(report, "report.taken_down")


def test_report_take_down_takes_the_clip_off_public_view(client, moderator_client, clip):
    assert client.get(f"/c/{clip.content_id}/").status_code == 200
    report = _report(clip)
    page = moderator_client.get(f"/moderation/reports/{report.id}/").content.decode()
    assert "Take down clip" in page and 'value="take_down"' in page
    moderator_client.post(
        f"/moderation/reports/{report.id}/decide/",
        {"decision": "take_down", "reason": "No consent for this use.", "understood": "on"},
    )
    clip.refresh_from_db()
    report.refresh_from_db()
    assert clip.status == Clip.Status.TAKEN_DOWN and report.status == "taken_down"
    assert client.get(f"/c/{clip.content_id}/").status_code == 410  # gone, and says why
    assert client.get(f"/c/{clip.content_id}/video.mp4").status_code == 410
    clip_event = AuditEvent.objects.get(action="clip.taken_down")
    assert clip_event.details["report"] == report.reference
    assert clip_event.details["reason"] == "No consent for this use."
    report_event = _events(report, "report.taken_down")[0]
    assert report_event.seq == clip_event.seq + 1  # one transaction, in order
    # A second report about the same clip is decided the same way, without a second takedown.
    second = _report(clip)
    services.report_take_down(report=second, moderator=report.decided_by, reason="The same.")
    assert AuditEvent.objects.filter(action="clip.taken_down").count() == 1
    assert _events(second, "report.taken_down")[0].details["already_taken_down"] is True


def test_escalation_revokes_consent_and_withdraws_its_clips(moderator_client, moderator, member):
    clip = clip_make(member)
    report = _report(clip, category="impersonation")
    moderator_client.post(
        f"/moderation/reports/{report.id}/decide/",
        {"decision": "escalate", "reason": "The grantor had no standing.", "understood": "on"},
    )
    clip.refresh_from_db()
    report.refresh_from_db()
    consent = clip.consent
    consent.refresh_from_db()
    assert report.status == "escalated"
    assert consent.status == ConsentRecord.Status.REVOKED
    assert consent.revoked_reason == "The grantor had no standing."
    assert clip.status == Clip.Status.CONSENT_REVOKED
    revoked = AuditEvent.objects.get(action="consent.revoked")
    assert revoked.actor_id == str(moderator.pk)
    assert AuditEvent.objects.filter(action="clip.consent_withdrawn").count() == 1
    event = _events(report, "report.escalated")[0]
    assert event.details["consent"] == str(consent.id) and event.seq > revoked.seq


@pytest.mark.parametrize("decision", ["take_down", "escalate"])
def test_an_irreversible_decision_needs_a_reason(moderator, clip, decision):
    report = _report(clip)
    before = AuditEvent.objects.count()
    for blank in ("", "  \n "):
        with pytest.raises(services.ReasonRequired, match="Give the reason why"):
            services.report_decide(
                report=report, moderator=moderator, decision=decision, reason=blank
            )
    report.refresh_from_db()
    clip.refresh_from_db()
    assert report.status == "open" and clip.status == Clip.Status.PUBLISHED
    assert clip.consent.status == ConsentRecord.Status.ACTIVE
    assert AuditEvent.objects.count() == before


def test_a_dismissal_needs_no_reason(moderator, clip):
    report = _report(clip)
    services.report_decide(report=report, moderator=moderator, decision="dismiss")
    report.refresh_from_db()
    assert report.status == "dismissed"
    assert report.decision_reason.startswith(f"Misuse report {report.reference} (")


def _form_of(html: str, form_id: str) -> str:
    start = html.index(f'id="{form_id}"')
    return html[start : html.index("</form>", start)]


def test_the_report_page_refuses_a_takedown_without_reason_or_understanding(moderator_client, clip):
    report = _report(clip)
    url = f"/moderation/reports/{report.id}/decide/"
    no_reason = moderator_client.post(
        url, {"decision": "take_down", "reason": "   ", "understood": "on"}
    )
    not_ticked = moderator_client.post(url, {"decision": "take_down", "reason": "Not theirs."})
    for page, problem in (
        (no_reason, "Give the reason why the clip is taken down"),
        (not_ticked, "Tick the box to confirm."),
    ):
        assert page.status_code == 400
        form = _form_of(page.content.decode(), "decide-take-down-form")
        # The problem heads the form that was sent, focused as the page loads.
        summary = form[form.index('class="error-summary"') :]
        assert form.index("error-summary") < form.index("<textarea")
        assert "autofocus" in summary[: summary.index(">")] and problem in summary
    clip.refresh_from_db()
    report.refresh_from_db()
    assert clip.status == Clip.Status.PUBLISHED and report.status == "open"


def test_a_report_naming_no_clip_offers_only_a_dismissal(moderator_client):
    unlinked = _report(content_id="00112233aabbccdd")
    url = f"/moderation/reports/{unlinked.id}/"
    page = moderator_client.get(url).content.decode()
    assert 'id="decide-dismiss"' in page and 'id="decide-take-down"' not in page
    sent = {"decision": "take_down", "reason": "Fake.", "understood": "on"}
    answer = moderator_client.post(url + "decide/", sent, follow=True)
    assert "names no clip we hold" in answer.content.decode()
    unlinked.refresh_from_db()
    assert unlinked.status == "open"


def test_a_refused_decision_changes_nothing(moderator, member):
    unlinked = _report(content_id="00112233aabbccdd")
    with pytest.raises(services.Conflict, match="names no clip"):
        services.report_take_down(report=unlinked, moderator=moderator, reason="Fake.")
    # Escalating when the consent is already revoked is refused; the report stays open.
    clip = clip_make(member)
    report = _report(clip)
    first = _report(clip)
    services.report_escalate(report=first, moderator=moderator, reason="No standing.")
    before = AuditEvent.objects.count()
    with pytest.raises(services.Conflict):
        services.report_escalate(report=report, moderator=moderator, reason="No standing.")
    report.refresh_from_db()
    unlinked.refresh_from_db()
    assert report.status == "open" and unlinked.status == "open"
    assert AuditEvent.objects.count() == before


def test_admin_lists_reports_and_decides_through_the_services(clip):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    report = _report(clip)
    browser = Client()
    browser.force_login(admin_user)
    listing = browser.get("/admin/moderation/misusereport/?status__exact=open")
    assert listing.status_code == 200 and report.reference in listing.content.decode()
    # Taking down needs a reason and a second look: the admin sends moderators to the page
    # that asks for both, and offers only dismissals.
    assert "decide_take_down" not in listing.content.decode()
    change = browser.get(f"/admin/moderation/misusereport/{report.id}/change/")
    assert change.status_code == 200
    assert f'href="/moderation/reports/{report.id}/"' in change.content.decode()
    browser.post(
        "/admin/moderation/misusereport/",
        {"action": "decide_take_down", "_selected_action": [str(report.id)], "index": 0},
    )
    report.refresh_from_db()
    assert report.status == "open"
    browser.post(
        "/admin/moderation/misusereport/",
        {"action": "decide_dismiss", "_selected_action": [str(report.id)], "index": 0},
    )
    report.refresh_from_db()
    clip.refresh_from_db()
    assert report.status == "dismissed" and clip.status == Clip.Status.PUBLISHED
    assert _events(report, "report.dismissed")[0].actor_id == str(admin_user.pk)
    model_admin = MisuseReportAdmin(MisuseReport, site)
    request = RequestFactory().get("/")
    request.user = admin_user
    assert not model_admin.has_change_permission(request, report)
    assert not model_admin.has_delete_permission(request, report)
