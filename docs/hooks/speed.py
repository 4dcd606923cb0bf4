"""Speed tables come from the last committed benchmark run, so that no page states a time.

One directive, alone on its line in a page's Markdown:

``<!-- speed -->``
    Every op of ``benchmarks/results.json`` (written by ``./dev bench``) as a table, after
    a line that says when, on which machine, with which libraries, and NumPy's dgemm rate.

``<!-- speed: dense conv -->``
    The same for the named benchmarks only (a module's name, or the page an entry names:
    ``conv_pool`` measures for ``conv`` and ``pooling``).

A name that is not in the results fails the build.
"""

from __future__ import annotations

import importlib.util
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


def _harness() -> Any:
    """benchmarks/_harness.py, whose report renders the records (the scripts print the same)."""
    spec = importlib.util.spec_from_file_location("_harness", ROOT / "benchmarks" / "_harness.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
        report = _harness().report(chosen, results["dgemm"]["gflops"])
        memory = [e for e in results.get("memory", []) if not names or e["benchmark"] in names]
        if memory:
            report += (
                "\n\nPeak memory of one forward + backward, each library in a fresh process "
                "(the rise of the resident set's high-water mark, the outputs and gradients "
                "included):\n\n" + _harness().memory_report(memory)
            )
        return f"{context(results)}\n\n{report}"

    return SPEED.sub(render, markdown)
