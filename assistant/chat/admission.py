"""Load limits in front of generation: a bounded queue and a per-user rate limit.

On 2 cores, parallel generations only slow each other down (FIELD-NOTES: prefill is compute
bound), so one answer is generated at a time per process and the others wait in a visible,
bounded queue. Beyond the bound the caller gets QueueFull at once (the view answers 503 with
Retry-After): never a hang. An admitted slot that is never used (the browser went away before
opening the stream) expires after RESERVATION_TTL seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.cache import cache

RESERVATION_TTL = 60.0
RETRY_AFTER_SECONDS = 10


class QueueFull(Exception):
    retry_after = RETRY_AFTER_SECONDS


class Cancelled(Exception):
    """The caller gave up while waiting for the generation slot."""


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


class GenerationQueue:
    """Admission to generation: one running plus up to RAG_QUEUE_SIZE waiting, per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._admitted: dict[str, float] = {}  # key -> admitted at (monotonic)
        self._running: set[str] = set()
        self.slot = threading.Lock()  # held while a generation runs

    @property
    def capacity(self) -> int:
        return int(settings.RAG_QUEUE_SIZE) + 1

    def _expire(self, now: float) -> None:
        for key, at in list(self._admitted.items()):
            if key not in self._running and now - at > RESERVATION_TTL:
                del self._admitted[key]

    def admit(self, key: str) -> None:
        """Reserve a place for `key`; raises QueueFull when every place is taken.
        Admitting a key twice is a no-op (a reconnecting stream keeps its place)."""
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            if key in self._admitted:
                return
            if len(self._admitted) >= self.capacity:
                raise QueueFull
            self._admitted[key] = now

    def release(self, key: str) -> None:
        with self._lock:
            self._admitted.pop(key, None)
            self._running.discard(key)

    def position(self, key: str) -> int:
        """0 = running or next; n = n generations ahead of this one."""
        with self._lock:
            order = sorted(self._admitted, key=self._admitted.__getitem__)
            return order.index(key) if key in order else 0

    def depth(self) -> int:
        with self._lock:
            self._expire(time.monotonic())
            return len(self._admitted)

    def wait_turn(
        self, key: str, *, should_stop: Callable[[], bool] | None = None, poll: float = 0.25
    ) -> Iterator[int]:
        """Admit `key` if needed and wait for the generation slot, yielding the queue position
        every `poll` seconds while waiting. On return the caller holds the slot and must call
        finish(key). Raises QueueFull, or Cancelled when `should_stop()` turns true."""
        self.admit(key)
        with self._lock:
            self._running.add(key)
        try:
            while not self.slot.acquire(timeout=poll):
                if should_stop is not None and should_stop():
                    raise Cancelled
                yield self.position(key)
        except BaseException:  # cancelled, or the consumer closed this generator
            self.release(key)
            raise

    def finish(self, key: str) -> None:
        """Give the slot back (after wait_turn returned) and forget `key`."""
        self.release(key)
        self.slot.release()


generation_queue = GenerationQueue()


def check_rate_limit(user_id: int) -> None:
    """Count one question for `user_id` in the current minute; RateLimited beyond the limit.
    Uses the Django cache, so with Redis configured the limit holds across processes."""
    window = int(time.time() // 60)
    key = f"rag:rate:{user_id}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count > settings.RAG_RATE_LIMIT_PER_MINUTE:
        raise RateLimited(retry_after=60 - int(time.time()) % 60)


def _export_depth() -> None:
    from assistant.metrics import track_queue_depth

    track_queue_depth(generation_queue.depth)


_export_depth()


def plan_and_admit(mode: str, language: str, key: str) -> tuple[str, str, bool]:
    """The answer path and its reason, and whether a generation-queue place was taken for `key`.
    Only a generated answer takes a place; with the queue full, auto mode quotes instead and
    the other modes raise QueueFull."""
    from assistant.chat.grounded import plan_path
    from assistant.chat.models import Exchange

    path, reason = plan_path(mode, language)
    if path != Exchange.AnswerPath.GENERATED:
        return path, reason, False
    try:
        generation_queue.admit(key)
    except QueueFull:
        if mode != "auto":
            raise
        path, reason = plan_path(mode, language, queue_full=True)
        return path, reason, False
    return path, reason, True
