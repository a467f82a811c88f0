"""The generation queue is fair: one user holds at most RAG_QUEUE_PER_USER places, a place whose
stream is never opened is released (and cannot come back ahead of anyone), places get the slot in
the order they were admitted, and a full queue's 503 says the position and when to retry.

Issue 20's attack: five `ask` posts in generated mode whose streams are never opened used to hold
every place for 60 s. The fake model (tests/fakes/llm.py) with RAG_FAKE_LLM_DELAY makes a
generation last long enough for other users to arrive while it runs; threads stand in for the
web server's threads (one process, as in the embedded mode).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

import pytest
from django.utils import translation

from assistant.chat.admission import GenerationQueue, QueueFull, ShareExceeded, generation_queue
from assistant.chat.models import Exchange
from assistant.chat.services import create_exchange, stream_answer

LEAVE = "How many days of paid annual leave do employees get?"
COPIED = "Employees receive 27 days of paid annual leave per year [1]."
RETRY_IN = re.compile(r"(?:try again in|Réessayez dans) (\d+) (?:second|seconde)")


@pytest.fixture
def empty_queue(settings):
    """Places left unopened by earlier tests expire (a 0.05 s open timeout), so this test starts
    with an empty process-wide queue; then a long timeout, unless the test sets its own."""
    settings.RAG_QUEUE_OPEN_TIMEOUT_S = 0.05
    time.sleep(0.06)
    assert generation_queue.depth() == 0
    settings.RAG_QUEUE_OPEN_TIMEOUT_S = 60.0
    settings.RAG_QUEUE_PER_USER = 1
    settings.RAG_CACHE_ENABLED = False  # every repeated question must reach the model
    settings.RAG_JUDGE_SAMPLE_RATE = 0.0
    settings.RAG_FAKE_LLM_REPLY = COPIED
    yield
    settings.RAG_QUEUE_OPEN_TIMEOUT_S = 0.05  # leave no unopened place to the next tests
    time.sleep(0.06)
    assert generation_queue.depth() == 0


def _ask(client, mode: str = "generated", **headers: str):
    return client.post(
        "/chat/ask", {"question": LEAVE, "mode": mode}, HTTP_HX_REQUEST="true", **headers
    )


def _stream_url(response) -> str:
    return response.content.decode().split('sse-connect="', 1)[1].split('"', 1)[0]


def _in_thread(target: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    """Run `target` on its own thread and database connection, as a server thread would."""

    def run() -> None:
        from django.db import connection

        try:
            target()
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    """A guard against a hang, not a speed assertion."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.01)


@pytest.mark.django_db
def test_five_unopened_generated_asks_from_one_user_leave_room_for_another(
    chat_users, client_for, empty_queue
):
    """The replayed attack: hana's places are never opened (and would be kept 60 s), yet lea is
    admitted and answered by the model; hana's surplus gets a 429 naming her share."""
    hana, lea = client_for(chat_users["hana"]), client_for(chat_users["lea"])
    answers = [_ask(hana) for _ in range(5)]
    assert [r.status_code for r in answers] == [200, 429, 429, 429, 429]
    refused = answers[1]
    message = refused.content.decode()
    assert "as one person may (1)" in message
    seconds = RETRY_IN.search(message)
    assert seconds and seconds.group(1) == refused["Retry-After"]
    assert Exchange.objects.filter(user=chat_users["hana"]).count() == 1
    assert generation_queue.depth() == 1

    admitted = _ask(lea)
    assert admitted.status_code == 200
    body = b"".join(lea.get(_stream_url(admitted)).streaming_content)
    assert b"event: done" in body
    answered = Exchange.objects.get(user=chat_users["lea"])
    assert answered.status == Exchange.Status.DONE
    assert answered.answer_path == Exchange.AnswerPath.GENERATED

    # In auto mode hana's surplus is answered at once with quotations instead.
    quoted = _ask(hana, mode="auto")
    assert quoted.status_code == 200
    b"".join(hana.get(_stream_url(quoted)).streaming_content)
    fallback = Exchange.objects.filter(user=chat_users["hana"]).latest("created_at")
    assert fallback.answer_path == Exchange.AnswerPath.QUOTE
    assert "busy" in fallback.metrics["path_reason"]
    assert generation_queue.depth() == 1  # hana's first, still unopened, place


@pytest.mark.django_db(transaction=True)
def test_alice_filling_her_share_never_makes_bob_wait_more_than_one_generation(
    chat_users, settings, empty_queue
):
    """hana ("alice") asks again the moment each answer ends, from three tabs at once; lea
    ("bob") asks while one of hana's answers is being generated. Whatever the timing, at most
    one of hana's generations runs between lea's admission and the start of lea's own."""
    settings.RAG_FAKE_LLM_DELAY = 0.02  # ~0.2 s per answer: lea arrives while hana generates
    alice, bob = chat_users["hana"], chat_users["lea"]
    log: list[tuple[str, str]] = []  # (who, what), in the order it happened
    log_lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []
    turns = {"alice": 0}

    def note(who: str, what: str) -> None:
        with log_lock:
            log.append((who, what))

    def alice_tab() -> None:
        while not stop.is_set():
            try:
                exchange = create_exchange(user=alice, question=LEAVE, mode="generated")
            except ShareExceeded:
                time.sleep(0.02)  # her share is taken: retry at once, as a script would
                continue
            with log_lock:
                turns["alice"] += 1
                name = f"alice-{turns['alice']}"
            for event in stream_answer(exchange):
                if event.kind == "token":  # the slot is given back right after the last one
                    note(name, "token")

    tabs = [_in_thread(alice_tab, errors) for _ in range(3)]
    _wait_for(lambda: any(what == "token" for _, what in log), "alice generating")

    def bob_asks() -> None:
        exchange = create_exchange(user=bob, question=LEAVE, mode="generated")
        note("bob", "admitted")
        started = False
        for event in stream_answer(exchange):
            if event.kind == "token" and not started:
                started = True
                note("bob", "start")

    bob_thread = _in_thread(bob_asks, errors)
    bob_thread.join(timeout=120)
    stop.set()
    for tab in tabs:
        tab.join(timeout=120)
    assert errors == []
    bob_admitted, bob_started = log.index(("bob", "admitted")), log.index(("bob", "start"))
    # hana's generations that ran while lea waited: first token before lea's, last token after
    # lea was admitted (noted once create_exchange returned: never earlier than the admission).
    tokens: dict[str, list[int]] = {}
    for index, (who, _what) in enumerate(log):
        if who != "bob":
            tokens.setdefault(who, []).append(index)
    ran_meanwhile = [
        who for who, at in tokens.items() if at[0] < bob_started and at[-1] > bob_admitted
    ]
    assert len(ran_meanwhile) <= 1, log
    assert turns["alice"] >= 2  # she did keep asking
    answered = Exchange.objects.get(user=bob)
    assert answered.status == Exchange.Status.DONE
    assert answered.answer_path == Exchange.AnswerPath.GENERATED
    assert generation_queue.depth() == 0


@pytest.mark.django_db(transaction=True)
def test_an_expired_reservation_goes_to_the_back_or_quotes_never_fails(
    chat_users, settings, empty_queue
):
    """hana's reservation is not opened within the timeout and is released; when her stream
    opens later it is admitted again behind lea's, who was admitted meanwhile; with the queue
    full it is answered with quotations instead. Neither stream ends in an error."""
    settings.RAG_QUEUE_OPEN_TIMEOUT_S = 0.2
    late = create_exchange(user=chat_users["hana"], question=LEAVE, mode="generated")
    _wait_for(lambda: generation_queue.depth() == 0, "the unopened place to expire")

    settings.RAG_QUEUE_OPEN_TIMEOUT_S = 60.0
    running = generation_queue.wait_turn("running")  # someone else generates meanwhile
    assert list(running) == []  # it holds the slot
    waiting = create_exchange(user=chat_users["lea"], question=LEAVE, mode="generated")
    log: list[tuple[str, str]] = []
    errors: list[BaseException] = []

    def stream(name: str, exchange: Exchange) -> Callable[[], None]:
        def run() -> None:
            for event in stream_answer(exchange):
                if event.kind == "queued":
                    log.append((name, f"queued {event.text}"))
                elif event.kind in ("token", "done", "error"):
                    log.append((name, event.kind))

        return run

    threads = [_in_thread(stream("lea", waiting), errors)]
    _wait_for(lambda: ("lea", "queued 1") in log, "lea waiting behind the running generation")
    threads.append(_in_thread(stream("hana", late), errors))
    _wait_for(lambda: ("hana", "queued 2") in log, "hana re-admitted behind lea")
    generation_queue.finish("running")
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    firsts = [name for name, what in log if what == "token"]
    assert firsts[0] == "lea"  # the expired reservation did not take lea's turn
    late.refresh_from_db()
    waiting.refresh_from_db()
    assert (late.status, waiting.status) == (Exchange.Status.DONE, Exchange.Status.DONE)
    assert late.metrics["queue_place_expired"] is True
    assert late.answer_path == Exchange.AnswerPath.GENERATED

    # Expired again, and this time the queue is full: quotations, not an error.
    settings.RAG_QUEUE_OPEN_TIMEOUT_S = 0.2
    again = create_exchange(user=chat_users["hana"], question=LEAVE, mode="generated")
    _wait_for(lambda: generation_queue.depth() == 0, "the unopened place to expire")
    settings.RAG_QUEUE_OPEN_TIMEOUT_S = 60.0
    keys = [f"busy-{i}" for i in range(generation_queue.capacity)]
    for key in keys:
        generation_queue.admit(key)
    try:
        kinds = [event.kind for event in stream_answer(again)]
    finally:
        for key in keys:
            generation_queue.release(key)
    assert kinds[-1] == "done" and "error" not in kinds
    again.refresh_from_db()
    assert again.status == Exchange.Status.DONE
    assert again.answer_path == Exchange.AnswerPath.QUOTE
    assert "busy" in again.metrics["path_reason"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "busy", "retry"),
    [
        ("en", "{ahead} questions are ahead of yours", "Please try again in"),
        ("fr", "{ahead} questions passent avant la vôtre", "Réessayez dans"),
    ],
)
def test_full_queue_503_says_the_position_and_when_to_retry(
    chat_users, client_for, empty_queue, language, busy, retry
):
    keys = [f"busy-{i}" for i in range(generation_queue.capacity)]
    for key in keys:
        generation_queue.admit(key)
    try:  # the override undoes the language the request activates (it would leak into tests)
        with translation.override(translation.get_language()):
            response = _ask(client_for(chat_users["hana"]), HTTP_ACCEPT_LANGUAGE=language)
    finally:
        for key in keys:
            generation_queue.release(key)
    assert response.status_code == 503
    message = response.content.decode()
    assert busy.format(ahead=generation_queue.capacity) in message and retry in message
    seconds = RETRY_IN.search(message)
    assert seconds and seconds.group(1) == response["Retry-After"]
    # Every place is an unopened reservation: one frees when it expires, within the timeout.
    assert 1 <= int(response["Retry-After"]) <= 60


def test_queue_rules_on_a_queue_of_its_own(settings):
    """The rules without the chat around them: the share per user, the capacity, the turn kept
    by a place whose stream is opening, expiry of unopened places only, and the slot going to
    the earliest admitted open place."""
    settings.RAG_QUEUE_SIZE = 2
    settings.RAG_QUEUE_PER_USER = 1
    settings.RAG_QUEUE_OPEN_TIMEOUT_S = 60.0
    queue = GenerationQueue()
    queue.admit("alice-1", owner=1)
    with pytest.raises(ShareExceeded) as share:
        queue.admit("alice-2", owner=1)
    assert share.value.limit == 1 and share.value.retry_after >= 1
    queue.admit("alice-1", owner=1)  # the same place again (a reconnecting stream)
    queue.admit("bob-1", owner=2)
    queue.admit("carl-1", owner=3)
    with pytest.raises(QueueFull) as full:
        queue.admit("dan-1", owner=4)
    assert full.value.ahead == 3 == queue.capacity

    # carl opens his stream before bob, but bob was admitted first; alice, admitted before both,
    # has not opened hers yet: the free slot waits for her (her browser is opening it).
    assert queue.claim("carl-1") and queue.claim("bob-1")
    bob = queue.wait_turn("bob-1", poll=0.01)
    assert next(bob) == 1  # alice's place is ahead
    # She never opens it: past the opening grace, open places go first, and it expires.
    settings.RAG_QUEUE_OPEN_TIMEOUT_S = 0.05  # (the grace is never longer than the timeout)
    time.sleep(0.06)
    assert list(bob) == []  # bob holds the slot now
    assert queue.depth() == 2  # alice's unopened place expired; the open ones never do
    assert queue.position("carl-1") == 1
    assert not queue.claim("alice-1")  # ... and it is not given back
    queue.admit("alice-3", owner=1)
    assert queue.claim("alice-3")
    assert queue.position("alice-3") == 2  # behind carl, though her first place was ahead
    queue.finish("bob-1")
    assert list(queue.wait_turn("carl-1")) == []
    queue.finish("carl-1")
    assert list(queue.wait_turn("alice-3")) == []
    queue.finish("alice-3")
    assert queue.depth() == 0
