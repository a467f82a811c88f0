"""Cost per request, self-hosted and at external API list prices, from settings.

Self-hosted: the machine costs the same per hour whether it answers or not, so one request costs
its share of the hour: (hardware amortisation + power) per hour x the seconds it kept the model
busy. That is the cost at full utilisation; idle time is on top and shows on the dashboard as
utilisation. External APIs bill tokens: prompt and completion tokens x list price per million.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.conf import settings


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
