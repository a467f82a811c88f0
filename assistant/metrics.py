"""Prometheus metrics (prometheus-client). Counts and durations only: never text, never PII."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "rag_http_requests_total", "HTTP requests by route and status class", ["route", "status"]
)
REQUEST_SECONDS = Histogram("rag_http_request_seconds", "HTTP request duration", ["route"])
EXCHANGES = Counter("rag_exchanges_total", "Chat exchanges by outcome", ["outcome", "path"])
RETRIEVAL_SECONDS = Histogram(
    "rag_retrieval_seconds",
    "Retrieval latency",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
TTFT_SECONDS = Histogram(
    "rag_time_to_first_token_seconds",
    "Time to first token",
    buckets=(0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20),
)
TOKENS_PER_SECOND = Histogram(
    "rag_generation_tokens_per_second",
    "Generation speed per answer",
    buckets=(5, 10, 20, 30, 45, 60, 80, 100, 150),
)
QUEUE_DEPTH = Gauge("rag_generation_queue_depth", "Generations waiting or running")
INGEST_DOCUMENTS = Counter("rag_ingest_documents_total", "Documents by final state", ["state"])
INGEST_SECONDS = Histogram(
    "rag_ingest_stage_seconds",
    "Ingestion stage durations",
    ["stage"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
REDACTED_ENTITIES = Counter(
    "rag_redacted_entities_total", "PII entities redacted, by type (counts only)", ["entity_type"]
)
CELERY_TASKS = Counter("rag_celery_tasks_total", "Celery task outcomes", ["task", "outcome"])


class RequestMetricsMiddleware:
    """Counts requests per resolved route name (bounded cardinality: never the raw path)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = (match.view_name if match else None) or "unmatched"
        REQUESTS.labels(route=route, status=f"{response.status_code // 100}xx").inc()
        REQUEST_SECONDS.labels(route=route).observe(time.perf_counter() - started)
        return response


def _connect_celery_signals() -> None:
    from celery.signals import task_failure, task_retry, task_success

    def on_success(sender: object = None, **_: object) -> None:
        CELERY_TASKS.labels(task=getattr(sender, "name", "?"), outcome="success").inc()

    def on_failure(sender: object = None, **_: object) -> None:
        CELERY_TASKS.labels(task=getattr(sender, "name", "?"), outcome="failure").inc()

    def on_retry(sender: object = None, **_: object) -> None:
        CELERY_TASKS.labels(task=getattr(sender, "name", "?"), outcome="retry").inc()

    task_success.connect(on_success, weak=False)
    task_failure.connect(on_failure, weak=False)
    task_retry.connect(on_retry, weak=False)


_connect_celery_signals()
