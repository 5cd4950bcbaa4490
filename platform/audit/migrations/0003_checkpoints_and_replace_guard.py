"""Signed checkpoints of the chain, append-only too; and close SQLite's REPLACE loophole.

On SQLite, ``INSERT OR REPLACE`` deletes the clashing row without firing DELETE triggers unless
``recursive_triggers`` is on (settings turn it on for every connection). A BEFORE INSERT trigger
refusing any row whose id, seq or hashes already exist closes it even on a connection without
that pragma. PostgreSQL has no REPLACE (``ON CONFLICT DO UPDATE`` fires the UPDATE trigger), so
it only needs the checkpoint table's triggers. 0002 stays as it was.
"""

from django.db import migrations, models

_REFUSE = "SELECT RAISE(ABORT, '{table} is append-only: {op} refused');"
SQLITE_UP = [
    f"""CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_auditevent
       WHEN EXISTS (SELECT 1 FROM audit_auditevent WHERE id = NEW.id OR seq = NEW.seq
                    OR hash = NEW.hash OR prev_hash = NEW.prev_hash)
       BEGIN {_REFUSE.format(table="audit_auditevent", op="REPLACE")} END;""",
    f"""CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_auditcheckpoint
       BEGIN {_REFUSE.format(table="audit_auditcheckpoint", op="UPDATE")} END;""",
    f"""CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_auditcheckpoint
       BEGIN {_REFUSE.format(table="audit_auditcheckpoint", op="DELETE")} END;""",
    f"""CREATE TRIGGER audit_checkpoint_no_replace BEFORE INSERT ON audit_auditcheckpoint
       WHEN EXISTS (SELECT 1 FROM audit_auditcheckpoint WHERE id = NEW.id OR seq = NEW.seq)
       BEGIN {_REFUSE.format(table="audit_auditcheckpoint", op="REPLACE")} END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_event_no_replace;",
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_update;",
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_delete;",
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_replace;",
]
POSTGRES_UP = """
CREATE OR REPLACE FUNCTION audit_checkpoint_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE OR DELETE ON audit_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_refuse_change();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_auditcheckpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoint_refuse_change();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS audit_checkpoint_no_update ON audit_auditcheckpoint;
DROP TRIGGER IF EXISTS audit_checkpoint_no_truncate ON audit_auditcheckpoint;
DROP FUNCTION IF EXISTS audit_checkpoint_refuse_change();
"""


def _run(statements_by_vendor):
    def apply(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        if isinstance(statements, str):
            statements = [statements]
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return apply


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_append_only_triggers"),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditCheckpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.PositiveBigIntegerField(unique=True)),
                ('head_hash', models.CharField(max_length=64)),
                ('created_at', models.DateTimeField()),
                ('algorithm', models.CharField(max_length=16)),
                ('signature', models.CharField(max_length=200)),
                ('certificate_chain', models.TextField()),
            ],
            options={
                'ordering': ['seq'],
            },
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
