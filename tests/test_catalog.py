"""Laws every op in the catalog obeys, checked the same way for each.

A new op registered in ``numerics.catalog`` is checked here the day it is
added: its backward against its forward, its forward against an independent
computation within the derived bound, its inputs left untouched, its answer
independent of memory layout and input precision, and bad input refused
with a message that names the function.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import assert_close, assert_gradient, catalog
from numerics import strategies as nst

NAMES = sorted(catalog.OPS)

#: The ``bounded`` fixture of ``conftest.py``: runs a call, within a time limit when asked to.
Bounded = Callable[[Callable[[], object], str], object]


def _d_out(output: object) -> object:
    """A cotangent of ones, shaped like the output (a float for a scalar output)."""
    return np.ones_like(output) if np.ndim(output) else 1.0


def _reference_modules() -> dict[str, Any]:
    """Every module of the reference, the private helpers included, by name."""
    import importlib
    import pkgutil

    import reference

    return {
        info.name: importlib.import_module(f"reference.{info.name}")
        for info in pkgutil.iter_modules(reference.__path__)
    }


def test_every_reference_op_with_a_backward_is_in_the_catalog() -> None:
    """Each public `name`/`name_backward` pair of the reference is registered."""
    pairs = set()
    for module_name, module in _reference_modules().items():
        if module_name.startswith("_"):
            continue
        for name in getattr(module, "__all__", ()):
            if name.endswith("_backward") and name.removesuffix("_backward") in module.__all__:
                pairs.add(name.removesuffix("_backward"))
    assert pairs <= set(NAMES), f"not in the catalog: {sorted(pairs - set(NAMES))}"


CASES = [(name, case) for name in NAMES for case, _ in catalog.get(name).cases()]


def _case(name: str, case: str) -> catalog.Example:
    return dict(catalog.get(name).cases())[case]


def _check_gradient(entry: catalog.OpEntry, example: catalog.Example, seed: int) -> None:
    example = entry.prepared(example)
    assert_gradient(
        entry.op, entry.op_backward, example.inputs, attrs=example.attrs, wrt=entry.wrt, seed=seed
    )


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_backward_is_the_gradient_of_the_forward(name: str, data: st.DataObject) -> None:
    """<J^T u, v> = <u, J v> along random directions, and entry by entry when small."""
    entry = catalog.get(name)
    _check_gradient(entry, data.draw(entry.examples), data.draw(nst.seeds()))


@pytest.mark.parametrize(("name", "case"), CASES)
def test_backward_is_the_gradient_of_the_forward_on_the_named_cases(name: str, case: str) -> None:
    """The same identity on each named edge case of the op."""
    _check_gradient(catalog.get(name), _case(name, case), seed=0)


def _check_agreement(entry: catalog.OpEntry, example: catalog.Example) -> None:
    example = entry.prepared(example)
    assert_close(
        entry.call_forward(example),
        example.call(entry.independent),
        gauge=entry.gauge(example),
        terms=2 * entry.terms(example),
    )


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_forward_agrees_with_an_independent_computation(name: str, data: st.DataObject) -> None:
    """The kernel and plain NumPy agree within gamma_2n of the gauge (both are rounded)."""
    entry = catalog.get(name)
    _check_agreement(entry, data.draw(entry.examples))


@pytest.mark.parametrize(("name", "case"), CASES)
def test_forward_agrees_with_an_independent_computation_on_the_named_cases(
    name: str, case: str
) -> None:
    """The same agreement on each named edge case of the op."""
    _check_agreement(catalog.get(name), _case(name, case))


def _check_no_mutation(entry: catalog.OpEntry, example: catalog.Example) -> None:
    example = entry.prepared(example)
    before = [np.array(value, copy=True) for value in example.inputs]
    output = entry.call_forward(example)
    d_out = _d_out(output)
    d_out_before = np.array(d_out, copy=True)
    entry.call_backward(d_out, example)
    for original, value in zip(before, example.inputs, strict=True):
        assert np.array_equal(original, np.asarray(value))
    assert np.array_equal(d_out_before, np.asarray(d_out))


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_inputs_are_never_mutated(name: str, data: st.DataObject) -> None:
    """Neither the forward nor the backward writes into an argument."""
    entry = catalog.get(name)
    _check_no_mutation(entry, data.draw(entry.examples))


@pytest.mark.parametrize(("name", "case"), CASES)
def test_inputs_are_never_mutated_on_the_named_cases(name: str, case: str) -> None:
    """Nor on the named edge cases."""
    _check_no_mutation(catalog.get(name), _case(name, case))


def _check_layout(entry: catalog.OpEntry, example: catalog.Example) -> None:
    example = entry.prepared(example)
    output = np.asarray(entry.call_forward(example))

    def changed(convert: object) -> catalog.Example:
        return catalog.Example(
            tuple(
                convert(v) if i in entry.array_inputs else v  # type: ignore[operator]
                for i, v in enumerate(example.inputs)
            ),
            example.attrs,
        )

    contiguous = changed(np.ascontiguousarray)
    assert np.array_equal(np.asarray(entry.call_forward(contiguous)), output)
    as_float32 = changed(lambda v: np.asarray(v, dtype=np.float32))
    widened = catalog.Example(
        tuple(
            np.asarray(v, dtype=np.float64) if i in entry.array_inputs else v
            for i, v in enumerate(as_float32.inputs)
        ),
        example.attrs,
    )
    assert np.array_equal(
        np.asarray(entry.call_forward(as_float32)), np.asarray(entry.call_forward(widened))
    )


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_layout_and_input_precision_do_not_change_the_result(
    name: str, data: st.DataObject
) -> None:
    """A strided view, a transposed copy or float32 data give exactly the contiguous answer."""
    entry = catalog.get(name)
    _check_layout(entry, data.draw(entry.examples))


def _replace(example: catalog.Example, position: int, value: object) -> catalog.Example:
    return catalog.Example(
        tuple(value if i == position else v for i, v in enumerate(example.inputs)), example.attrs
    )


@pytest.mark.parametrize("name", NAMES)
def test_integer_complex_and_boolean_data_are_refused(name: str) -> None:
    """Each array argument refuses non-real-floating data with a TypeError naming the function."""
    entry = catalog.get(name)
    example = entry.prepared(entry.sample)
    d_out = _d_out(entry.call_forward(example))
    for position in entry.array_inputs:
        value = np.asarray(example.inputs[position])
        for bad in (
            value.astype(np.int64),
            value.astype(np.complex128),
            value > 0,
            value.astype(object),
        ):
            wrong = _replace(example, position, bad)
            with pytest.raises(TypeError, match=rf"^{entry.forward.__name__}: .* floating"):
                entry.call_forward(wrong)
            if entry.backward_args is None:  # the input reaches the backward
                with pytest.raises(TypeError, match=rf"^{entry.backward.__name__}: .* floating"):
                    entry.call_backward(d_out, wrong)


RANKED = [
    name for name in NAMES if set(catalog.get(name).array_inputs) - set(catalog.get(name).any_rank)
]


@pytest.mark.parametrize("name", RANKED)
def test_a_wrong_rank_is_refused_with_the_shape_in_the_message(name: str) -> None:
    """One extra axis on an array argument of fixed rank is a ValueError naming the function.

    The message shows the shape that came; activations take any rank and are not asked.
    """
    entry = catalog.get(name)
    example = entry.prepared(entry.sample)
    d_out = _d_out(entry.call_forward(example))
    for position in sorted(set(entry.array_inputs) - set(entry.any_rank)):
        bad = np.asarray(example.inputs[position])[np.newaxis]
        wrong = _replace(example, position, bad)
        shape = re.escape(str(bad.shape))
        with pytest.raises(ValueError, match=rf"^{entry.forward.__name__}: .*{shape}"):
            entry.call_forward(wrong)
        if entry.backward_args is None:  # the input reaches the backward
            with pytest.raises(ValueError, match=rf"^{entry.backward.__name__}: .*{shape}"):
                entry.call_backward(d_out, wrong)


@pytest.mark.parametrize("name", NAMES)
def test_a_cotangent_of_the_wrong_shape_is_refused(name: str) -> None:
    """The backward refuses a gradient shaped unlike the forward's output, naming itself.

    An array of another shape is a ValueError; for a scalar loss, an array at all is a TypeError.
    """
    entry = catalog.get(name)
    example = entry.prepared(entry.sample)
    output = entry.call_forward(example)
    backward = entry.backward.__name__
    if np.ndim(output):
        wrong = np.ones((*np.shape(output), 2))
        with pytest.raises(ValueError, match=rf"^{backward}: .*{re.escape(str(wrong.shape))}"):
            entry.call_backward(wrong, example)
    else:
        with pytest.raises(TypeError, match=rf"^{backward}: d_loss must be a real scalar"):
            entry.call_backward(np.ones(2), example)


BAD_CALLS = [(name, bad.name) for name in NAMES for bad in catalog.get(name).errors]


@pytest.mark.parametrize(("name", "bad_call"), BAD_CALLS)
def test_every_bad_call_is_refused_with_its_message(name: str, bad_call: str) -> None:
    """Each call the entry lists as bad raises its error, the message naming the function first.

    The forward and (unless the entry says otherwise) the backward, given a cotangent shaped like
    the sample's output.
    """
    entry = catalog.get(name)
    bad = next(b for b in entry.errors if b.name == bad_call)
    with pytest.raises(bad.error, match=rf"^{entry.forward.__name__}: {bad.match}"):
        entry.call_forward(entry.prepared(bad.example))
    if bad.backward:
        d_out = _d_out(entry.call_forward(entry.prepared(entry.sample)))
        with pytest.raises(bad.error, match=rf"^{entry.backward.__name__}: {bad.match}"):
            entry.call_backward(d_out, entry.prepared(bad.example))


def test_every_op_belongs_to_a_known_concept_with_a_page_and_a_law_file() -> None:
    """An entry's concept names a page docs/<concept>.md and a law file tests/test_<concept>.py."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for name in NAMES:
        concept = catalog.get(name).concept
        assert (root / "docs" / f"{concept}.md").is_file(), (name, concept)
        assert (root / "tests" / f"test_{concept}.py").is_file(), (name, concept)


def _hostile_arrays(value: np.ndarray) -> dict[str, object]:
    """What a careless or adversarial caller passes for an array argument."""
    cases: dict[str, object] = {"ragged": [[1.0], [1.0, 2.0]]}
    if value.ndim >= 1:
        cases["zero-size first axis"] = value[:0]
    if value.ndim >= 2:
        cases["zero-size second axis"] = value[:, :0]
    for special in (np.nan, np.inf):
        changed = value.copy()
        changed.flat[0] = special
        cases[f"{special}"] = changed
    read_only = value.copy()
    read_only.setflags(write=False)
    cases["read-only"] = read_only
    return cases


def _outcome(
    call: Callable[[], object], func: str, bounded: Bounded, where: str
) -> tuple[str, object]:
    """('error', message) for a TypeError or ValueError naming ``func``, or ('result', value)."""
    try:
        return "result", bounded(call, where)
    except (TypeError, ValueError) as error:
        message = str(error)
    assert message.startswith(f"{func}: "), f"{func} raised an unnamed error: {message}"
    return "error", message


@pytest.mark.parametrize("name", NAMES)
def test_hostile_arguments_end_in_a_named_error_or_a_documented_result(
    name: str, bounded: Bounded
) -> None:
    """Ragged, empty, NaN, infinite, read-only or int64-overflowing arguments: never garbage.

    Each array argument in turn becomes a ragged list (refused by name), an array with a
    zero-size axis (refused by name, or an empty result), one with a NaN or an infinity
    (refused by name, or a result of the usual shape: IEEE arithmetic propagates them) and a
    read-only copy (the same result, bit for bit). Each integer argument becomes 2**63, which
    no kernel can count to (refused by name). Forward and backward both.
    """
    entry = catalog.get(name)
    example = entry.prepared(entry.sample)
    output = entry.call_forward(example)
    d_out = _d_out(output)
    calls = [("forward", entry.forward.__name__, entry.call_forward)]
    if entry.backward_args is None:
        calls.append(
            ("backward", entry.backward.__name__, lambda ex: entry.call_backward(d_out, ex))
        )
    expected = {kind: call(example) for kind, _, call in calls}
    for position in entry.array_inputs:
        for case, bad in _hostile_arrays(np.asarray(example.inputs[position])).items():
            wrong = _replace(example, position, bad)
            for kind, func, call in calls:
                where = f"{name} {kind} with {case} input {position}"
                with np.errstate(all="ignore"):
                    result, value = _outcome(lambda: call(wrong), func, bounded, where)  # noqa: B023
                if case == "ragged":
                    assert result == "error", where
                elif result == "result" and case.startswith("zero-size"):
                    sizes = [np.size(v) for v in (value if isinstance(value, tuple) else [value])]
                    assert np.ndim(value) == 0 or 0 in sizes, where
                elif result == "result" and case == "read-only":
                    _assert_same(value, expected[kind], where)
                elif result == "result":
                    _assert_same_shape(value, expected[kind], where)
    integers = [(k, v) for k, v in example.attrs.items() if _is_int(v)]
    integers += [(i, v) for i, v in enumerate(example.inputs) if _is_int(v)]
    for key, _ in integers:
        if isinstance(key, int):
            wrong = _replace(example, key, 2**63)
        else:
            wrong = catalog.Example(example.inputs, {**example.attrs, key: 2**63})
        for kind, func, call in calls:
            where = f"{name} {kind} with {key} = 2**63"
            result, _ = _outcome(lambda: call(wrong), func, bounded, where)  # noqa: B023
            assert result == "error", where


def _read_only_signatures() -> list[str]:
    """Every compiled signature of the reference's kernels that takes a read-only array."""
    found = []
    for module_name, module in _reference_modules().items():
        for name, kernel in vars(module).items():
            for signature in getattr(kernel, "signatures", ()):  # a Numba dispatcher's
                if any(isinstance(arg, numba.types.Array) and not arg.mutable for arg in signature):
                    found.append(f"{module_name}.{name}{signature}")
    return found


@pytest.mark.parametrize("name", NAMES)
def test_read_only_arguments_cost_no_compilation_of_their_own(name: str) -> None:
    """Read-only input (a memory map, np.broadcast_to's view) reaches the kernels as a copy.

    Numba types a read-only array apart from a writable one: passed through, it would compile
    every kernel it reaches once more on its first call (seconds each, about a minute and a
    half for the catalog). After a forward and a backward on read-only copies of every array
    argument, no kernel of the reference holds a signature with a read-only array. (As plain
    Python, NUMBA_DISABLE_JIT=1, no kernel has signatures: the law holds trivially there.)
    """
    entry = catalog.get(name)
    example = entry.prepared(entry.sample)
    d_out = _d_out(entry.call_forward(example))
    frozen = []
    for value in example.inputs:
        if isinstance(value, np.ndarray):
            value = value.copy()
            value.setflags(write=False)
        frozen.append(value)
    wrong = catalog.Example(tuple(frozen), example.attrs)
    entry.call_forward(wrong)
    if entry.backward_args is None:
        entry.call_backward(d_out, wrong)
    assert _read_only_signatures() == []


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _parts(value: object) -> list[np.ndarray]:
    return [np.asarray(v) for v in (value if isinstance(value, (tuple, list)) else [value])]


def _assert_same(value: object, expected: object, where: str) -> None:
    for got, want in zip(_parts(value), _parts(expected), strict=True):
        assert np.array_equal(got, want, equal_nan=True), where


def _assert_same_shape(value: object, expected: object, where: str) -> None:
    for got, want in zip(_parts(value), _parts(expected), strict=True):
        assert got.shape == want.shape, where


def test_only_an_entry_can_be_registered() -> None:
    """register(None) is refused by name rather than failing on a missing attribute."""
    with pytest.raises(TypeError, match=r"^register: entry must be an OpEntry; got NoneType"):
        catalog.register(None)  # type: ignore[arg-type]


#: The hostile-input laws, of the ops and of the toolkit, that the timing law runs again.
_HOSTILE_LAWS = [
    "tests/test_catalog.py::test_hostile_arguments_end_in_a_named_error_or_a_documented_result",
    "tests/test_numerics_contract.py",
]


def test_no_hostile_call_takes_more_than_a_second() -> None:
    """Every call of the hostile-input laws ends, in an error or a result, within a second.

    Argument checks that pass a size no kernel can count to turn into loops of minutes (a
    pooling window of 10**11 taps did). The laws run again in a process of their own with
    ``DEEPREF_CALL_LIMIT=1``: the ``bounded`` fixture then runs each call once to compile what
    it needs, then again under a watchdog that ends the process after one second, printing
    the call it was in. Measured here, every call ends within 50 ms, compiled or as plain
    Python (the slowest are the strategies' draws): a second is twenty times that.
    """
    if not hasattr(signal, "setitimer"):
        pytest.skip("the watchdog is a POSIX interval timer; this platform has none")
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run(
        # -s: the watchdog writes where the call was to the process's own stderr
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", *_HOSTILE_LAWS],
        cwd=root,
        env={**os.environ, "DEEPREF_CALL_LIMIT": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    last_call = run.stderr.strip().rpartition("calling ")[2]
    overran = run.returncode == -signal.SIGALRM
    assert not overran, f"took more than a second (or half a minute to compile): {last_call}"
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
