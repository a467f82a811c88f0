"""What a backend reports about itself for /healthz (assistant.health gathers the reports)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ComponentHealth:
    ok: bool
    detail: str
