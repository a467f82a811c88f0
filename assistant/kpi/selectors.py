"""Read side of the KPI dashboard: one query over the exchanges of a period (their review state
joined in), then every KPI in Python, per day and for the whole period.

Definitions (the README's "KPI dashboard" section says the same):
- requests: every exchange created in the period; "answered" are those that finished DONE or
  REFUSED (cancelled and failed exchanges are counted apart and left out of latency and rates);
- latency: total_ms (question received -> answer verified and stored) and ttft_ms, percentiles
  by linear interpolation over the answered exchanges that recorded them;
- tokens/s: completion tokens / generation seconds (total - time to first token), summed over the
  answers where the model produced tokens, so long answers weigh by their length;
- refusal and cache hit rates: share of answered exchanges refused / served from the cache;
- citation coverage and groundedness: means of the per-exchange metrics where computed;
- reviewed share: decided reviews (approved + rejected) / requests.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from assistant.chat.models import Exchange
from assistant.kpi.period import Period

ANSWERED = frozenset({Exchange.Status.DONE, Exchange.Status.REFUSED})
PATHS = tuple(Exchange.AnswerPath.values)  # generated, quote, refusal, cache
REVIEW_STATES = ("approved", "rejected", "queued")
UNRECORDED_ROUTE = "unrecorded"

_FIELDS = (
    "created_at",
    "status",
    "answer_path",
    "refused",
    "route",
    "feedback",
    "ttft_ms",
    "total_ms",
    "prompt_tokens",
    "completion_tokens",
    "estimated_cost",
    "cached_from_id",
    "metrics__citation_coverage",
    "metrics__groundedness",
    "review__state",
)


@dataclass(frozen=True, slots=True)
class ExchangeRow:
    day: date
    status: str
    answer_path: str
    refused: bool
    route: str
    feedback: int | None
    ttft_ms: float | None
    total_ms: float | None
    prompt_tokens: int
    completion_tokens: int
    estimated_cost: float | None
    from_cache: bool
    citation_coverage: float | None
    groundedness: float | None
    review_state: str | None
    remote: bool = False  # answered by a non-local route: the machine only retrieved and verified


def exchange_rows(period: Period) -> list[ExchangeRow]:
    """The exchanges created in `period`, oldest first, reduced to what the KPIs need."""
    first, after = period.bounds
    days = period.days
    # Start of each day: bisecting them is ~5x cheaper than timezone.localtime() per row.
    starts = [Period(day, day).bounds[0] for day in days]
    remote_routes = _remote_route_names()
    rows = (
        Exchange.objects.filter(created_at__gte=first, created_at__lt=after)
        .order_by("created_at")
        .values_list(*_FIELDS)
    )
    return [
        ExchangeRow(
            day=days[bisect_right(starts, created) - 1],
            status=status,
            answer_path=path,
            refused=refused,
            route=route or UNRECORDED_ROUTE,
            feedback=feedback,
            ttft_ms=ttft,
            total_ms=total,
            prompt_tokens=prompt or 0,
            completion_tokens=completion or 0,
            estimated_cost=cost,
            from_cache=path == Exchange.AnswerPath.CACHE or cached_from is not None,
            citation_coverage=_number(coverage),
            groundedness=_number(grounded),
            review_state=review,
            remote=route in remote_routes,
        )
        for (created, status, path, refused, route, feedback, ttft, total, prompt, completion,
             cost, cached_from, coverage, grounded, review) in rows
    ]  # fmt: skip


def _remote_route_names() -> frozenset[str]:
    """Routes of the current policy that run off this machine (their time is not our busy time;
    their cost is their recorded estimated_cost). Routes no longer in the policy count as local:
    the self-hosted figure stays an upper bound."""
    from assistant.chat.routing.policy import current_policy

    return frozenset(name for name, route in current_policy().routes.items() if not route.local)


def _number(value: Any) -> float | None:
    # JSON metrics from older rows may hold null, a string or nothing at all.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Kpis:
    """Every KPI of a set of exchanges (a day, a week, a period)."""

    requests: int = 0
    answered: int = 0
    errors: int = 0
    cancelled: int = 0
    paths: dict[str, int] = field(default_factory=dict)
    routes: dict[str, int] = field(default_factory=dict)
    p50_ms: float | None = None
    p95_ms: float | None = None
    p50_ttft_ms: float | None = None
    p95_ttft_ms: float | None = None
    tokens_per_s: float | None = None
    refusal_rate: float | None = None
    cache_hit_rate: float | None = None
    citation_coverage: float | None = None
    groundedness: float | None = None
    feedback_up: int = 0
    feedback_down: int = 0
    reviews: dict[str, int] = field(default_factory=dict)
    # Inputs of the cost figures (assistant.kpi.costing).
    timed: int = 0  # answered exchanges with a total_ms
    busy_seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    generated: int = 0  # answers where the model produced tokens (cache hits excluded)
    generated_seconds: float = 0.0
    generated_prompt_tokens: int = 0
    generated_completion_tokens: int = 0
    cache_hits: int = 0
    cache_seconds: float = 0.0
    estimated_cost: float = 0.0
    estimated_cost_count: int = 0

    @property
    def unanswered(self) -> int:
        """Requests that were not answered: cancelled, failed (or still running)."""
        return self.requests - self.answered

    @property
    def negative_feedback_share(self) -> float | None:
        return _share(self.feedback_down, self.feedback_up + self.feedback_down)

    @property
    def reviewed(self) -> int:
        return self.reviews.get("approved", 0) + self.reviews.get("rejected", 0)

    @property
    def reviewed_share(self) -> float | None:
        return _share(self.reviewed, self.requests)

    @property
    def mean_busy_seconds(self) -> float | None:
        return self.busy_seconds / self.timed if self.timed else None

    @property
    def mean_generated_seconds(self) -> float | None:
        return self.generated_seconds / self.generated if self.generated else None

    @property
    def mean_cache_seconds(self) -> float | None:
        return self.cache_seconds / self.cache_hits if self.cache_hits else None


def kpis_of(rows: Iterable[ExchangeRow]) -> Kpis:
    kpis = Kpis()
    paths: Counter[str] = Counter()
    routes: Counter[str] = Counter()
    reviews: Counter[str] = Counter()
    totals: list[float] = []
    ttfts: list[float] = []
    coverage: list[float] = []
    grounded: list[float] = []
    generation_tokens = 0
    generation_seconds = 0.0
    refused = 0
    for row in rows:
        kpis.requests += 1
        routes[row.route] += 1
        if row.review_state:
            reviews[row.review_state] += 1
        if row.feedback is not None and row.feedback > 0:
            kpis.feedback_up += 1
        elif row.feedback is not None and row.feedback < 0:
            kpis.feedback_down += 1
        if row.estimated_cost is not None:
            kpis.estimated_cost += row.estimated_cost
            kpis.estimated_cost_count += 1
        if row.status not in ANSWERED:
            kpis.errors += row.status == Exchange.Status.ERROR
            kpis.cancelled += row.status == Exchange.Status.CANCELLED
            continue
        kpis.answered += 1
        paths["cache" if row.from_cache else row.answer_path] += 1
        refused += row.refused or row.answer_path == Exchange.AnswerPath.REFUSAL
        kpis.prompt_tokens += row.prompt_tokens
        kpis.completion_tokens += row.completion_tokens
        if row.citation_coverage is not None:
            coverage.append(row.citation_coverage)
        if row.groundedness is not None:
            grounded.append(row.groundedness)
        if row.ttft_ms is not None:
            ttfts.append(row.ttft_ms)
        if row.total_ms is None:
            continue
        totals.append(row.total_ms)
        kpis.timed += 1
        if not row.remote:
            kpis.busy_seconds += row.total_ms / 1000
        if row.from_cache:
            kpis.cache_seconds += row.total_ms / 1000
        elif row.completion_tokens:
            kpis.generated += 1
            kpis.generated_seconds += row.total_ms / 1000
            kpis.generated_prompt_tokens += row.prompt_tokens
            kpis.generated_completion_tokens += row.completion_tokens
            if row.ttft_ms is not None and row.total_ms > row.ttft_ms:
                generation_tokens += row.completion_tokens
                generation_seconds += (row.total_ms - row.ttft_ms) / 1000
    kpis.cache_hits = paths["cache"]
    kpis.paths = {path: paths[path] for path in PATHS} | dict(paths)
    kpis.routes = dict(routes.most_common())
    kpis.reviews = {state: reviews[state] for state in REVIEW_STATES}
    kpis.p50_ms, kpis.p95_ms = percentile(totals, 50), percentile(totals, 95)
    kpis.p50_ttft_ms, kpis.p95_ttft_ms = percentile(ttfts, 50), percentile(ttfts, 95)
    kpis.tokens_per_s = generation_tokens / generation_seconds if generation_seconds else None
    kpis.refusal_rate = _share(refused, kpis.answered)
    kpis.cache_hit_rate = _share(kpis.cache_hits, kpis.answered)
    kpis.citation_coverage = _mean(coverage)
    kpis.groundedness = _mean(grounded)
    return kpis


@dataclass(frozen=True)
class DailyKpis:
    period: Period
    total: Kpis
    days: list[tuple[date, Kpis]]
    routes: list[str]  # every route seen in the period, most used first


def daily_kpis(period: Period, rows: Sequence[ExchangeRow] | None = None) -> DailyKpis:
    """KPIs per day (every day of the period, empty ones included) and for the whole period."""
    if rows is None:
        rows = exchange_rows(period)
    by_day: dict[date, list[ExchangeRow]] = defaultdict(list)
    for row in rows:
        by_day[row.day].append(row)
    total = kpis_of(rows)
    return DailyKpis(
        period=period,
        total=total,
        days=[(day, kpis_of(by_day.get(day, ()))) for day in period.days],
        routes=list(total.routes),
    )


def rows_between(rows: Iterable[ExchangeRow], period: Period) -> list[ExchangeRow]:
    return [row for row in rows if period.start <= row.day <= period.end]
