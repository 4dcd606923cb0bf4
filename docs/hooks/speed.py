"""Speed tables come from the last committed benchmark run, so that no page states a time.

One directive, alone on its line in a page's Markdown:

``<!-- speed -->``
    Every op of ``benchmarks/results.json`` (written by ``./dev bench``) as a table, after
    a line that says when, on which machine, with which libraries, and NumPy's dgemm rate.

``<!-- speed: dense conv_pool -->``
    The same for the named benchmark modules only.

A name that is not in the results fails the build.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results.json"
SPEED = re.compile(r"^<!-- speed(?:: (?P<names>[\w ]+))? -->$", re.MULTILINE)


def load() -> dict[str, Any]:
    """The last committed benchmark run."""
    return json.loads(RESULTS.read_text(encoding="utf-8"))


def context(results: dict[str, Any]) -> str:
    """When, where and against what the results were measured, in one sentence."""
    machine, libraries = results["machine"], results["libraries"]
    versions = ", ".join(
        f"{name} {version}" for name, version in libraries.items() if version is not None
    )
    absent = [name for name, version in libraries.items() if version is None]
    missing = f" ({', '.join(absent)} not installed)" if absent else ""
    dgemm = results["dgemm"]
    return (
        f"Measured by `./dev bench` on {results['date']}: {machine['processor']}, "
        f"{machine['cores']} cores, {results['threads']} threads for every implementation; "
        f"{versions}{missing}. The machine's own float64 rate, NumPy's "
        f"{dgemm['size']} x {dgemm['size']} matrix product in the same run: "
        f"{dgemm['gflops']:.0f} GFLOP/s."
    )


def table(records: list[dict[str, Any]]) -> str:
    """The records as a Markdown table (medians; the ratio is deepref's time over the peer's)."""
    lines = [
        "| op | size | deepref ms | peer | peer ms | deepref / peer | deepref GFLOP/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in records:
        theirs, ratio = entry["peer_seconds"], entry["ratio"]
        peer_ms = f"{theirs * 1e3:.3g}" if theirs else "not installed"
        rate = (
            f"{entry['gflops']:.0f} ({100 * entry['fraction_of_dgemm']:.0f} % of dgemm's)"
            if entry["gflops"]
            else ""
        )
        lines.append(
            f"| {entry['op']} | {entry['size']} | {entry['deepref_seconds'] * 1e3:.3g} | "
            f"{entry['peer']} | {peer_ms} | {f'{ratio:.2f}' if ratio else ''} | {rate} |"
        )
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace each speed directive by its table."""
    if not SPEED.search(markdown):
        return markdown
    results = load()
    known = {entry["benchmark"] for entry in results["results"]}

    def render(match: re.Match[str]) -> str:
        names = (match.group("names") or "").split()
        unknown = [name for name in names if name not in known]
        if unknown:
            raise PluginError(
                f"{page.file.src_uri}: speed directive names {unknown}, not in "
                f"benchmarks/results.json (which has {sorted(known)})"
            )
        chosen = [e for e in results["results"] if not names or e["benchmark"] in names]
        return f"{context(results)}\n\n{table(chosen)}"

    return SPEED.sub(render, markdown)
