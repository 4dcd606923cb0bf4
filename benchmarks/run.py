"""Every benchmark in one run, written to benchmarks/results.json (``./dev bench``).

    python benchmarks/run.py [--output PATH]

The machine's own float64 rate is measured in the same run, before and after the
benchmarks (NumPy's 2048 x 2048 matrix product; the higher of the two is kept), so that
every op with a flop count is also a fraction of it. PyTorch is an optional peer
(``pip install torch``): an op without its peer is timed alone. The site's Speed page and
the speed sections of the other pages render the committed results.json.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import pathlib
import platform
import sys
from importlib import metadata
from typing import Any

import _harness  # first: it sets the thread counts before NumPy loads BLAS

#: The benchmark modules, in the order of the pages.
MODULES = ("dense", "batchnorm", "conv_pool", "recurrent", "rbm")

HERE = pathlib.Path(__file__).resolve().parent


def _processor() -> str:
    """The CPU's model name where Linux says it, else what ``platform`` knows."""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def main(argv: list[str] | None = None) -> None:
    """Run every benchmark, print the table and write the JSON file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=pathlib.Path, default=HERE / "results.json")
    arguments = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    before = _harness.dgemm_gflops()
    records: list[dict[str, Any]] = []
    memory: list[dict[str, Any]] = []
    for name in MODULES:
        module = importlib.import_module(name)
        for entry in module.measure():
            records.append({"benchmark": name, **entry})  # an entry may name its own page
            print(f"measured {entry['op']}", flush=True)
        if hasattr(module, "memory"):  # peak memory, where a module measures it
            memory.append({"benchmark": name, **module.memory()})
    after = _harness.dgemm_gflops()
    dgemm = max(before, after)
    for entry in records:
        ours, theirs = entry["deepref_seconds"], entry["peer_seconds"]
        entry["ratio"] = ours / theirs if theirs else None
        entry["gflops"] = entry["flops"] / ours / 1e9 if entry["flops"] else None
        entry["fraction_of_dgemm"] = entry["gflops"] / dgemm if entry["gflops"] else None
    results = {
        "date": datetime.date.today().isoformat(),
        "machine": {
            "processor": _processor(),
            "cores": os.cpu_count(),
            "system": f"{platform.system()} {platform.machine()}",
            "python": platform.python_version(),
        },
        "threads": _harness.THREADS,
        "libraries": {
            package: _version(package)
            for package in ("numpy", "numba", "scipy", "scikit-learn", "torch")
        },
        "dgemm": {
            "size": _harness.DGEMM_SIZE,
            "gflops": dgemm,
            "gflops_before": before,
            "gflops_after": after,
        },
        "results": records,
        "memory": memory,
    }
    arguments.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"NumPy's dgemm: {before:.1f} GFLOP/s before, {after:.1f} after")
    print(_harness.report(records, dgemm))
    print(_harness.memory_report(memory))
    print(f"written to {arguments.output}")


if __name__ == "__main__":
    main()
