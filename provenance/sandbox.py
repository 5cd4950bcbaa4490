"""Run one examination of untrusted input in a fresh child process with hard limits.

Why a child: decoders and C2PA readers run native code on attacker-chosen bytes, and some
inputs make them spin or balloon. In the caller's process that would hold a web worker (or get
it killed by the server's timeout, leaving its temporary files). Here the work runs in a new
interpreter (``python -m provenance.sandbox``, never a fork of a threaded server) under
``setrlimit`` caps on CPU time, data memory, address space and written bytes, and the parent
kills the child's whole process group when a wall-clock limit passes. The child also asks the
kernel to kill it when its parent dies, so a SIGKILLed web worker leaves no orphan.

Files are handed over as inherited descriptors and opened in the child as ``/proc/self/fd/N``:
the caller can keep its upload in an anonymous temporary file (``tempfile.TemporaryFile``,
already unlinked), so nothing is left on disk whatever kills whom.

A task is ``"module:function"``, called in the child as ``function(paths=[...], **kwargs)``;
it returns plain JSON data (``bytes`` are carried too). It may raise :class:`TaskRefused` to
answer with a refusal the user can be told about. The result comes back as JSON, never pickle:
the parent must not execute what a compromised child writes.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

__all__ = [
    "REFUSED_STATUS",
    "ExaminationFailed",
    "Limits",
    "Outcome",
    "TaskRefused",
    "run_task",
]

# Content refused for its structure, or stopped by a limit: the request was understood, the
# content is not something we will process.
REFUSED_STATUS = 422
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
_MAX_RESULT_BYTES = 512 * 1024 * 1024
_MEMORY_WORDS = ("MemoryError", "Cannot allocate memory", "bad_alloc", "out of memory")
# Native libraries pick thread counts from the machine; in the child one thread each keeps the
# CPU limit meaningful and glibc's per-thread arenas from inflating memory.
_CHILD_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MALLOC_ARENA_MAX": "2",
    "PYTHONDONTWRITEBYTECODE": "1",
}


@dataclass(frozen=True)
class Limits:
    cpu_seconds: float  # user + system time of the child (RLIMIT_CPU, SIGXCPU then SIGKILL)
    memory_bytes: int  # private data of the child (RLIMIT_DATA: heap and anonymous mappings)
    wall_seconds: float  # the parent kills the child's process group after this long
    # Address space on top of the data limit: shared libraries and reserved-but-unused regions
    # (torch alone maps ~0.6 GB of libraries). A backstop behind RLIMIT_DATA.
    address_space_margin: int = 2 * 1024**3
    file_bytes: int = 64 * 1024 * 1024  # largest file the child may write (RLIMIT_FSIZE)


@dataclass(frozen=True)
class Outcome:
    value: Any  # what the task returned
    cpu_seconds: float  # child user + system
    max_rss_bytes: int  # child peak resident set
    wall_seconds: float


class TaskRefused(Exception):
    """Raised by a task for input it refuses with a reason the user can be told about."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.figures: dict[str, float] = {}  # the child's cpu_seconds, max_rss_bytes, wall


class ExaminationFailed(Exception):
    """The child did not finish: ``reason`` is "timeout", "cpu", "memory" or "crashed"
    (or "error" when the task raised something other than :class:`TaskRefused`)."""

    def __init__(self, reason: str, detail: str = "", *, cpu_seconds: float = 0.0) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.cpu_seconds = cpu_seconds
        self.figures: dict[str, float] = {}  # the child's cpu_seconds, max_rss_bytes, wall

    @property
    def code(self) -> str:
        return {"timeout": "too_slow", "cpu": "too_slow", "memory": "too_complex"}.get(
            self.reason, "unreadable"
        )

    def message(self, what: str = "file") -> str:
        """A sentence for the uploader (the detail stays in the logs)."""
        if self.reason in ("timeout", "cpu"):
            return f"The {what} took too long to examine; it is refused (too complex)."
        if self.reason == "memory":
            return f"The {what} is too complex to examine: it needs more memory than allowed."
        return f"The {what} could not be examined: the reader stopped on it (damaged or hostile)."


# ---------------------------------------------------------------------------------------------
# Parent side


def run_task(
    task: str,
    *,
    files: tuple[BinaryIO, ...] = (),
    kwargs: dict[str, Any] | None = None,
    limits: Limits,
) -> Outcome:
    """Run ``task`` in a limited child; its return value, or :class:`TaskRefused` re-raised
    with the child's code and message, or :class:`ExaminationFailed`."""
    fds = []
    for fh in files:
        fh.flush()
        fds.append(fh.fileno())
    request = {
        "task": task,
        "kwargs": kwargs or {},
        "paths": [f"/proc/self/fd/{fd}" for fd in fds],
        "limits": {
            "cpu": limits.cpu_seconds,
            "data": limits.memory_bytes,
            "as": limits.memory_bytes + limits.address_space_margin,
            "fsize": limits.file_bytes,
        },
        "parent": os.getpid(),
        "sys_path": [os.path.abspath(p or os.curdir) for p in sys.path],
    }
    env = {**os.environ, **_CHILD_ENV, "PYTHONPATH": _PACKAGE_ROOT}
    started = time.monotonic()
    deadline = started + limits.wall_seconds
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "provenance.sandbox"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            pass_fds=fds,
            start_new_session=True,  # its own process group, so a kill reaches grandchildren
            env=env,
            cwd=_PACKAGE_ROOT,
        )
        raw, reaped = None, None
        try:
            raw = _exchange(proc, _encode(request), deadline)
            if raw is not None:
                reaped = _reap(proc, deadline)
        finally:
            killed = _kill_group(proc)  # always: a timeout, or this thread interrupted
        reaped = reaped or killed
        status, usage = reaped if reaped else (None, None)
        cpu = usage.ru_utime + usage.ru_stime if usage else 0.0
        figures = {
            "cpu_seconds": cpu,
            "max_rss_bytes": usage.ru_maxrss * 1024 if usage else 0,
            "wall_seconds": time.monotonic() - started,
        }
        failure = None
        if raw is None:
            failure = ExaminationFailed(
                "timeout", f"over {limits.wall_seconds:g} s", cpu_seconds=cpu
            )
        elif status is None or os.WIFSIGNALED(status) or not raw:
            failure = _failure(status, cpu, limits, _tail(errors))
        if failure is not None:
            failure.figures = figures
            raise failure
    answer = _decode(raw)
    figures["max_rss_bytes"] = answer.get("peak_rss_bytes") or figures["max_rss_bytes"]
    if "refused" in answer:
        r = answer["refused"]
        refused = TaskRefused(r["code"], r["message"], r["status"])
        refused.figures = figures
        raise refused
    if "failed" in answer:
        f = answer["failed"]
        failed = ExaminationFailed(f["reason"], f.get("detail", ""), cpu_seconds=cpu)
        failed.figures = figures
        raise failed
    return Outcome(value=answer["ok"], **figures)


def _exchange(proc: subprocess.Popen, request: bytes, deadline: float) -> bytes | None:
    """Send the request, then read the child's answer until EOF; None on the deadline."""
    try:
        proc.stdin.write(request)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    chunks: list[bytes] = []
    size = 0
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                return None
            chunk = os.read(proc.stdout.fileno(), 1024 * 1024)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > _MAX_RESULT_BYTES:
                return b""
            chunks.append(chunk)


def _reap(proc: subprocess.Popen, deadline: float) -> tuple[int, Any] | None:
    """Wait for the child (its own resource usage, not every child's); None on the deadline."""
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return status, usage
        if time.monotonic() > deadline:
            return None
        time.sleep(0.005)


def _kill_group(proc: subprocess.Popen) -> tuple[int, Any] | None:
    """Kill what is left of the child's process group; the child's (status, usage) if it had
    not been reaped yet."""
    reaped = None
    if proc.returncode is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        reaped = (status, usage)
    for pipe in (proc.stdin, proc.stdout):
        if pipe and not pipe.closed:
            pipe.close()
    return reaped


def _failure(status: int | None, cpu: float, limits: Limits, stderr: str) -> ExaminationFailed:
    signal_number = os.WTERMSIG(status) if status is not None and os.WIFSIGNALED(status) else 0
    # SIGXCPU is the soft CPU limit; SIGKILL near the limit is the hard one. (The kernel's CPU
    # clock and wait4's rounded figures differ by up to a second or so.)
    if signal_number == signal.SIGXCPU or (
        signal_number == signal.SIGKILL and cpu >= limits.cpu_seconds - 1.5
    ):
        return ExaminationFailed("cpu", f"over {limits.cpu_seconds:g} s", cpu_seconds=cpu)
    if any(word in stderr for word in _MEMORY_WORDS):
        return ExaminationFailed("memory", stderr[-300:], cpu_seconds=cpu)
    return ExaminationFailed("crashed", f"status {status}: {stderr[-300:]}", cpu_seconds=cpu)


def _tail(fh: BinaryIO, size: int = 4096) -> str:
    end = fh.seek(0, os.SEEK_END)
    fh.seek(max(0, end - size))
    return fh.read().decode("utf-8", "replace")


# ---------------------------------------------------------------------------------------------
# JSON with bytes


def _default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"__bytes__": base64.b64encode(bytes(value)).decode("ascii")}
    raise TypeError(f"not JSON data: {type(value).__name__}")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "__bytes__" in obj:
        return base64.b64decode(obj["__bytes__"])
    return obj


def _encode(value: Any) -> bytes:
    return json.dumps(value, default=_default).encode()


def _decode(raw: bytes) -> Any:
    return json.loads(raw, object_hook=_hook)


# ---------------------------------------------------------------------------------------------
# Child side


def _apply_limits(limits: dict[str, Any]) -> None:
    cpu = max(1, int(limits["cpu"] + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_DATA, (limits["data"], limits["data"]))
    resource.setrlimit(resource.RLIMIT_AS, (limits["as"], limits["as"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["fsize"], limits["fsize"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _die_with_parent(parent: int) -> None:
    """PR_SET_PDEATHSIG: the kernel SIGKILLs this process when the thread that started it
    dies (a killed web worker), so nothing keeps running on the upload."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _own_peak_rss() -> int:
    """VmHWM: this process's own peak resident set since exec (the wait4 figure also counts
    the parent's pages at fork time)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _child_main() -> None:
    request = _decode(sys.stdin.buffer.read())
    _die_with_parent(request["parent"])
    _apply_limits(request["limits"])
    os.nice(5)  # the web workers stay responsive while a child examines
    # Libraries print to stdout; the answer gets its own descriptor, stdout goes to stderr.
    answer_fd = os.dup(1)
    os.dup2(2, 1)
    for entry in reversed(request["sys_path"]):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    try:
        module_name, function_name = request["task"].split(":")
        module = __import__(module_name, fromlist=[function_name])
        value = getattr(module, function_name)(paths=request["paths"], **request["kwargs"])
        answer: dict[str, Any] = {"ok": value}
    except TaskRefused as exc:
        answer = {"refused": {"code": exc.code, "message": exc.message, "status": exc.status}}
    except MemoryError:
        answer = {"failed": {"reason": "memory"}}
    except Exception as exc:  # the caller decides what an unreadable input means
        detail = f"{type(exc).__name__}: {exc}"[:1000]
        # Native code reports the memory limit as an error of its own (ENOMEM, bad_alloc).
        reason = "memory" if any(w in detail for w in _MEMORY_WORDS) else "error"
        answer = {"failed": {"reason": reason, "detail": detail}}
    answer["peak_rss_bytes"] = _own_peak_rss()
    data = _encode(answer)
    view = memoryview(data)
    while view:
        view = view[os.write(answer_fd, view) :]
    sys.stderr.flush()
    os._exit(0)  # skip interpreter teardown (torch's takes a while and changes nothing)


if __name__ == "__main__":
    # Run the imported module's copy, so tasks raise the same TaskRefused class it catches
    # (``__main__.TaskRefused`` would be another class).
    from provenance.sandbox import _child_main as _main

    _main()
