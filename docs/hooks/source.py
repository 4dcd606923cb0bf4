"""Code on a page comes from the source file, so that the page cannot drift from the code.

Two directives, each alone on its line in a page's Markdown:

``<!-- source: reference/regression.py::_batch_gradient -->``
    The function or class of that name, decorators included, as it is in the
    file, with the file's own line numbers. A name that is not there fails the
    build.

``<!-- source: reference/regression.py::fit_least_squares without docstring -->``
    The same without its docstring, which the page's API section shows (a public
    function's docstring is often most of its lines): a comment marks where it was.

``<!-- run: docs/examples/check_your_gradient.py -->``
    The whole script, then what it prints, run when the site is built.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import runpy
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[2]
SOURCE = re.compile(
    r"^<!-- source: (?P<path>[\w/.-]+\.py)::(?P<name>\w+)(?P<bare> without docstring)? -->$",
    re.MULTILINE,
)
RUN = re.compile(r"^<!-- run: (?P<path>[\w/.-]+\.py) -->$", re.MULTILINE)


def _definition(path: str, name: str, page: str, bare: bool = False) -> tuple[str, int, int]:
    """The source text of the top-level def or class ``name`` in ``path``, and its line span.

    With ``bare``, the docstring's lines are replaced by one comment saying where it is.
    """
    file = ROOT / path
    if not file.is_file():
        raise PluginError(f"{page}: source directive names {path}, which does not exist")
    text = file.read_text(encoding="utf-8")
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            last = node.end_lineno or node.lineno
            lines = text.splitlines()[first - 1 : last]
            docstring = node.body[0] if node.body else None
            is_doc = isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant)
            if bare and is_doc and docstring is not None:
                start, end = docstring.lineno - first, (docstring.end_lineno or 0) - first
                indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
                lines[start : end + 1] = [
                    f"{indent}# (the docstring is left out here: see the API)"
                ]
            elif bare:
                raise PluginError(f"{page}: {path}::{name} has no docstring to leave out")
            return "\n".join(lines), first, last
    raise PluginError(f"{page}: {path} has no top-level function or class named {name!r}")


def _fence(code: str, title: str, first_line: int | None = None) -> str:
    numbers = f' linenums="{first_line}"' if first_line else ""
    return f'```python title="{title}"{numbers}\n{code}\n```'


def _include(match: re.Match[str], page: str) -> str:
    path, name = match["path"], match["name"]
    if match["bare"]:  # the lines are no longer consecutive: no line numbers
        code, first, last = _definition(path, name, page, bare=True)
        return _fence(code, f"{path}, lines {first} to {last}, without the docstring")
    code, first, last = _definition(path, name, page)
    return _fence(code, f"{path}, lines {first} to {last}", first)


def _run(match: re.Match[str], page: str) -> str:
    path = match["path"]
    file = ROOT / path
    if not file.is_file():
        raise PluginError(f"{page}: run directive names {path}, which does not exist")
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            runpy.run_path(str(file), run_name="__main__")
    except Exception as error:  # the example must run: a failure is a build error
        raise PluginError(f"{page}: running {path} failed: {error!r}") from error
    printed = output.getvalue().rstrip("\n")
    code = file.read_text(encoding="utf-8").rstrip("\n")
    heading = "What it prints (run when this page was built)"
    return _fence(code, path) + f'\n\n```text title="{heading}"\n{printed}\n```'


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    where = page.file.src_uri
    markdown = SOURCE.sub(lambda m: _include(m, where), markdown)
    return RUN.sub(lambda m: _run(m, where), markdown)
