"""The one home of cost arithmetic: what a request costs self-hosted and at external API list
prices, what one exchange through a route cost, and what a period and the cache cost or saved.
Pure functions on settings, routes and Kpis; no query.

Self-hosted: the machine costs (hardware amortisation + power) per hour whether it answers or not,
so one request costs its share of the hour: cost per hour x the seconds it kept the model busy.
At full utilisation it serves 3600 / (mean busy seconds per request) requests an hour, so one
request costs self_hosted_cost(mean busy seconds). Busy seconds are the measured wall time of each
answered exchange (retrieval, prompt processing, generation, verification); under contention they
include time spent waiting in the generation queue, so the figure is an upper bound. The actual
cost per request adds idle time: cost per hour x elapsed hours of the period / requests.

External APIs bill tokens: prompt and completion tokens x list price per million.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.utils import timezone

if TYPE_CHECKING:
    # Annotations only: chat code imports this module to price an exchange, so it must not pull
    # in the KPI selectors (and through them the chat models) when it is imported.
    from assistant.chat.routing.config import RouteConfig
    from assistant.kpi.period import Period
    from assistant.kpi.selectors import Kpis


@dataclass(frozen=True)
class TokenPrice:
    name: str
    input_per_million: float
    output_per_million: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (
            prompt_tokens * self.input_per_million + completion_tokens * self.output_per_million
        ) / 1_000_000


def self_hosted_cost_per_hour() -> float:
    """Hardware amortisation plus power, in settings.RAG_COST_CURRENCY per hour."""
    power = settings.RAG_POWER_WATTS / 1000 * settings.RAG_POWER_PRICE_PER_KWH
    return float(settings.RAG_HARDWARE_COST_PER_HOUR + power)


def self_hosted_cost(busy_seconds: float) -> float:
    """What `busy_seconds` of the self-hosted model cost at full utilisation."""
    return self_hosted_cost_per_hour() * max(0.0, busy_seconds) / 3600


def cloud_prices() -> list[TokenPrice]:
    """External API list prices from settings.RAG_CLOUD_PRICES, cheapest first."""
    configured = cast(dict[str, list[float]], settings.RAG_CLOUD_PRICES)  # validated by settings
    prices = [TokenPrice(name, float(pair[0]), float(pair[1])) for name, pair in configured.items()]
    return sorted(prices, key=lambda p: (p.input_per_million + p.output_per_million, p.name))


def route_cost(
    route: RouteConfig, *, prompt_tokens: int, completion_tokens: int, busy_seconds: float
) -> float | None:
    """Estimated cost in RAG_COST_CURRENCY of one answer through `route`. Token-billed when the
    route has a price (its own price_per_million, else RAG_CLOUD_PRICES for its model name);
    otherwise the busy time of a self-hosted machine (the route's cost_per_hour, else
    self_hosted_cost()). None for an external route without any known price: better no figure
    than a wrong one."""
    price: TokenPrice | None = None
    if route.price_per_million is not None:
        price = TokenPrice(route.name, *route.price_per_million)
    elif not route.local:
        price = next((p for p in cloud_prices() if p.name == route.model), None)
    if price is not None:
        return price.cost(prompt_tokens, completion_tokens)
    if route.cost_per_hour is not None:
        return route.cost_per_hour * max(0.0, busy_seconds) / 3600
    if not route.local:
        return None
    return self_hosted_cost(busy_seconds)


@dataclass(frozen=True)
class CloudComparison:
    price: TokenPrice
    per_request: float | None
    per_generated_answer: float | None
    period_total: float


@dataclass(frozen=True)
class CacheSavings:
    hits: int
    # What the hits would have cost as generated answers (self-hosted, and at each list price).
    cost_saved: float | None
    cloud_cost_saved: list[tuple[str, float]]
    seconds_saved: float | None  # answer time the users did not wait
    mean_generated_seconds: float | None
    mean_cache_seconds: float | None
    prompt_tokens_saved: int
    completion_tokens_saved: int


@dataclass(frozen=True)
class CostReport:
    currency: str
    hardware_per_hour: float
    power_watts: float
    power_price_per_kwh: float
    cost_per_hour: float
    mean_busy_seconds: float | None
    requests_per_hour: float | None  # at full utilisation
    tokens_per_s: float | None
    utilisation: float | None  # busy seconds / elapsed seconds of the period
    self_hosted_per_request: float | None
    self_hosted_per_generated_answer: float | None
    self_hosted_period_total: float  # busy time only
    actual_per_request: float | None  # idle time included
    mean_prompt_tokens: float | None
    mean_completion_tokens: float | None
    clouds: list[CloudComparison]
    estimated_cost_total: float
    estimated_cost_count: int
    cache: CacheSavings


def self_hosted_per_request(kpis: Kpis) -> float | None:
    busy = kpis.mean_busy_seconds
    return self_hosted_cost(busy) if busy is not None else None


def cloud_per_request(kpis: Kpis, price: TokenPrice) -> float | None:
    """The same prompt and completion tokens, per answered request, at `price`."""
    if not kpis.answered:
        return None
    return price.cost(kpis.prompt_tokens, kpis.completion_tokens) / kpis.answered


def _elapsed_seconds(period: Period, now: datetime | None = None) -> float:
    first, after = period.bounds
    end = min(after, now or timezone.now())
    return max(0.0, (end - first).total_seconds())


def cache_savings(kpis: Kpis, prices: list[TokenPrice]) -> CacheSavings:
    hits = kpis.cache_hits
    generated_s = kpis.mean_generated_seconds
    cache_s = kpis.mean_cache_seconds
    if not kpis.generated:
        return CacheSavings(hits, None, [], None, None, cache_s, 0, 0)
    # A hit stands for one generated answer: its mean cost, time and tokens.
    share = hits / kpis.generated
    prompt, completion = kpis.generated_prompt_tokens, kpis.generated_completion_tokens
    return CacheSavings(
        hits=hits,
        cost_saved=hits * self_hosted_cost(generated_s or 0.0),
        cloud_cost_saved=[(p.name, share * p.cost(prompt, completion)) for p in prices],
        seconds_saved=hits * max(0.0, (generated_s or 0.0) - (cache_s or 0.0)),
        mean_generated_seconds=generated_s,
        mean_cache_seconds=cache_s,
        prompt_tokens_saved=round(share * prompt),
        completion_tokens_saved=round(share * completion),
    )


def cost_report(kpis: Kpis, period: Period, *, now: datetime | None = None) -> CostReport:
    prices = cloud_prices()
    busy = kpis.mean_busy_seconds
    per_hour = self_hosted_cost_per_hour()
    elapsed = _elapsed_seconds(period, now)
    generated_s = kpis.mean_generated_seconds
    clouds = []
    for price in prices:
        per_answer = None
        if kpis.generated:
            per_answer = (
                price.cost(kpis.generated_prompt_tokens, kpis.generated_completion_tokens)
                / kpis.generated
            )
        clouds.append(
            CloudComparison(
                price=price,
                per_request=cloud_per_request(kpis, price),
                per_generated_answer=per_answer,
                period_total=price.cost(kpis.prompt_tokens, kpis.completion_tokens),
            )
        )
    return CostReport(
        currency=settings.RAG_COST_CURRENCY,
        hardware_per_hour=float(settings.RAG_HARDWARE_COST_PER_HOUR),
        power_watts=float(settings.RAG_POWER_WATTS),
        power_price_per_kwh=float(settings.RAG_POWER_PRICE_PER_KWH),
        cost_per_hour=per_hour,
        mean_busy_seconds=busy,
        requests_per_hour=3600 / busy if busy else None,
        tokens_per_s=kpis.tokens_per_s,
        utilisation=kpis.busy_seconds / elapsed if elapsed else None,
        self_hosted_per_request=self_hosted_per_request(kpis),
        self_hosted_per_generated_answer=(
            self_hosted_cost(generated_s) if generated_s is not None else None
        ),
        self_hosted_period_total=self_hosted_cost(kpis.busy_seconds),
        actual_per_request=per_hour * elapsed / 3600 / kpis.requests if kpis.requests else None,
        mean_prompt_tokens=kpis.prompt_tokens / kpis.answered if kpis.answered else None,
        mean_completion_tokens=kpis.completion_tokens / kpis.answered if kpis.answered else None,
        clouds=clouds,
        estimated_cost_total=kpis.estimated_cost,
        estimated_cost_count=kpis.estimated_cost_count,
        cache=cache_savings(kpis, prices),
    )
