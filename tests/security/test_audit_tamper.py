"""Tampering with the audit trail by someone with database access: SQLite's REPLACE, a chain
rewritten and re-hashed consistently, a cut tail, a forged checkpoint, and what the public
checkpoint list gives away."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.chain import event_hash
from audit.checkpoints import SignedCheckpoint, checkpoint_payload, checkpoints_from_document
from audit.models import AuditCheckpoint, AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import ChainBroken, audit_checkpoint_create, audit_record
from core.actors import Actor
from tests.audit_triggers import audit_triggers_disabled
from tests.factories import UserFactory

pytestmark = [pytest.mark.security, pytest.mark.django_db]


def _record(n: int, *, user=None) -> None:
    actor = Actor.of_user(user) if user else Actor.system()
    for i in range(n):
        with transaction.atomic():
            audit_record(
                actor=actor, action="test.event", object_type="thing", object_id=i, details={"i": i}
            )


def _sql(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))


def _rewrite_from(seq: int, details: dict) -> None:
    """Change event ``seq`` and re-hash it and every later event, so the chain is consistent
    in itself again: what an attacker with owner rights would do."""
    with audit_triggers_disabled():
        events = list(AuditEvent.objects.order_by("seq"))
        prev = events[seq - 2].hash if seq > 1 else "0" * 64
        for event in events[seq - 1 :]:
            if event.seq == seq:
                event.details = details
            fields = dict(
                seq=event.seq,
                created_at=event.created_at,
                actor_type=event.actor_type,
                actor_id=event.actor_id,
                actor_label=event.actor_label,
                action=event.action,
                object_type=event.object_type,
                object_id=event.object_id,
                subject_id=event.subject_id,
                details=event.details,
            )
            new_hash = event_hash(prev_hash=prev, **fields)
            _sql(
                "UPDATE audit_auditevent SET details = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [json.dumps(event.details), prev, new_hash, event.pk],
            )
            prev = new_hash


# ---------------------------------------------------------------- the database refuses
@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_connections_turn_recursive_triggers_on():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA recursive_triggers")
        assert cursor.fetchone()[0] == 1


def _replace_sql() -> str:
    if connection.vendor == "sqlite":
        return (
            "INSERT OR REPLACE INTO audit_auditevent (id, seq, created_at, actor_type, actor_id,"
            " actor_label, action, object_type, object_id, subject_id, details, prev_hash, hash)"
            " SELECT id, seq, created_at, actor_type, actor_id, 'mallory', action, object_type,"
            " object_id, subject_id, details, prev_hash, hash FROM audit_auditevent WHERE seq = 1"
        )
    # PostgreSQL has no REPLACE; its upsert is the nearest thing and must be refused too.
    return (
        "INSERT INTO audit_auditevent (id, seq, created_at, actor_type, actor_id, actor_label,"
        " action, object_type, object_id, subject_id, details, prev_hash, hash)"
        " SELECT id, seq, created_at, actor_type, actor_id, 'mallory', action, object_type,"
        " object_id, subject_id, details, prev_hash, hash FROM audit_auditevent WHERE seq = 1"
        " ON CONFLICT (id) DO UPDATE SET actor_label = EXCLUDED.actor_label"
    )


def test_insert_or_replace_is_refused():
    _record(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql(_replace_sql())
    assert AuditEvent.objects.get(seq=1).actor_label == "system"


@pytest.mark.skipif("connection.vendor != 'sqlite'")
@pytest.mark.parametrize("layer", ["insert-trigger-alone", "recursive-delete-trigger-alone"])
def test_each_sqlite_defence_stops_replace_on_its_own(layer):
    """Depth: without the pragma the BEFORE INSERT trigger refuses; without that trigger the
    pragma makes REPLACE's implicit delete fire the DELETE trigger."""
    _record(2)
    if layer == "insert-trigger-alone":
        _sql("PRAGMA recursive_triggers = OFF")
        undo = "PRAGMA recursive_triggers = ON"
    else:
        _sql("DROP TRIGGER audit_event_no_replace")
        from importlib import import_module

        undo = import_module("audit.migrations.0003_checkpoints_and_replace_guard").SQLITE_UP[0]
    try:
        with pytest.raises(DatabaseError, match="append-only: (REPLACE|DELETE) refused"):
            with transaction.atomic():
                _sql(_replace_sql())
    finally:
        _sql(undo)
    assert AuditEvent.objects.get(seq=1).actor_label == "system"


def test_checkpoints_are_append_only():
    _record(1)
    checkpoint = audit_checkpoint_create()
    for sql in (
        "UPDATE audit_auditcheckpoint SET head_hash = 'x' WHERE id = %s",
        "DELETE FROM audit_auditcheckpoint WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _sql(sql, [checkpoint.pk])
    assert AuditCheckpoint.objects.get().head_hash == checkpoint.head_hash


# ---------------------------------------------------------------- what links alone cannot catch
def test_rewritten_and_rehashed_chain_is_caught_by_checkpoints():
    _record(3)
    audit_checkpoint_create()
    _record(2)
    assert audit_checkpoint_create().seq == 5
    call_command("audit_verify")  # honest chain: passes

    _rewrite_from(2, {"i": 99})
    assert audit_chain_verify().ok  # consistent in itself: links alone cannot tell
    with pytest.raises(CommandError, match=r"checkpoint #3.*rewritten"):
        call_command("audit_verify")
    # And the scheduled task refuses to sign over it.
    _record(1)
    with pytest.raises(ChainBroken, match="rewritten"):
        audit_checkpoint_create()


def test_cut_tail_is_caught_without_a_kept_head():
    _record(4)
    audit_checkpoint_create()
    with audit_triggers_disabled():
        _sql("DELETE FROM audit_auditevent WHERE seq = 4")
    assert audit_chain_verify().ok
    with pytest.raises(CommandError, match=r"chain ends at #3.*cut off the end"):
        call_command("audit_verify")


def test_outside_copy_catches_a_rewrite_even_when_stored_checkpoints_are_gone(client, tmp_path):
    _record(3)
    audit_checkpoint_create()
    copy = tmp_path / "checkpoints.json"
    copy.write_bytes(client.get("/audit/checkpoints.json").content)
    # The attacker also deletes the stored checkpoints and rewrites the chain.
    with audit_triggers_disabled():
        _sql("DELETE FROM audit_auditcheckpoint")
    _rewrite_from(1, {"i": -1})
    call_command("audit_verify")  # nothing stored left to compare with
    with pytest.raises(CommandError, match="rewritten"):
        call_command("audit_verify", "--checkpoints", str(copy))


def test_forged_checkpoint_is_reported(client, tmp_path):
    _record(3)
    audit_checkpoint_create()
    document = client.get("/audit/checkpoints.json").json()
    (genuine,) = checkpoints_from_document(json.dumps(document))

    # 1. The hash changed to vouch for a rewritten chain: the signature no longer matches.
    forged = dict(document, checkpoints=[dict(document["checkpoints"][0], hash="ab" * 32)])
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged))
    with pytest.raises(CommandError, match="not genuine: its signature does not verify"):
        call_command("audit_verify", "--checkpoints", str(path))

    # 2. Signed properly, but with a key of the forger's own, not under our trust root.
    from cryptography.hazmat.primitives import serialization

    from provenance.keys import create_local_chain, sign_es256_raw

    chain = create_local_chain(tmp_path / "forger", organization="Forger")
    key = serialization.load_pem_private_key(chain.key.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    import base64

    payload = checkpoint_payload(seq=genuine.seq, head_hash=genuine.hash, at=genuine.at)
    own = SignedCheckpoint(
        seq=genuine.seq,
        hash=genuine.hash,
        at=genuine.at,
        signature=base64.b64encode(sign_es256_raw(key, payload)).decode(),
        certificate_chain=chain.chain.read_text(),
    )
    from audit.checkpoints import checkpoints_document

    path.write_text(json.dumps(checkpoints_document([own])))
    with pytest.raises(CommandError, match="does not chain to the trust root"):
        call_command("audit_verify", "--checkpoints", str(path))
    # The forger's own root, given as trust root, would accept it: trust is the auditor's choice.
    call_command(
        "audit_verify",
        "--checkpoints",
        str(path),
        "--trust-root",
        str(chain.root_cert),
        "--no-stored-checkpoints",
    )


def test_checkpoint_list_is_public_json_without_personal_data(client):
    user = UserFactory(username="ada-lovelace", email="ada@example.org")
    _record(2, user=user)
    audit_checkpoint_create()
    response = client.get("/audit/checkpoints.json")  # anonymous
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    document = response.json()
    assert set(document) == {
        "format",
        "algorithm",
        "signed_payload",
        "certificates",
        "checkpoints",
        "next",
    }
    (row,) = document["checkpoints"]
    assert set(row) == {"seq", "hash", "at", "signature", "certificate"}
    assert row["seq"] == 2 and row["hash"] == AuditEvent.objects.get(seq=2).hash
    assert set(document["certificates"]) == {row["certificate"]}
    body = response.content.decode()
    for personal in ("ada-lovelace", "ada@example.org", "test.event", "actor", "details"):
        assert personal not in body
    assert client.get("/audit/checkpoints.json?after=x").status_code == 400
    assert client.get("/audit/checkpoints.json?after=2").json()["checkpoints"] == []
