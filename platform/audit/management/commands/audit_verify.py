"""`manage.py audit_verify`: check the audit chain and name the first bad link."""

from django.core.management.base import BaseCommand, CommandError

from audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the hash-chained audit trail; exits non-zero and names the first bad event."

    def add_arguments(self, parser):
        parser.add_argument(
            "--head", help="a head hash published earlier that must still be in the chain"
        )

    def handle(self, *args, head=None, **options):
        report = audit_chain_verify(expected_head=head)
        if not report.ok:
            where = f"event #{report.first_bad_seq} (id {report.first_bad_id})"
            if report.first_bad_seq is None:
                where = "end of chain"
            raise CommandError(
                f"Audit chain BROKEN at {where}: {report.problem}. "
                f"{report.events} events verified before it."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain OK: {report.events} events, head {report.head_hash}")
        )
