"""Print benchmark results the same way everywhere: ours, the baseline, and their ratio."""

from __future__ import annotations

import statistics


def summary(samples: list[float]) -> str:
    return f"median {statistics.median(samples):.3f}s (n={len(samples)}, max {max(samples):.3f}s)"


def spread(samples: list[float]) -> str:
    """Median, 95th percentile and maximum: what a crowd waits, not only the typical one."""
    p95 = samples[0]
    if len(samples) > 1:
        p95 = statistics.quantiles(samples, n=20, method="inclusive")[-1]
    return (
        f"median {statistics.median(samples):.2f}s, p95 {p95:.2f}s, max {max(samples):.2f}s"
        f" (n={len(samples)})"
    )


def ratio_line(what: str, ours: list[float], baseline: list[float], baseline_name: str) -> float:
    """Print one comparison and return the ratio of medians (ours / baseline)."""
    ratio = statistics.median(ours) / statistics.median(baseline)
    print(f"\n[bench] {what}")
    print(f"[bench]   ECHOES: {summary(ours)}")
    print(f"[bench]   {baseline_name}: {summary(baseline)}")
    print(f"[bench]   ratio ECHOES / {baseline_name}: {ratio:.2f}")
    return ratio
