"""Serve KaTeX from the site itself: the maths renders with no network at all.

KaTeX is a declared, version-locked dependency in ``package.json`` (and its
lock file), installed by ``npm ci``; nothing of it is committed. This hook adds
its stylesheet, script, auto-render extension and fonts to the built site under
``assets/katex/``, where ``mkdocs.yml`` points ``extra_css`` and
``extra_javascript``.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "node_modules" / "katex" / "dist"
WANTED = ["katex.min.css", "katex.min.js", "contrib/auto-render.min.js"]


def on_files(files: Files, config: MkDocsConfig) -> Files:
    if not (DIST / "katex.min.js").is_file():
        raise PluginError(
            "KaTeX is not installed: run `npm ci` in the project root (./dev serve does it)"
        )
    sources = [DIST / name for name in WANTED] + sorted((DIST / "fonts").iterdir())
    for source in sources:
        uri = "assets/katex/" + source.relative_to(DIST).as_posix()
        files.append(File.generated(config, uri, abs_src_path=str(source)))
    return files
