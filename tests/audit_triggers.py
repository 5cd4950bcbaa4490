"""Switch the audit table's append-only triggers off and on, as only tests (and an attacker
with owner rights) would: tampering tests, and flushing the database between tests."""

from __future__ import annotations

from contextlib import contextmanager
from importlib import import_module

from django.db import connection

_MIGRATION = "audit.migrations.0002_append_only_triggers"


def audit_triggers_enable() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
            return
        for statement in import_module(_MIGRATION).SQLITE_UP:
            cursor.execute(statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1))


def audit_triggers_disable() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            return
        for statement in import_module(_MIGRATION).SQLITE_DOWN:
            cursor.execute(statement)


@contextmanager
def audit_triggers_disabled():
    audit_triggers_disable()
    try:
        yield
    finally:
        audit_triggers_enable()
