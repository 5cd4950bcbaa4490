"""Hostile media against verification and uploads: files built to make readers and decoders
spin or balloon are refused with a clear 4xx, within the examination limits, leaving nothing on
disk, whatever kills the process that examines them (see provenance/structure.py and
provenance/sandbox.py; the attacks are built by provenance/hostile.py)."""

from __future__ import annotations

import io
import os
import resource
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from provenance import hostile
from provenance.sandbox import ExaminationFailed, Limits, run_task
from tests.factories import SubjectFactory
from verification.models import Verification

pytestmark = [pytest.mark.security, pytest.mark.django_db]

REPO = Path(__file__).resolve().parents[2]
CPU_BUDGET = 10.0  # seconds of CPU per request, parent and child together
MEMORY_BUDGET = 1024**3


@pytest.fixture(autouse=True)
def private_tmp(tmp_path, monkeypatch):
    """A temp folder of our own, for this process and its children: it must stay empty."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    cache.clear()  # throttles
    return folder


@pytest.fixture(scope="module")
def attacks() -> dict[str, bytes]:
    return {name: attack.build() for name, attack in hostile.ATTACKS.items()}


@pytest.fixture
def uploader(member):
    client = APIClient()
    client.force_authenticate(member)
    return client, SubjectFactory(owner=member)


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _post_verify(client, content: bytes, name: str, page: bool):
    upload = SimpleUploadedFile(name, content)
    if page:
        return client.post("/verify/", {"file": upload})
    return client.post("/api/verify/", {"file": upload}, format="multipart")


def _message(response) -> str:
    if response["Content-Type"].startswith("application/json"):
        return response.json()["error"]["message"]
    return response.content.decode()


@pytest.mark.parametrize("page", [False, True], ids=["api", "page"])
@pytest.mark.parametrize("name", [n for n, a in hostile.ATTACKS.items() if "verify" in a.targets])
def test_verification_refuses_hostile_media(name, page, attacks, private_tmp, private_files):
    from django.test import Client

    client = Client() if page else APIClient()
    before = _cpu_seconds()
    response = _post_verify(client, attacks[name], f"x{hostile.ATTACKS[name].suffix}", page)
    spent = _cpu_seconds() - before
    assert response.status_code == 422, (response.status_code, _message(response)[:300])
    assert "too complex to examine" in _message(response)
    assert spent < CPU_BUDGET, spent
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 < MEMORY_BUDGET
    assert list(private_tmp.iterdir()) == [] and private_files() == []
    assert Verification.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "kind"),
    [(n, k) for n, a in hostile.ATTACKS.items() for k in a.targets if k in ("portrait", "audio")],
)
def test_uploads_refuse_hostile_media(name, kind, attacks, uploader, private_tmp, private_files):
    client, subject = uploader
    before = _cpu_seconds()
    response = client.post(
        "/api/uploads/",
        {
            "subject": str(subject.id),
            "kind": kind,
            "file": SimpleUploadedFile(f"x{hostile.ATTACKS[name].suffix}", attacks[name]),
        },
        format="multipart",
    )
    spent = _cpu_seconds() - before
    assert response.status_code == 422, response.content[:300]
    assert "too complex to examine" in response.json()["error"]["message"]
    assert spent < CPU_BUDGET, spent
    assert list(private_tmp.iterdir()) == [] and private_files() == []


def test_a_real_portrait_still_uploads(uploader, astronaut_jpeg, private_tmp):
    client, subject = uploader
    upload = SimpleUploadedFile("a.jpg", astronaut_jpeg)
    response = client.post(
        "/api/uploads/",
        {"subject": str(subject.id), "kind": "portrait", "file": upload},
        format="multipart",
    )
    assert response.status_code == 201, response.content[:300]
    assert list(private_tmp.iterdir()) == []


def test_a_progressive_photo_passes_the_prescan():
    from provenance.structure import scan_media

    buffer = io.BytesIO()
    photo = (np.random.default_rng(0).random((600, 800, 3)) * 255).astype(np.uint8)
    Image.fromarray(photo).save(buffer, format="JPEG", progressive=True, optimize=True)
    report = scan_media(buffer)
    assert report.kind == "jpeg" and 2 <= report.scans <= 40 and report.width == 800


def test_a_slow_examination_is_stopped_on_the_wall_clock(settings, private_tmp):
    """A tiny wall limit: the child (still importing its readers) is killed, a 4xx says so."""
    settings.EXAMINE_WALL_SECONDS = 0.2
    video = hostile.mp4_many_frames(frames=10, side=64)
    response = _post_verify(APIClient(), video, "clip.mp4", page=False)
    assert response.status_code == 422
    assert "took too long to examine" in response.json()["error"]["message"]
    assert list(private_tmp.iterdir()) == [] and Verification.objects.count() == 0


def test_the_runner_stops_cpu_and_memory_hogs(private_tmp):
    limits = Limits(cpu_seconds=1, memory_bytes=256 * 1024**2, wall_seconds=10)
    started = time.monotonic()
    with pytest.raises(ExaminationFailed) as spun:
        run_task("provenance.hostile:spinning_task", limits=limits)
    assert spun.value.reason == "cpu" and spun.value.code == "too_slow"
    assert time.monotonic() - started < 5
    with pytest.raises(ExaminationFailed) as hoarded:
        run_task("provenance.hostile:hoarding_task", limits=limits)
    assert hoarded.value.reason == "memory" and hoarded.value.code == "too_complex"
    assert "too complex" in hoarded.value.message("file")
    assert list(private_tmp.iterdir()) == []


_WORKER = textwrap.dedent(
    """
    import sys, tempfile
    from pathlib import Path
    from provenance import hostile
    from provenance.examine import verify_isolated
    from provenance.keys import create_local_chain
    from provenance.sandbox import Limits
    from provenance.structure import StructureLimits

    chain = create_local_chain(Path(sys.argv[1]))
    with tempfile.TemporaryFile() as spool:  # the upload, as the web worker holds it
        spool.write(hostile.mp4_many_frames(frames=3000, side=512))
        verify_isolated(
            spool, mime="video/mp4", our_root_pem=Path(chain.root_cert).read_text(),
            extra_bundle_pem=None, watermark_key=b"k",
            limits=Limits(cpu_seconds=60, memory_bytes=1024**3, wall_seconds=60),
            structure=StructureLimits(max_video_pixels=10**12),  # let it reach the decoder
        )
    """
)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def test_killing_the_examining_worker_leaves_nothing(tmp_path, private_tmp):
    """SIGKILL the process holding the upload while its child decodes: the child dies with
    it (PR_SET_PDEATHSIG) and no file is left (the upload was never in a folder)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "platform")])}
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(tmp_path / "keys")], env=env, cwd=REPO
    )
    try:
        deadline = time.monotonic() + 30
        children: list[int] = []
        while not children and time.monotonic() < deadline and worker.poll() is None:
            children = _children(worker.pid)
            time.sleep(0.05)
        assert children, "the examination never started"
        time.sleep(2.0)  # mid-examination: imports done, decoding
        assert all(Path(f"/proc/{c}").exists() for c in children)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(c) for c in children), "the child outlived its worker"
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert list(private_tmp.iterdir()) == []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"
