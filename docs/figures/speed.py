"""The figure of the page speed.md, drawn at build time from benchmarks/results.json."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results.json"


def ratios() -> Figure:
    """The time of deepref over its peer's, for every op measured against one; a line at 1."""
    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    measured = [entry for entry in results["results"] if entry["ratio"] is not None]
    fig, ax = plt.subplots(figsize=(9.0, 0.45 * len(measured) + 1.2))
    names = [f"{entry['op']} (against {entry['peer']})" for entry in measured]
    values = [entry["ratio"] for entry in measured]
    colors = ["tab:green" if value <= 1.0 else "tab:red" for value in values]
    ax.barh(names, values, color=colors)
    for row, value in enumerate(values):
        ax.text(value, row, f" {value:.2f}", va="center", fontsize=8)
    ax.axvline(1.0, color="black", lw=1, ls="--")
    ax.invert_yaxis()
    ax.set_xlabel("deepref's time / the peer's (below 1: deepref is faster)")
    ax.set_title(
        f"forward + backward, float64, {results['threads']} threads each; {results['date']}",
        fontsize=9,
    )
    ax.set_xlim(0.0, max(values) * 1.2)
    return fig


FIGURES = {"speed": ratios}
