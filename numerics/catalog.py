"""The op catalog: every op of the reference, with what it takes to check it.

Each :class:`OpEntry` names an op's forward and backward, a Hypothesis
strategy for valid inputs, which inputs are differentiable, the bound its
forward is held to (the reduction length and the gauge) and an independent
computation of the same value. The generic tests in ``tests/test_catalog.py``
run over every entry, so an op is gradient-checked, checked for mutation of
its inputs and for clear errors on bad input on the day it is registered.

An implementer can use an entry to compare their own op with the reference::

    entry = catalog.get("linear")
    bound = 2 * numerics.gamma(entry.terms(example)) * entry.gauge(example)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

from numerics import strategies as nst
from reference import losses, regression

__all__ = ["OPS", "Example", "OpEntry", "get", "register"]


@dataclass(frozen=True)
class Example:
    """The arguments of one call: positional inputs and keyword attributes."""

    inputs: tuple[Any, ...]
    attrs: dict[str, Any] = field(default_factory=dict)

    def call(self, function: Callable[..., Any], *leading: Any) -> Any:
        """``function(*leading, *inputs, **attrs)``."""
        return function(*leading, *self.inputs, **self.attrs)


@dataclass(frozen=True)
class OpEntry:
    """One op and what it takes to check it.

    Attributes
    ----------
    name : str
        The op's name, as in ``reference``.
    forward, backward : callable
        ``forward(*inputs, **attrs)`` and ``backward(d_out, *inputs, **attrs)``.
    examples : hypothesis strategy of Example
        Valid inputs, kept away from kinks and ties when ``smooth`` requires.
    wrt : tuple of int
        The differentiable inputs, in the order the backward returns them.
    terms : callable
        ``terms(example)``: the number of rounded operations behind each output
        element, for :func:`numerics.gamma`.
    gauge : callable
        ``gauge(example)``: the same computation on absolute values.
    independent : callable
        ``independent(*inputs, **attrs)``: the same value by another route
        (plain NumPy), a cheap oracle for the oracle.
    sample : Example
        One small valid call, fixed: for warming up the JIT and for the docs.
    smooth : bool
        Whether the op is differentiable everywhere on its domain (if not, the
        strategy keeps inputs away from where it is not).
    array_inputs : tuple of int
        The inputs that must be arrays (rank and dtype are checked on them).
    """

    name: str
    forward: Callable[..., Any]
    backward: Callable[..., Any]
    examples: st.SearchStrategy[Example]
    wrt: tuple[int, ...]
    terms: Callable[[Example], int]
    gauge: Callable[[Example], np.ndarray]
    independent: Callable[..., Any]
    sample: Example
    smooth: bool = True
    array_inputs: tuple[int, ...] = ()


OPS: dict[str, OpEntry] = {}


def register(entry: OpEntry) -> OpEntry:
    """Add an entry to :data:`OPS` (a name can be registered once)."""
    if entry.name in OPS:
        raise ValueError(f"register: an op named {entry.name!r} is registered already")
    OPS[entry.name] = entry
    return entry


def get(name: str) -> OpEntry:
    """The entry of the op called ``name``."""
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"no op named {name!r} in the catalog; known: {sorted(OPS)}") from None


# ---------------------------------------------------------------------------------------------
# regression


@st.composite
def _linear_examples(draw: st.DrawFn) -> Example:
    count = draw(st.integers(1, 8))
    width = draw(st.integers(1, 6))
    X = draw(nst.arrays((count, width), scale=10.0))
    w = draw(nst.arrays((width,), scale=2.0))
    b = draw(nst.scalars(10.0))
    return Example((X, w, b))


register(OpEntry(
    name="linear",
    forward=regression.linear,
    backward=regression.linear_backward,
    examples=_linear_examples(),
    wrt=(0, 1, 2),
    # D products and D additions (the bias last) behind each output
    terms=lambda ex: ex.inputs[0].shape[1] + 1,
    gauge=lambda ex: np.abs(ex.inputs[0]) @ np.abs(ex.inputs[1]) + abs(ex.inputs[2]),
    independent=lambda X, w, b: np.asarray(X) @ np.asarray(w) + b,
    sample=Example((np.array([[100.0, 10.0], [50.0, 30.0]]), np.array([2.5, -1.2]), 30.0)),
    array_inputs=(0, 1),
))


# ---------------------------------------------------------------------------------------------
# losses


@st.composite
def _pair_examples(draw: st.DrawFn) -> Example:
    shape = draw(nst.shapes(min_dims=1, max_dims=3, max_side=6))
    return Example((draw(nst.arrays(shape, scale=10.0)), draw(nst.arrays(shape, scale=10.0))))


register(OpEntry(
    name="squared_loss",
    forward=losses.squared_loss,
    backward=losses.squared_loss_backward,
    examples=_pair_examples(),
    wrt=(0,),
    # per term: the difference, the square; N - 1 additions; the division by 2N
    terms=lambda ex: np.size(ex.inputs[0]) + 3,
    # every term is non-negative: the gauge is the value itself
    gauge=lambda ex: np.asarray(losses.squared_loss(*ex.inputs)),
    independent=lambda y_hat, y: 0.5 * np.mean((np.asarray(y_hat) - np.asarray(y)) ** 2),
    sample=Example((np.array([1.0, 2.0, 4.0]), np.array([1.0, 2.0, 2.0]))),
    array_inputs=(0, 1),
))
