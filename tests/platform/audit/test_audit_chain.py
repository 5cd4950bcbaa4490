"""The audit trail: hash-chained, append-only in the database, verifiable, never forked."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import audit_record
from core.actors import Actor
from tests.audit_triggers import audit_triggers_disabled


def _record(n: int, action: str = "test.event") -> list[AuditEvent]:
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                audit_record(
                    actor=Actor.system(),
                    action=action,
                    object_type="thing",
                    object_id=i,
                    subject_id="s1",
                    details={"i": i, "note": "ünïcode ✓"},
                )
            )
    return events


def _raw_update(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_events_chain_and_verify():
    events = _record(5)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[1].prev_hash == events[0].hash
    report = audit_chain_verify()
    assert report.ok and report.events == 5 and report.head_hash == events[-1].hash


@pytest.mark.django_db(transaction=True)
def test_audit_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(actor=Actor.system(), action="x", object_type="t", object_id=1)


@pytest.mark.django_db
def test_event_rolls_back_with_the_change():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        audit_record(actor=Actor.system(), action="x", object_type="t", object_id=1)
        raise ZeroDivisionError
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("statement", ["update", "delete"])
def test_database_refuses_update_and_delete(statement):
    _record(2)
    sql = (
        "UPDATE audit_auditevent SET action = 'forged' WHERE seq = 1"
        if statement == "update"
        else "DELETE FROM audit_auditevent WHERE seq = 1"
    )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw_update(sql, [])
    assert AuditEvent.objects.get(seq=1).action == "test.event"


@pytest.mark.django_db
def test_changed_field_is_caught():
    _record(4)
    with audit_triggers_disabled():
        _raw_update(
            "UPDATE audit_auditevent SET details = %s WHERE seq = 3", ['{"i": 99, "note": "x"}']
        )
    report = audit_chain_verify()
    assert not report.ok and report.first_bad_seq == 3
    assert "altered" in report.problem


@pytest.mark.django_db
def test_deleted_row_is_caught():
    _record(4)
    with audit_triggers_disabled():
        _raw_update("DELETE FROM audit_auditevent WHERE seq = 2", [])
    report = audit_chain_verify()
    assert not report.ok and report.first_bad_seq == 3
    assert "missing" in report.problem


@pytest.mark.django_db
def test_reordered_rows_are_caught():
    _record(4)
    with audit_triggers_disabled():
        # Swap the positions of events 2 and 3.
        _raw_update("UPDATE audit_auditevent SET seq = 1000 WHERE seq = 2", [])
        _raw_update("UPDATE audit_auditevent SET seq = 2 WHERE seq = 3", [])
        _raw_update("UPDATE audit_auditevent SET seq = 3 WHERE seq = 1000", [])
    report = audit_chain_verify()
    assert not report.ok and report.first_bad_seq == 2


@pytest.mark.django_db
def test_cut_tail_is_caught_against_a_published_head():
    events = _record(3)
    head = events[-1].hash
    with audit_triggers_disabled():
        _raw_update("DELETE FROM audit_auditevent WHERE seq = 3", [])
    assert audit_chain_verify().ok  # the rest of the chain is consistent in itself
    report = audit_chain_verify(expected_head=head)
    assert not report.ok and "missing" in report.problem


@pytest.mark.django_db
def test_audit_verify_command_names_the_first_bad_link(capsys):
    _record(3)
    call_command("audit_verify")
    assert "Audit chain OK: 3 events" in capsys.readouterr().out
    with audit_triggers_disabled():
        _raw_update("UPDATE audit_auditevent SET actor_label = 'mallory' WHERE seq = 2", [])
    with pytest.raises(CommandError, match=r"BROKEN at event #2 .*altered"):
        call_command("audit_verify")


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    writers, per_writer = 6, 8
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def write(worker: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                with transaction.atomic():
                    audit_record(
                        actor=Actor.system(f"writer-{worker}"),
                        action="test.concurrent",
                        object_type="thing",
                        object_id=f"{worker}-{i}",
                    )
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    report = audit_chain_verify()
    assert report.ok, report
    assert report.events == writers * per_writer
    assert AuditEvent.objects.values("prev_hash").distinct().count() == writers * per_writer
