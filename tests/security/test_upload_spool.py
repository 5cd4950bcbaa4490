"""A large upload is spooled to a file with no name on disk, so a web worker killed in the
middle of a request (a server timeout, SIGKILL) leaves no temporary upload behind."""

from __future__ import annotations

import io
import os
import tempfile

import pytest
from rest_framework.test import APIClient

from config import upload_handlers

pytestmark = [pytest.mark.security, pytest.mark.django_db]


def test_a_large_upload_has_no_name_on_disk_while_it_is_examined(settings, tmp_path, monkeypatch):
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(spool_dir)
    monkeypatch.setattr(tempfile, "tempdir", str(spool_dir))
    seen: dict = {}

    def examine(*, stream, filename=""):
        # The moment a killed worker would leave files behind: the body is read, the
        # examination is under way.
        seen["files"] = os.listdir(spool_dir)
        seen["spooled"] = isinstance(stream, upload_handlers.AnonymousUploadedFile)
        seen["size"] = len(stream.read())
        raise RuntimeError("worker killed here")

    monkeypatch.setattr("verification.api.verification_run", examine)
    body = b"\x00\x00\x00\x18ftypmp42" + os.urandom(3 * 1024 * 1024)  # above the memory spool
    client = APIClient(raise_request_exception=False)
    client.post("/api/verify/", {"file": io.BytesIO(body)}, format="multipart")
    assert seen == {"files": [], "spooled": True, "size": len(body)}
    assert os.listdir(spool_dir) == []
