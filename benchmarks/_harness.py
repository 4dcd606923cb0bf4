"""Timing helpers shared by the benchmark scripts: side by side, in one run, medians.

Each benchmark module has a ``measure()`` that returns one record per op (what
:func:`record` builds) and a ``main()`` that prints them; ``benchmarks/run.py``
(``./dev bench``) runs them all and writes ``benchmarks/results.json``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Both peers get the same two threads (the machine's cores).
THREADS = 2
for _variable in (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
):
    os.environ.setdefault(_variable, str(THREADS))

import numpy as np  # noqa: E402  (after the thread counts, which BLAS reads when it loads)

#: The size of the matrix product that measures the machine's own float64 rate.
DGEMM_SIZE = 2048


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


def dgemm_gflops(size: int = DGEMM_SIZE) -> float:
    """The machine's float64 rate: GFLOP/s of NumPy's ``size`` x ``size`` matrix product."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((size, size)), rng.standard_normal((size, size))
    seconds = median_seconds(lambda: a @ b, repeats=7, warmup=2)
    return 2.0 * size**3 / seconds / 1e9


def peak_memory_mib(setup: str, run: str) -> float:
    """How far ``run`` raises the peak resident memory of a fresh Python, in MiB.

    ``setup`` (imports, inputs, a small first call that compiles or loads what ``run``
    needs) runs first; then the high-water mark of the resident set is reset to the present
    size (Linux's ``/proc/self/clear_refs``), and ``run`` is executed once: the answer is the
    mark's rise. Both are Python source, run in a subprocess with the benchmarks' thread
    counts, so neither library's earlier allocations, nor the other library, count.
    """
    script = "\n".join(
        [
            "def status(field):",
            "    for line in open('/proc/self/status'):",
            "        if line.startswith(field + ':'):",
            "            return int(line.split()[1])  # kB",
            setup,
            # Linux: writing 5 resets the high-water mark, VmHWM, to the present VmRSS
            "open('/proc/self/clear_refs', 'w').write('5')",
            "before = status('VmRSS')",
            run,
            "print((status('VmHWM') - before) / 1024.0)",
        ]
    )
    here = Path(__file__).resolve().parent
    environment = {**os.environ, "PYTHONPATH": f"{here.parent}{os.pathsep}{here}"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    return float(result.stdout.split()[-1])


def record(
    op: str,
    size: str,
    seconds: dict[str, float],
    *,
    peer: str,
    flops: float | None = None,
) -> dict[str, Any]:
    """One op's measurement: deepref's median seconds, the peer's (None when it is absent)."""
    return {
        "op": op,
        "size": size,
        "deepref_seconds": seconds["deepref"],
        "peer": peer,
        "peer_seconds": seconds.get(peer),
        "flops": flops,
    }


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def report(records: list[dict[str, Any]], dgemm: float) -> str:
    """The records as a Markdown table: times, the ratio to the peer, the rate against dgemm's."""
    rows = []
    for entry in records:
        ours, theirs = entry["deepref_seconds"], entry["peer_seconds"]
        rate = entry["flops"] / ours / 1e9 if entry["flops"] else None
        rows.append(
            (
                entry["op"],
                entry["size"],
                f"{ours * 1e3:.3g}",
                entry["peer"],
                f"{theirs * 1e3:.3g}" if theirs else "not installed",
                f"{ours / theirs:.2f}" if theirs else "",
                f"{rate:.1f} ({100 * rate / dgemm:.0f} %)" if rate else "",
            )
        )
    header = (
        "op",
        "size",
        "deepref ms",
        "peer",
        "peer ms",
        "deepref / peer",
        "deepref GFLOP/s (of dgemm's)",
    )
    return table(rows, header)


def memory_report(entries: list[dict[str, Any]]) -> str:
    """Peak memory records as a Markdown table: deepref's im2col buffer, each peer's peak."""
    rows = []
    for entry in entries:
        peaks = entry["peak_mib"]
        ours, theirs = peaks["deepref"], peaks.get("PyTorch")
        rows.append(
            (
                entry["op"] + ", forward + backward",
                entry["size"],
                f"{entry['outputs_mib']:.3g}",
                f"{entry['im2col_mib_per_sample']:.3g} (one sample at a time)",
                f"{ours:.3g}",
                f"{theirs:.3g}" if theirs is not None else "not installed",
                f"{ours / theirs:.2f}" if theirs else "",
            )
        )
    header = (
        "op",
        "size",
        "outputs and gradients MiB",
        "deepref im2col MiB",
        "deepref peak MiB",
        "PyTorch peak MiB",
        "deepref / PyTorch",
    )
    return table(rows, header)


def print_report(records: list[dict[str, Any]]) -> None:
    """Measure the machine's dgemm rate and print the records against it."""
    dgemm = dgemm_gflops()
    print(f"{THREADS} threads; NumPy's {DGEMM_SIZE} x {DGEMM_SIZE} dgemm: {dgemm:.1f} GFLOP/s")
    print(report(records, dgemm))
