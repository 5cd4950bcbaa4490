"""Switch the audit tables' append-only triggers off and on, as only tests (and an attacker
with owner rights) would: tampering tests, and flushing the database between tests.

Covers every migration that adds triggers: 0002 (events: UPDATE, DELETE) and 0003 (events:
REPLACE; checkpoints: UPDATE, DELETE, REPLACE).
"""

from __future__ import annotations

from contextlib import contextmanager
from importlib import import_module

from django.db import connection

_MIGRATIONS = (
    "audit.migrations.0002_append_only_triggers",
    "audit.migrations.0003_checkpoints_and_replace_guard",
)
_TABLES = ("audit_auditevent", "audit_auditcheckpoint")


def audit_triggers_enable() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in _TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            return
        for migration in _MIGRATIONS:
            for statement in import_module(migration).SQLITE_UP:
                cursor.execute(
                    statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1)
                )


def audit_triggers_disable() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in _TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            return
        for migration in _MIGRATIONS:
            for statement in import_module(migration).SQLITE_DOWN:
                cursor.execute(statement)


@contextmanager
def audit_triggers_disabled():
    audit_triggers_disable()
    try:
        yield
    finally:
        audit_triggers_enable()
