"""Laws every op in the catalog obeys, checked the same way for each.

A new op registered in ``numerics.catalog`` is checked here the day it is
added: its backward against its forward, its forward against an independent
computation within the derived bound, its inputs left untouched, its answer
independent of memory layout and input precision, and bad input refused
with a message that names the function.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import assert_close, assert_gradient, catalog
from numerics import strategies as nst

NAMES = sorted(catalog.OPS)


def _d_out(output: object) -> object:
    """A cotangent of ones, shaped like the output (a float for a scalar output)."""
    return np.ones_like(output) if np.ndim(output) else 1.0


def test_every_reference_op_with_a_backward_is_in_the_catalog() -> None:
    """Each public `name`/`name_backward` pair of the reference is registered."""
    import importlib
    import pkgutil

    import reference

    pairs = set()
    for module_info in pkgutil.iter_modules(reference.__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"reference.{module_info.name}")
        for name in getattr(module, "__all__", ()):
            if name.endswith("_backward") and name.removesuffix("_backward") in module.__all__:
                pairs.add(name.removesuffix("_backward"))
    assert pairs <= set(NAMES), f"not in the catalog: {sorted(pairs - set(NAMES))}"


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_backward_is_the_gradient_of_the_forward(name: str, data: st.DataObject) -> None:
    """<J^T u, v> = <u, J v> along random directions, and entry by entry when small."""
    entry = catalog.get(name)
    example = data.draw(entry.examples)
    assert_gradient(entry.forward, entry.backward, example.inputs, attrs=example.attrs,
                    wrt=entry.wrt, seed=data.draw(nst.seeds()))


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_forward_agrees_with_an_independent_computation(name: str, data: st.DataObject) -> None:
    """The kernel and plain NumPy agree within gamma_2n of the gauge (both are rounded)."""
    entry = catalog.get(name)
    example = data.draw(entry.examples)
    assert_close(example.call(entry.forward), example.call(entry.independent),
                 gauge=entry.gauge(example), terms=2 * entry.terms(example))


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_inputs_are_never_mutated(name: str, data: st.DataObject) -> None:
    """Neither the forward nor the backward writes into an argument."""
    entry = catalog.get(name)
    example = data.draw(entry.examples)
    before = [np.array(value, copy=True) for value in example.inputs]
    output = example.call(entry.forward)
    d_out = _d_out(output)
    d_out_before = np.array(d_out, copy=True)
    example.call(entry.backward, d_out)
    for original, value in zip(before, example.inputs, strict=True):
        assert np.array_equal(original, np.asarray(value))
    assert np.array_equal(d_out_before, np.asarray(d_out))


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_layout_and_input_precision_do_not_change_the_result(name: str,
                                                            data: st.DataObject) -> None:
    """A strided view, a transposed copy or float32 data give exactly the contiguous answer."""
    entry = catalog.get(name)
    example = data.draw(entry.examples)
    output = np.asarray(example.call(entry.forward))
    contiguous = tuple(np.ascontiguousarray(v) if i in entry.array_inputs else v
                       for i, v in enumerate(example.inputs))
    assert np.array_equal(np.asarray(entry.forward(*contiguous, **example.attrs)), output)

    as_float32 = tuple(np.asarray(v, dtype=np.float32) if i in entry.array_inputs else v
                       for i, v in enumerate(example.inputs))
    widened = tuple(np.asarray(v, dtype=np.float64) if i in entry.array_inputs else v
                    for i, v in enumerate(as_float32))
    assert np.array_equal(np.asarray(entry.forward(*as_float32, **example.attrs)),
                          np.asarray(entry.forward(*widened, **example.attrs)))


def _replace(inputs: tuple, position: int, value: object) -> tuple:
    return tuple(value if i == position else v for i, v in enumerate(inputs))


@pytest.mark.parametrize("name", NAMES)
def test_integer_complex_and_boolean_data_are_refused(name: str) -> None:
    """Each array argument refuses non-real-floating data with a TypeError naming the function."""
    entry = catalog.get(name)
    example = entry.sample
    d_out = _d_out(example.call(entry.forward))
    for position in entry.array_inputs:
        value = np.asarray(example.inputs[position])
        for bad in (value.astype(np.int64), value.astype(np.complex128), value > 0,
                    value.astype(object)):
            inputs = _replace(example.inputs, position, bad)
            with pytest.raises(TypeError, match=rf"^{entry.forward.__name__}: .* floating"):
                entry.forward(*inputs, **example.attrs)
            with pytest.raises(TypeError, match=rf"^{entry.backward.__name__}: .* floating"):
                entry.backward(d_out, *inputs, **example.attrs)


RANKED = [name for name in NAMES
          if set(catalog.get(name).array_inputs) - set(catalog.get(name).any_rank)]


@pytest.mark.parametrize("name", RANKED)
def test_a_wrong_rank_is_refused_with_the_shape_in_the_message(name: str) -> None:
    """One extra axis on an array argument is a ValueError naming the function and the shape.

    Only for the arguments of fixed rank: activations take any rank.
    """
    entry = catalog.get(name)
    example = entry.sample
    d_out = _d_out(example.call(entry.forward))
    for position in sorted(set(entry.array_inputs) - set(entry.any_rank)):
        bad = np.asarray(example.inputs[position])[np.newaxis]
        inputs = _replace(example.inputs, position, bad)
        shape = re.escape(str(bad.shape))
        with pytest.raises(ValueError, match=rf"^{entry.forward.__name__}: .*{shape}"):
            entry.forward(*inputs, **example.attrs)
        with pytest.raises(ValueError, match=rf"^{entry.backward.__name__}: .*{shape}"):
            entry.backward(d_out, *inputs, **example.attrs)


@pytest.mark.parametrize("name", NAMES)
def test_a_cotangent_of_the_wrong_shape_is_refused(name: str) -> None:
    """The backward refuses a gradient shaped unlike the forward's output.

    an array of another shape (ValueError) or, for a scalar loss, an array at all (TypeError),
    naming the function.
    """
    entry = catalog.get(name)
    output = entry.sample.call(entry.forward)
    backward = entry.backward.__name__
    if np.ndim(output):
        wrong = np.ones((*np.shape(output), 2))
        with pytest.raises(ValueError, match=rf"^{backward}: .*{re.escape(str(wrong.shape))}"):
            entry.sample.call(entry.backward, wrong)
    else:
        with pytest.raises(TypeError, match=rf"^{backward}: d_loss must be a real scalar"):
            entry.sample.call(entry.backward, np.ones(2))
