"""The dashboard's summary counts, shared by the JSON route and the health page."""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["summarize"]


def summarize(services: list[Mapping[str, Any]], breaker_metrics: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """The dashboard summary.

    ``circuitBreakersOpen`` counts every registered breaker whose *effective*
    state is ``open`` - half-open breakers (reset timeout elapsed, awaiting a
    probe) are not counted: they already let a call through.
    """
    return {
        "totalServices": len(services),
        "servicesUp": sum(1 for s in services if s.get("status") == "up"),
        "servicesDown": sum(1 for s in services if s.get("status") == "down"),
        "servicesDegraded": sum(1 for s in services if s.get("status") == "degraded"),
        "circuitBreakersOpen": sum(1 for m in breaker_metrics.values()
                                   if isinstance(m, Mapping) and m.get("state") == "open"),
    }
