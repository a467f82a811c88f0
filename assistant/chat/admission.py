"""Load limits in front of generation: a bounded, fair queue and a per-user rate limit.

On 2 cores, parallel generations only slow each other down (FIELD-NOTES: prefill is compute
bound), so one answer is generated at a time per process and the others wait in a visible,
bounded queue, served in the order they were admitted (a place whose stream is still opening
keeps its turn for OPENING_GRACE_S; past that, open places go first). Beyond the bound the caller
gets QueueFull at once (the view answers 503 with the position and a Retry-After): never a hang.

Fairness: one person holds at most RAG_QUEUE_PER_USER places (ShareExceeded beyond it), so five
asks from one user cannot fill the queue; and a place whose stream is not opened within
RAG_QUEUE_OPEN_TIMEOUT_S (the browser opens it right after the ask) is released. Such an expired
reservation never comes back in its old position: its stream asks for a new place at the back.

The queue lives in the memory of the web process and is guarded by one lock, so it is exact for
the threads of one `serve` process (the embedded mode included); several web processes each have
their own queue, slot and per-user share.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

# Until this process has timed a generation, how long one is assumed to take (seconds).
RETRY_AFTER_SECONDS = 10
# Weight of the latest generation in the running estimate of how long one takes.
ESTIMATE_WEIGHT = 0.3
# A place whose stream is not open yet keeps its turn this long after its admission (the browser
# opens the stream milliseconds after the ask), so no later place overtakes it in that gap; it
# also bounds what an unopened place costs the others: the slot waits for it at most this long.
OPENING_GRACE_S = 1.0


class QueueFull(Exception):
    """Every place of the generation queue is taken. `ahead`: the places taken (running or
    waiting); `retry_after`: seconds until a place is expected to free."""

    def __init__(self, *, ahead: int = 0, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__("generation queue full")
        self.ahead = ahead
        self.retry_after = retry_after


class ShareExceeded(QueueFull):
    """The caller already holds RAG_QUEUE_PER_USER places (`limit`); `retry_after`: seconds until
    the first of them is expected to free. A QueueFull, so every fallback for a full queue
    (auto mode quotes) applies to it too."""

    def __init__(self, *, limit: int, ahead: int, retry_after: int) -> None:
        super().__init__(ahead=ahead, retry_after=retry_after)
        self.limit = limit


class Cancelled(Exception):
    """The caller gave up while waiting for the generation slot."""


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


@dataclass
class _Place:
    owner: int | None  # user id; None counts against no one's share
    admitted_at: float  # monotonic; the order in which places get the slot
    opened: bool = False  # its stream opened: it waits or runs, and never expires


class GenerationQueue:
    """Admission to generation: one running plus up to RAG_QUEUE_SIZE waiting, per process; the
    slot goes to the earliest-admitted place whose stream is open (an earlier one still within
    OPENING_GRACE_S keeps its turn)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # the slot or a place was given back
        self._places: dict[str, _Place] = {}
        self._holder: str | None = None  # the key generating now
        self._holder_since = 0.0
        self._generation_seconds = float(RETRY_AFTER_SECONDS)

    @property
    def capacity(self) -> int:
        return int(settings.RAG_QUEUE_SIZE) + 1

    def admit(self, key: str, *, owner: int | None = None) -> None:
        """Reserve a place for `key`, held by user `owner`. Raises ShareExceeded when `owner`
        already holds RAG_QUEUE_PER_USER places, QueueFull when every place is taken.
        Admitting a key twice is a no-op (a reconnecting stream keeps its place)."""
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            if key in self._places:
                return
            if owner is not None:
                held = [k for k, p in self._places.items() if p.owner == owner]
                if len(held) >= settings.RAG_QUEUE_PER_USER:
                    raise ShareExceeded(
                        limit=int(settings.RAG_QUEUE_PER_USER),
                        ahead=len(self._places),
                        retry_after=self._retry_after(now, held),
                    )
            if len(self._places) >= self.capacity:
                raise QueueFull(
                    ahead=len(self._places), retry_after=self._retry_after(now, self._places)
                )
            self._places[key] = _Place(owner=owner, admitted_at=now)

    def claim(self, key: str) -> bool:
        """The stream of `key` opened: its place stops expiring. False when `key` holds no place
        (its reservation expired before the stream opened, or it was never admitted)."""
        with self._lock:
            self._expire(time.monotonic())
            place = self._places.get(key)
            if place is None:
                return False
            place.opened = True
            self._changed.notify_all()  # the slot may have been kept for it
            return True

    def release(self, key: str) -> None:
        """Forget `key`: its place, and the slot if it held it."""
        with self._lock:
            self._places.pop(key, None)
            if self._holder == key:
                self._holder = None
            self._changed.notify_all()

    def position(self, key: str) -> int:
        """0 = running or next; n = n generations ahead of this one."""
        with self._lock:
            return self._ahead_of(key)

    def depth(self) -> int:
        with self._lock:
            self._expire(time.monotonic())
            return len(self._places)

    def wait_turn(
        self, key: str, *, should_stop: Callable[[], bool] | None = None, poll: float = 0.25
    ) -> Iterator[int]:
        """Admit `key` if needed and wait for the generation slot, yielding the queue position
        every `poll` seconds while waiting. On return the caller holds the slot and must call
        finish(key). Raises QueueFull, or Cancelled when `should_stop()` turns true or the place
        is released while waiting."""
        self.admit(key)
        try:
            while True:
                with self._changed:
                    place = self._places.get(key)
                    if place is None:  # released meanwhile (the place was given up)
                        raise Cancelled
                    place.opened = True
                    if self._holder is None and self._next_in_line(time.monotonic()) == key:
                        self._holder, self._holder_since = key, time.monotonic()
                        return
                    self._changed.wait(timeout=poll)
                    position = self._ahead_of(key)
                if should_stop is not None and should_stop():
                    raise Cancelled
                yield position
        except BaseException:  # cancelled, or the consumer closed this generator
            self.release(key)
            raise

    def finish(self, key: str) -> None:
        """Give the slot back (after wait_turn returned) and forget `key`."""
        with self._lock:
            if self._holder == key:
                took = time.monotonic() - self._holder_since
                self._generation_seconds += ESTIMATE_WEIGHT * (took - self._generation_seconds)
        self.release(key)

    # The helpers below run with self._lock held.

    def _expire(self, now: float) -> None:
        timeout = float(settings.RAG_QUEUE_OPEN_TIMEOUT_S)
        for key, place in list(self._places.items()):
            if not place.opened and now - place.admitted_at > timeout:
                del self._places[key]

    def _next_in_line(self, now: float) -> str | None:
        """The earliest-admitted open place; None while an earlier place's stream is opening."""
        grace = min(OPENING_GRACE_S, float(settings.RAG_QUEUE_OPEN_TIMEOUT_S))
        for admitted_at, key in sorted((p.admitted_at, k) for k, p in self._places.items()):
            if self._places[key].opened:
                return key
            if now - admitted_at < grace:
                return None
        return None

    def _ahead_of(self, key: str) -> int:
        place = self._places.get(key)
        if place is None:
            return 0
        return sum(
            1
            for other, p in self._places.items()
            if other != key and (other == self._holder or p.admitted_at < place.admitted_at)
        )

    def _retry_after(self, now: float, keys: Iterable[str]) -> int:
        """Whole seconds until one of the places `keys` is expected to free: the running one
        when its generation ends (by this process's recent generations), an unopened one when
        it expires, a waiting one when the generations ahead of it and its own are done."""
        estimate = self._generation_seconds
        timeout = float(settings.RAG_QUEUE_OPEN_TIMEOUT_S)
        running_left = 0.0
        if self._holder is not None:
            running_left = max(0.0, estimate - (now - self._holder_since))
        candidates = []
        for key in keys:
            if key == self._holder:
                candidates.append(running_left)
            elif not self._places[key].opened:
                candidates.append(timeout - (now - self._places[key].admitted_at))
            else:
                waiting_ahead = self._ahead_of(key) - (self._holder is not None)
                candidates.append(running_left + (waiting_ahead + 1) * estimate)
        return max(1, math.ceil(min(candidates, default=estimate)))


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


def plan_and_admit(
    mode: str, language: str, key: str, *, owner: int | None
) -> tuple[str, str, bool]:
    """The answer path and its reason, and whether a generation-queue place was taken for `key`
    on behalf of user `owner`. Only a generated answer takes a place; with the queue full or the
    owner's share taken, auto mode quotes instead and the other modes raise QueueFull (or its
    ShareExceeded)."""
    from assistant.chat.grounded import plan_path
    from assistant.chat.models import Exchange

    path, reason = plan_path(mode, language)
    if path != Exchange.AnswerPath.GENERATED:
        return path, reason, False
    try:
        generation_queue.admit(key, owner=owner)
    except QueueFull:
        if mode != "auto":
            raise
        path, reason = plan_path(mode, language, queue_full=True)
        return path, reason, False
    return path, reason, True
