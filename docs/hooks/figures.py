"""Figures, drawn when the site is built, by the reference code itself: the registry.

Each page's figures are drawn by its own module, ``docs/figures/<page>.py``,
whose ``FIGURES`` maps a name (``<page>`` or ``<page>-<what>``) to a function
that computes what it shows with ``reference`` (or ``numerics``) and returns a
matplotlib figure. Every computation a figure shows is the reference's and is
tested there: no training loop or formula lives under ``docs/``. This hook only
collects the modules, checks that each figure is named for an existing page,
and renders each figure to a deterministic SVG (fixed hash salt, no date, text
kept as text) under ``figures/<name>.svg``. A page shows it with
``![what it shows](figures/<name>.svg)``, so a figure can never show a result
the code no longer gives.
"""

from __future__ import annotations

import importlib.util
import io
import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

DOCS = Path(__file__).resolve().parents[1]
FIGURE_MODULES = DOCS / "figures"
STYLE = {
    "svg.hashsalt": "deepref",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


def figures() -> dict[str, Callable[[], Figure]]:
    """Every figure of every page module, by name; a name not of its page fails the build."""
    if str(FIGURE_MODULES) not in sys.path:
        sys.path.insert(0, str(FIGURE_MODULES))  # for the modules' shared helpers, _common
    found: dict[str, Callable[[], Figure]] = {}
    for path in sorted(FIGURE_MODULES.glob("[!_]*.py")):
        if not (DOCS / f"{path.stem}.md").is_file():
            raise PluginError(
                f"docs/figures/{path.name} draws for docs/{path.stem}.md, which does not exist"
            )
        spec = importlib.util.spec_from_file_location(f"deepref_figures_{path.stem}", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, draw in module.FIGURES.items():
            if name != path.stem and not name.startswith(f"{path.stem}-"):
                raise PluginError(
                    f"docs/figures/{path.name}: the figure {name!r} must be "
                    f"named {path.stem!r} or {path.stem!r}-<what>"
                )
            found[name] = draw
    return found


def _svg(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue()


def on_files(files: Files, config: MkDocsConfig) -> Files:
    with plt.rc_context(STYLE):
        for name, draw in figures().items():
            files.append(File.generated(config, f"figures/{name}.svg", content=_svg(draw())))
    return files
