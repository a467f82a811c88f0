"""Run a parser in a child process with an address-space limit and a wall-clock timeout.

Children are forked from a multiprocessing *forkserver* whose start-up preloads the parsing
libraries (ingestion.pipeline.preload): unstructured and spaCy cost seconds to import, so they are
paid once per worker process instead of once per file, and the caller (a Celery worker, possibly
threaded) never imports them nor forks itself. The child reports back as JSON over a pipe, never
pickle: a parser compromised by a hostile file cannot run code in the caller. Whatever the child
does (run out of memory, segfault, hang, get SIGKILLed), the caller gets a SandboxFailure with a
readable reason and carries on.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import multiprocessing
import os
import resource
import signal
import threading
import time
from typing import Any

from ingestion.pipeline.errors import ParseError, UnsupportedType

_MAX_RESULT_BYTES = 256 * 1024 * 1024
_PRELOAD = ["ingestion.pipeline.preload"]
_lock = threading.Lock()
_context: Any = None


class SandboxFailure(ParseError):
    """The child did not return a result: timeout, out of memory, crash. Message is readable."""


def _get_context() -> Any:
    global _context
    with _lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(_PRELOAD)
            _context = ctx
        return _context


def _forget_inherited_forkserver() -> None:
    """After a fork (Celery's prefork pool forks its workers from the main process), the child
    inherits the parent's forkserver handle but cannot wait on that process ("No child
    processes"). Forget it, so this process starts its own on first use."""
    global _lock
    _lock = threading.Lock()
    from multiprocessing import forkserver

    server: Any = forkserver._forkserver
    if server._forkserver_pid is None:
        return
    alive_fd = server._forkserver_alive_fd
    server._forkserver_pid = server._forkserver_address = server._forkserver_alive_fd = None
    server._lock = threading.Lock()
    if alive_fd is not None:
        with contextlib.suppress(OSError):
            os.close(alive_fd)  # else the parent's forkserver would outlive the parent


os.register_at_fork(after_in_child=_forget_inherited_forkserver)


def warm_up() -> float:
    """Start the forkserver (preloading the parsers) now; returns the seconds it took.

    Optional: call it when a worker starts so the first file does not pay for the imports.
    """
    started = time.perf_counter()
    run_sandboxed("ingestion.pipeline.sandbox:_noop", {}, timeout=600, memory_mb=4096)
    return time.perf_counter() - started


def _noop() -> dict[str, Any]:
    return {}


def run_sandboxed(
    target: str, kwargs: dict[str, Any], *, timeout: float, memory_mb: int
) -> dict[str, Any]:
    """Call target ("module:function", JSON-able kwargs, returns a JSON-able dict) in a child.

    memory_mb is the address space the child may add to what the preloaded libraries already
    take (RLIMIT_AS = baseline + memory_mb). Raises the child's ParseError/UnsupportedType
    unchanged, or SandboxFailure for a timeout, memory exhaustion or a crash.
    """
    ctx = _get_context()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=_child_main,
        args=(sender, target, kwargs, memory_mb, timeout),
        name="rag-parser",
        daemon=False,
    )
    process.authkey = os.urandom(32)  # stdlib type even when the inherited one is billiard's
    try:
        try:
            _start(process)
        except Exception as exc:
            raise SandboxFailure(f"could not start the parser process ({exc})") from exc
        finally:
            sender.close()
        payload = _wait_for_result(process, receiver, timeout)
        exitcode = None
        if payload is None:  # the exit code is the only clue to what happened
            exitcode = _reap(process)
        else:  # answered or killed: tearing down a big address space takes ~50 ms, don't wait
            threading.Thread(target=_reap, args=(process,), name="rag-parser-reaper").start()
    finally:
        receiver.close()
    return _unwrap(payload, exitcode, timeout)


def _start(process: Any) -> None:
    """Start the child; blocks while the forkserver preloads (first call per process only).

    Celery's prefork pool runs tasks in daemonic processes, and multiprocessing refuses to start
    children from those (it cannot promise to clean them up). Ours clean themselves up: they are
    forked by the forkserver (which exits with its last client), killed at the timeout and
    bounded by RLIMIT_CPU, so the flag is lifted for the duration of start(). Billiard also puts
    its own authkey type in the process config, which the stdlib refuses to pickle.
    """
    stdlib = multiprocessing.process
    key_type: Any = stdlib.AuthenticationString  # type: ignore[attr-defined]
    config = stdlib.current_process()._config  # type: ignore[attr-defined]
    with _lock:
        saved = dict(config)
        config.pop("daemon", None)
        key = config.get("authkey")
        if key is not None and not isinstance(key, key_type):
            config["authkey"] = key_type(bytes(key))
        try:
            process.start()
        finally:
            config.clear()
            config.update(saved)


def _wait_for_result(process: Any, receiver: Any, timeout: float) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            _kill(process)
            return {"error": "timeout"}
        try:
            if receiver.poll(min(remaining, 0.5)):
                data = receiver.recv_bytes(_MAX_RESULT_BYTES)
                result: dict[str, Any] = json.loads(data)
                return result
        except (EOFError, OSError):
            return None  # child died without answering; exit code says why
        except ValueError:
            return {"error": "crash", "message": "the parser returned an unreadable result"}
        if not process.is_alive() and not receiver.poll(0):
            return None


def _kill(process: Any) -> None:
    pid = process.pid
    if pid is None:
        return
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), process.kill):
        with contextlib.suppress(OSError):  # already gone
            kill()


def _reap(process: Any) -> int | None:
    """Wait for the child (killing it if it lingers), release it, return its exit code."""
    process.join(5)
    if process.is_alive():
        _kill(process)
        process.join(5)
    exitcode: int | None = process.exitcode
    with contextlib.suppress(ValueError):
        process.close()
    return exitcode


def _unwrap(payload: dict[str, Any] | None, exitcode: int | None, timeout: float) -> dict[str, Any]:
    if payload is None:
        if exitcode is not None and exitcode < 0:
            sig = signal.Signals(-exitcode).name
            if -exitcode == signal.SIGXCPU:
                raise SandboxFailure(f"parsing took longer than {timeout:g} s (CPU limit)")
            if -exitcode == signal.SIGKILL:
                raise SandboxFailure("parser ran out of memory or was killed (SIGKILL)")
            raise SandboxFailure(f"parser crashed ({sig})")
        raise SandboxFailure(f"parser exited unexpectedly (exit code {exitcode})")
    if "ok" in payload:
        result: dict[str, Any] = payload["ok"]
        return result
    error = payload.get("error")
    if error == "timeout":
        raise SandboxFailure(f"parsing took longer than {timeout:g} s")
    if error == "memory":
        raise SandboxFailure("parser ran out of memory")
    message = str(payload.get("message", ""))[:1000]
    if error == "unsupported":
        raise UnsupportedType(message)
    if error == "parse":
        raise ParseError(message)
    raise SandboxFailure(f"parser failed: {message}")


# --- child side --------------------------------------------------------------------------------


def _address_space_in_use() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[0]) * resource.getpagesize()


def _limit(memory_mb: int, timeout: float) -> None:
    os.setpgid(0, 0)  # own process group: a timeout kills anything the parser started too
    limit = _address_space_in_use() + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cpu = int(timeout) + 5  # backstop if the parent's timer never fires
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))


def _child_main(
    sender: Any, target: str, kwargs: dict[str, Any], memory_mb: int, timeout: float
) -> None:
    payload: dict[str, Any]
    try:
        _limit(memory_mb, timeout)
        module_name, _, function_name = target.partition(":")
        function = getattr(importlib.import_module(module_name), function_name)
        payload = {"ok": function(**kwargs)}
    except MemoryError:
        payload = {"error": "memory"}
    except UnsupportedType as exc:
        payload = {"error": "unsupported", "message": str(exc)}
    except ParseError as exc:
        payload = {"error": "parse", "message": str(exc)}
    except RecursionError:
        payload = {"error": "parse", "message": "the document is nested too deeply to parse"}
    except Exception as exc:
        payload = {"error": "crash", "message": f"{type(exc).__name__}: {exc}"}
    try:
        data = json.dumps(payload).encode()
    except MemoryError:
        data = b'{"error": "memory"}'
    except (TypeError, ValueError) as exc:
        data = json.dumps({"error": "crash", "message": f"unserialisable result: {exc}"}).encode()
    if len(data) > _MAX_RESULT_BYTES:
        data = b'{"error": "parse", "message": "the extracted text is too large (over 256 MB)"}'
    sender.send_bytes(data)
    sender.close()
