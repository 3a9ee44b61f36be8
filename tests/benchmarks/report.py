"""Print benchmark results the same way everywhere: ours, the baseline, and their ratio."""

from __future__ import annotations

import statistics


def summary(samples: list[float]) -> str:
    return f"median {statistics.median(samples):.3f}s (n={len(samples)}, max {max(samples):.3f}s)"


def ratio_line(what: str, ours: list[float], baseline: list[float], baseline_name: str) -> float:
    """Print one comparison and return the ratio of medians (ours / baseline)."""
    ratio = statistics.median(ours) / statistics.median(baseline)
    print(f"\n[bench] {what}")
    print(f"[bench]   ECHOES: {summary(ours)}")
    print(f"[bench]   {baseline_name}: {summary(baseline)}")
    print(f"[bench]   ratio ECHOES / {baseline_name}: {ratio:.2f}")
    return ratio
