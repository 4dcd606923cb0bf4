"""One name per concept: the module, its page, its law file and its figures share it.

The rule is written once, in ``numerics.catalog.CONCEPTS`` (each concept and
the modules of ``reference`` it tells). This hook fails the build where the
tree disagrees with it:

* every public module ``reference/<m>.py`` belongs to exactly one concept;
* every concept ``c`` has its page ``docs/c.md``, its law file
  ``tests/test_c.py``, and the page shows the API of each of its modules
  (``::: reference.<m>``).
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError

from numerics.catalog import CONCEPTS

ROOT = Path(__file__).resolve().parents[2]


def problems() -> list[str]:
    """What in the tree breaks the rule, in words (empty when nothing does)."""
    found = []
    told = [module for modules in CONCEPTS.values() for module in modules]
    for path in sorted((ROOT / "reference").glob("[!_]*.py")):
        count = told.count(path.stem)
        if count != 1:
            found.append(
                f"reference/{path.name} belongs to {count} concepts in "
                f"numerics.catalog.CONCEPTS (it must belong to one)"
            )
    for concept, modules in CONCEPTS.items():
        page = ROOT / "docs" / f"{concept}.md"
        if not (ROOT / "tests" / f"test_{concept}.py").is_file():
            found.append(f"the concept {concept!r} has no law file tests/test_{concept}.py")
        if not page.is_file():
            found.append(f"the concept {concept!r} has no page docs/{concept}.md")
            continue
        text = page.read_text(encoding="utf-8")
        found += [
            f"docs/{concept}.md does not show the API of reference.{module} "
            f"(::: reference.{module})"
            for module in modules
            if f"::: reference.{module}\n" not in text
        ]
    return found


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    broken = problems()
    if broken:
        raise PluginError("one name per concept:\n  " + "\n  ".join(broken))
    return config
