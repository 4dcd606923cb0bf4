"""Timing helpers shared by the benchmark scripts: side by side, in one run, medians."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

#: Both peers get the same two threads (the machine's cores).
THREADS = 2
for _variable in (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
):
    os.environ.setdefault(_variable, str(THREADS))


def torch_or_none():  # type: ignore[no-untyped-def]
    """PyTorch with two threads, or None when it is not installed (it is an optional peer)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(THREADS)
    return torch


def median_seconds(run: Callable[[], object], *, repeats: int = 15, warmup: int = 3) -> float:
    """The median wall time of ``run()`` over ``repeats`` calls, after ``warmup`` calls."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def side_by_side(
    cases: dict[str, Callable[[], object]], *, rounds: int = 3, repeats: int = 15
) -> dict[str, float]:
    """Median seconds of each case, measured in interleaved rounds (the best round's median).

    Interleaving keeps a slow moment of the machine from falling on one peer only.
    """
    best = {name: float("inf") for name in cases}
    for _ in range(rounds):
        for name, run in cases.items():
            best[name] = min(best[name], median_seconds(run, repeats=repeats))
    return best


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
