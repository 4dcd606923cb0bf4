"""Dependencies point one way: the reference stands alone, the toolkit checks any implementation.

Imports are read from the source with ``ast`` (nothing is imported to find them):
``reference`` uses only numpy, numba, scipy, the standard library and itself;
the parts of ``numerics`` that implementers use on their own code
(``gradcheck``, ``tolerance``, ``strategies``) use nothing of ``reference``; and
no file anywhere reaches for a private name (``_windows``, ``_extrapolate``) of
another package, with one exception: the law file of a concept,
``tests/test_<name>.py``, may hold the kernels of ``reference/<name>.py`` to
their own laws (a fast path bit for bit against the general one).

The one import of ``reference`` from outside its three is scikit-learn's
digits, imported inside :func:`reference.digits.load_digits_split` (the data
ship inside that package), never at the top of a module.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("reference", "numerics", "tests", "docs", "benchmarks")
#: Packages that ship data sets, which a loader may import inside its own body.
DATA_PACKAGES = {"sklearn"}
STANDALONE_TOOLKIT = ("numerics/gradcheck.py", "numerics/tolerance.py", "numerics/strategies.py")


def _imports(tree: ast.AST, *, top_level_only: bool = False) -> list[tuple[str, str | None, int]]:
    """(module, imported name or None, line) for every import in the tree (or its top level)."""
    found = []
    for node in tree.body if top_level_only and isinstance(tree, ast.Module) else ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.module, alias.name, node.lineno) for alias in node.names]
    return found


def _top(module: str) -> str:
    return module.partition(".")[0]


def _package_of(path: Path) -> str:
    return path.relative_to(ROOT).parts[0]


def _where(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _python_files(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def _private_crossings(path: Path, text: str) -> list[str]:
    """Private names of another package that ``path`` imports or reads as an attribute."""
    tree = ast.parse(text)
    home = _package_of(path)
    # the law file of a concept may test the private kernels of that concept's module
    own = f"reference.{path.stem.removeprefix('test_')}" if home == "tests" else None
    foreign_modules: set[str] = set()  # local names bound to another package's modules
    problems = []
    for module, name, line in _imports(tree):
        if _top(module) not in PACKAGES or _top(module) == home:
            continue
        if own and ((module == "reference" and f"reference.{name}" == own) or module == own):
            continue
        parts = module.split(".") + ([name] if name else [])
        private = [part for part in parts if part.startswith("_") and not part.startswith("__")]
        if private:
            problems.append(f"{_where(path)}:{line} imports {'.'.join(parts)}")
        foreign_modules.add(name if name else module.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in foreign_modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            problems.append(f"{_where(path)}:{node.lineno} reads {node.value.id}.{node.attr}")
    return problems


def _outside(path: Path, allowed: set[str]) -> list[str]:
    """Imports of ``path`` from neither ``allowed`` nor the standard library.

    A data package (:data:`DATA_PACKAGES`) may be imported inside a function.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {line for *_, line in _imports(tree, top_level_only=True)}
    return [
        f"{_where(path)}:{line} imports {module}"
        for module, _, line in _imports(tree)
        if _top(module) not in allowed
        and _top(module) not in sys.stdlib_module_names
        and not (_top(module) in DATA_PACKAGES and line not in top_level)
    ]


def test_the_reference_imports_only_numpy_numba_scipy_and_itself() -> None:
    """A learner can read (and a port can copy) reference/ with no other dependency."""
    problems = [
        p
        for path in _python_files("reference")
        for p in _outside(path, {"numpy", "numba", "scipy", "reference"})
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", STANDALONE_TOOLKIT)
def test_the_toolkit_that_checks_other_code_does_not_import_the_reference(name: str) -> None:
    """gradcheck, tolerance and strategies judge any implementation, so none of them uses ours."""
    # ml_dtypes: bfloat16's finfo, optional, imported inside the one function that needs it
    allowed = {"numpy", "hypothesis", "numerics", "ml_dtypes"}
    problems = _outside(ROOT / name, allowed)
    assert not problems, "\n".join(problems)


def test_no_file_uses_a_private_name_of_another_package() -> None:
    """Names that start with an underscore stay inside their package: they may change at will."""
    problems = [
        p
        for path in _python_files(*PACKAGES)
        for p in _private_crossings(path, path.read_text(encoding="utf-8"))
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("package", "source", "found"),
    [
        ("tests", "from reference._windows import windows\n", "imports reference._windows"),
        (
            "docs",
            "from numerics import gradcheck\ngradcheck._noise(1, 2, 3)\n",
            "reads gradcheck._noise",
        ),
        ("benchmarks", "import reference._validation\n", "imports reference._validation"),
        (
            "tests/test_conv.py",
            "from reference import pooling\npooling._taps(1)\n",
            "reads pooling._taps",
        ),
    ],
)
def test_the_private_name_check_finds_a_planted_crossing(
    package: str, source: str, found: str
) -> None:
    """The check itself sees each form of the mistake: a private module, attribute or import."""
    path = ROOT / package if package.endswith(".py") else ROOT / package / "planted.py"
    problems = _private_crossings(path, source)
    assert len(problems) == 1
    assert found in problems[0]


def test_the_dependency_check_finds_a_planted_import(tmp_path: Path) -> None:
    """A reference module importing torch, or a toolkit module importing reference, is found."""
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import torch\nfrom reference import conv\nimport math\n"
        "import sklearn\n\n\ndef load():\n    import sklearn\n"
    )
    found = [p.rsplit(" ", 1)[-1] for p in _outside(planted, {"numpy", "reference"})]
    assert found == ["torch", "sklearn"]  # the import inside load() is a data loader's
    assert [p.rsplit(" ", 1)[-1] for p in _outside(planted, {"numpy", "torch"})] == [
        "reference",
        "sklearn",
    ]
