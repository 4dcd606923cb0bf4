"""The laws, as tested: one generated page per test file, each test shown as it is.

A concept page states its laws in words and links each to its test here; the
test's own docstring and code follow, taken from ``tests/`` when the site is
built. Two checks keep pages and tests together:

* a link to a test that does not exist is a broken anchor (the strict build fails);
* a concept page ``docs/<name>.md`` whose ``tests/test_<name>.py`` holds a test
  that the page does not link to draws a warning, which fails the strict build.
"""

from __future__ import annotations

import ast
import html
import logging
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
log = logging.getLogger("mkdocs.hooks.laws")


def _tests(path: Path) -> tuple[str, list[tuple[str, str, str, int]]]:
    """The module docstring and, per test function: name, docstring, source, first line."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    lines = text.splitlines()
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            source = "\n".join(lines[first - 1 : node.end_lineno])
            found.append((node.name, ast.get_docstring(node) or "", source, first))
    return ast.get_docstring(tree) or "", found


#: Inline code in a docstring: ``code`` or `code`, kept as it is.
_CODE = re.compile(r"(``.+?``|`[^`\n]+`)")


def _as_text(doc: str) -> str:
    """A docstring as Markdown that shows every character of it.

    Outside inline code, ``<`` and ``&`` would start HTML (``<J^T u, v>`` vanished as a tag)
    and ``*`` or ``_`` emphasis (``2**63``, ``||x||_p <= ... ||x||_2``): they are escaped.
    Inside inline code nothing is.
    """
    parts = _CODE.split(doc)
    for k in range(0, len(parts), 2):  # the even parts lie outside inline code
        parts[k] = html.escape(parts[k], quote=False).replace("*", "\\*").replace("_", "\\_")
    return "".join(parts)


def _page(path: Path) -> str:
    module_doc, tests = _tests(path)
    title, _, rest = module_doc.partition("\n")
    parts = [
        f"# {path.name}: {title.rstrip('.')}",
        "",
        rest.strip(),
        "",
        f"{len(tests)} laws, in the order of the file `tests/{path.name}`.",
        "",
    ]
    for name, doc, source, first in tests:
        parts += [
            f"## `{name}` {{#{name}}}",
            "",
            _as_text(doc.strip()) or "(no docstring)",
            "",
            f'```python title="tests/{path.name}, line {first}" linenums="{first}"',
            source,
            "```",
            "",
        ]
    return "\n".join(parts)


def _index(paths: list[Path]) -> str:
    parts = [
        "# The laws, as tested",
        "",
        "Every law a page states is a test, and every test is shown here as it runs in "
        "CI: its docstring says the law in words, its code says how it is checked and to "
        "which tolerance. The property tests draw their inputs with Hypothesis.",
        "",
        "| file | laws | what it checks |",
        "|---|---|---|",
    ]
    for path in paths:
        module_doc, tests = _tests(path)
        summary = module_doc.partition("\n")[0]
        parts.append(f"| [`{path.name}`]({path.stem}.md) | {len(tests)} | {summary} |")
    return "\n".join(parts) + "\n"


def on_files(files: Files, config: MkDocsConfig) -> Files:
    paths = sorted(TESTS.glob("test_*.py"))
    files.append(File.generated(config, "laws/index.md", content=_index(paths)))
    for path in paths:
        files.append(File.generated(config, f"laws/{path.stem}.md", content=_page(path)))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    name = Path(page.file.src_uri).stem
    test_file = TESTS / f"test_{name}.py"
    if page.file.src_uri.count("/") == 0 and test_file.is_file():
        linked = set(re.findall(rf"laws/test_{name}\.md#(\w+)", markdown))
        missing = [test for test, *_ in _tests(test_file)[1] if test not in linked]
        if missing:
            log.warning(
                "%s states no law for these tests of %s: %s",
                page.file.src_uri,
                test_file.name,
                ", ".join(missing),
            )
    return markdown
