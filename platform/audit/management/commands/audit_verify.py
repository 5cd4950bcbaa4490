"""`manage.py audit_verify`: check the audit chain and name the first bad link.

Besides the chain's own links, it checks the chain against every signed checkpoint: those in
the database and any copies given with ``--checkpoints`` (a file saved from
``/audit/checkpoints.json``, ``-`` for stdin, or that URL). A checkpoint whose signature does not
verify against the trust root is reported too. Read-only: it never writes a checkpoint.
"""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import SignedCheckpoint, checkpoints_from_document
from audit.selectors import audit_chain_verify, audit_checkpoints_published

# A copy of the checkpoint list is small (a few hundred bytes per checkpoint); refuse more.
MAX_CHECKPOINTS_BYTES = 64 * 1024 * 1024


class Command(BaseCommand):
    help = "Verify the hash-chained audit trail; exits non-zero and names the first bad event."

    def add_arguments(self, parser):
        parser.add_argument(
            "--head", help="a head hash published earlier that must still be in the chain"
        )
        parser.add_argument(
            "--checkpoints",
            action="append",
            default=[],
            metavar="FILE_OR_URL",
            help="a copy of /audit/checkpoints.json kept elsewhere (repeatable; - for stdin)",
        )
        parser.add_argument(
            "--trust-root",
            metavar="PEM",
            help="the root certificate checkpoints must chain to (default: the platform's)",
        )
        parser.add_argument(
            "--no-stored-checkpoints",
            action="store_true",
            help="check only against the copies given, not the checkpoints in the database",
        )

    def handle(self, *args, head=None, checkpoints=(), trust_root=None, **options):
        copies: list[SignedCheckpoint] = []
        for source in checkpoints:
            try:
                copies.extend(checkpoints_from_document(_read(source)))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise CommandError(f"Cannot read checkpoints from {source}: {exc}") from exc
        stored = [] if options["no_stored_checkpoints"] else audit_checkpoints_published()
        all_checkpoints = stored + copies
        root_pem = None
        if all_checkpoints:
            root_pem = Path(trust_root).read_text() if trust_root else _platform_trust_root()
        report = audit_chain_verify(
            expected_head=head, checkpoints=all_checkpoints, trust_root_pem=root_pem
        )
        if not report.ok:
            where = f"event #{report.first_bad_seq} (id {report.first_bad_id})"
            if report.first_bad_id is None:
                where = (
                    "end of chain"
                    if report.first_bad_seq is None
                    else f"checkpoint #{report.first_bad_seq}"
                )
            raise CommandError(
                f"Audit chain BROKEN at {where}: {report.problem}. "
                f"{report.events} events verified before it."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain OK: {report.events} events, head {report.head_hash}, "
                f"{report.checkpoints_checked} signed checkpoints match"
            )
        )


def _read(source: str) -> bytes:
    if source == "-":
        data = sys.stdin.buffer.read(MAX_CHECKPOINTS_BYTES + 1)
    elif source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 (auditor's URL)
            data = response.read(MAX_CHECKPOINTS_BYTES + 1)
    else:
        data = Path(source).read_bytes()
    if len(data) > MAX_CHECKPOINTS_BYTES:
        raise ValueError("larger than 64 MiB")
    return data


def _platform_trust_root() -> str:
    from config.credentials import trust_config

    return trust_config().our_root_pem
