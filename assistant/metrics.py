"""Prometheus metrics (prometheus-client). Counts and durations only: never text, never PII."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

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
# KPI drift (assistant.kpi.drift): last 7 days vs the 7 before, signed relative change; NaN when
# a week has too few exchanges.
KPI_DRIFT_RATIO = Gauge("rag_kpi_drift_ratio", "Week-over-week relative change of a KPI", ["kpi"])
CACHE_LOOKUPS = Counter(
    "rag_cache_lookups_total", "Semantic cache lookups by outcome (hit, miss, skipped)", ["outcome"]
)
# Routing (assistant.chat.routing): one count per attempt, and whether each route's breaker is open.
ROUTE_REQUESTS = Counter(
    "rag_route_requests_total", "Model route attempts by outcome", ["route", "outcome"]
)
ROUTE_BREAKER_OPEN = Gauge("rag_route_breaker_open", "1 while a route's breaker is open", ["route"])


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


def observe_exchange(exchange: Any) -> None:
    """Record a finished exchange: outcome, path, retrieval latency, TTFT, generation speed."""
    EXCHANGES.labels(outcome=exchange.status, path=exchange.answer_path or "unknown").inc()
    if exchange.retrieval_ms is not None:
        RETRIEVAL_SECONDS.observe(exchange.retrieval_ms / 1000)
    if exchange.ttft_ms is not None:
        TTFT_SECONDS.observe(exchange.ttft_ms / 1000)
    if exchange.completion_tokens and exchange.total_ms and exchange.ttft_ms is not None:
        generating_s = (exchange.total_ms - exchange.ttft_ms) / 1000
        if generating_s > 0:
            TOKENS_PER_SECOND.observe(exchange.completion_tokens / generating_s)


def observe_cache_lookup(outcome: str) -> None:
    CACHE_LOOKUPS.labels(outcome=outcome).inc()


def observe_ingest(state: str, timings: dict[str, Any]) -> None:
    INGEST_DOCUMENTS.labels(state=state).inc()
    for stage, seconds in timings.items():
        if isinstance(seconds, int | float):
            INGEST_SECONDS.labels(stage=stage).observe(seconds)


def observe_redactions(counts: dict[str, int]) -> None:
    for entity_type, count in counts.items():
        REDACTED_ENTITIES.labels(entity_type=entity_type).inc(count)


def track_queue_depth(depth: Callable[[], int]) -> None:
    QUEUE_DEPTH.set_function(lambda: float(depth()))


def observe_route_attempt(route: str, outcome: str) -> None:
    ROUTE_REQUESTS.labels(route=route, outcome=outcome).inc()


def track_route_breaker(route: str, is_open: Callable[[], bool]) -> None:
    ROUTE_BREAKER_OPEN.labels(route=route).set_function(lambda: float(is_open()))


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
