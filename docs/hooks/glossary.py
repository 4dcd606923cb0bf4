"""The glossary's links lead to pages that use the term: this hook fails the build where not.

Each row of ``docs/glossary.md`` names an English term (alternatives separated by commas or
set in parentheses) and the page where it is defined. A row passes when, for one of its
alternatives, every word of three letters or more appears on that page's Markdown (a word
of five letters or more by its first five, so that "estimation" is found in "estimate" and
"standardisation" in "standardize"). Formulas in the term are left out.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError

DOCS = Path(__file__).resolve().parents[1]
ROW = re.compile(
    r"^\| (?P<term>[^|]+?) \| [^|]+ \| \[[^]]+\]\((?P<page>[\w/-]+)\.md(?:#[\w-]+)?\) \|$"
)


def _stems(term: str) -> list[str]:
    return [w[:5] if len(w) >= 5 else w for w in re.findall(r"[a-z][a-z-]{2,}", term.lower())]


def problems() -> list[str]:
    """Each glossary row whose page never uses its term, in words (empty when none)."""
    found = []
    for line in (DOCS / "glossary.md").read_text(encoding="utf-8").splitlines():
        row = ROW.match(line)
        if not row:
            continue
        page = DOCS / f"{row['page']}.md"
        text = page.read_text(encoding="utf-8").lower() if page.is_file() else ""
        term = re.sub(r"\$[^$]*\$", "", row["term"])
        alternatives = [part for part in re.split(r"[,()]", term) if _stems(part)]
        if not any(all(stem in text for stem in _stems(part)) for part in alternatives):
            found.append(f"{row['term']!r} links to {row['page']}.md, which never uses it")
    return found


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    broken = problems()
    if broken:
        raise PluginError("the glossary:\n  " + "\n  ".join(broken))
    return config
