"""Child-side test hooks for the sandbox: misbehaving "parsers" run through run_sandboxed."""

from __future__ import annotations

import os
import signal
import time
from typing import Any


def spin(seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass
    return {}


def allocate(megabytes: int) -> dict[str, Any]:
    blocks = [bytearray(1024 * 1024) for _ in range(megabytes)]
    return {"allocated": len(blocks)}


def segfault() -> dict[str, Any]:
    os.kill(os.getpid(), signal.SIGSEGV)
    return {}


def echo(value: str) -> dict[str, Any]:
    return {"value": value, "pid": os.getpid()}


def sandbox_from_daemon(queue: Any) -> None:
    """Runs inside a daemonic billiard process, as a Celery prefork worker does."""
    from ingestion.pipeline.sandbox import run_sandboxed

    try:
        queue.put(run_sandboxed(f"{__name__}:echo", {"value": "ok"}, timeout=60, memory_mb=256))
    except Exception as exc:
        queue.put({"error": repr(exc)})
