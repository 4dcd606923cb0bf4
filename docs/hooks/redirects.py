"""Old addresses keep working: each renamed page leaves a page that sends the reader on.

When a page takes its concept's one name (``convolution.md`` became
``conv.md``), the old address gets a small HTML page that refreshes to the new
one, relative, so it works offline and under any base URL. The target must be
a page of the built site, or the build fails.
"""

from __future__ import annotations

import html
import posixpath
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError

#: old page -> new page, as source paths under docs/
REDIRECTS = {
    "convolution.md": "conv.md",
    "initialization.md": "init.md",
    "optimizers.md": "optim.md",
    "laws/test_convolution.md": "laws/test_conv.md",
    "laws/test_initialization.md": "laws/test_init.md",
    "laws/test_optimizers.md": "laws/test_optim.md",
}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Moved to {url}</title>
<meta http-equiv="refresh" content="0; url={url}"><link rel="canonical" href="{url}">
</head><body><p>This page is now at <a href="{url}">{url}</a>.</p></body></html>
"""


def _directory(source: str) -> str:
    """The folder of a source path's page in the site: ``conv.md`` -> ``conv``."""
    return source.removesuffix(".md").removesuffix("index").rstrip("/")


def on_post_build(config: MkDocsConfig) -> None:
    site = Path(config.site_dir)
    for old, new in REDIRECTS.items():
        target = _directory(new)
        if not (site / target / "index.html").is_file():
            raise PluginError(f"redirect {old} -> {new}: the site has no page {new}")
        url = posixpath.relpath(target, _directory(old)) + "/"
        page = site / _directory(old) / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(PAGE.format(url=html.escape(url)), encoding="utf-8")
