"""The quantile the benchmarks print."""

from __future__ import annotations


def quantile(values: list[float], q: float) -> float:
    """The nearest-rank q-quantile of `values` (q = 0.95 for p95); nan when empty."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
