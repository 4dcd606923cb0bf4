"""The op catalog: every op of the reference, with what it takes to check it.

Each :class:`OpEntry` names an op's forward and backward, a Hypothesis
strategy for valid inputs, which inputs are differentiable, the bound its
forward is held to (the reduction length and the gauge), an independent
computation of the same value, its named edge cases and its bad calls. The
generic laws in ``tests/test_catalog.py`` run over every entry, so an op is
gradient-checked, checked for mutation of its inputs and for clear errors on
bad input on the day it is registered.

The entries live in one file per concept (``numerics/catalog/conv.py`` holds
those of ``reference.conv``); the independent NumPy computations they compare
with are in :mod:`numerics.catalog.independent`. An implementer can use an
entry to compare their own op with the reference::

    entry = catalog.get("linear")
    bound = 2 * numerics.gamma(entry.terms(example)) * entry.gauge(example)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

from numerics.gradcheck import SMOOTH_STEP, STEP
from numerics.tolerance import unit_roundoff

__all__ = ["CONCEPTS", "OPS", "BadCall", "Example", "OpEntry", "concept_of", "get", "register"]

#: Each concept (a page ``docs/<concept>.md``, a law file ``tests/test_<concept>.py`` and a
#: pytest marker) and the modules of ``reference`` it tells. The rule is "one name per
#: concept": the module's stem is the concept's name, except where one page tells several
#: modules, as backpropagation tells the dense layer, the MLP and the digits experiment.
CONCEPTS: dict[str, tuple[str, ...]] = {
    "regression": ("regression",),
    "perceptron": ("perceptron",),
    "activations": ("activations",),
    "losses": ("losses",),
    "backpropagation": ("dense", "mlp", "digits"),
    "conv": ("conv",),
    "pooling": ("pooling",),
    "init": ("init",),
    "batchnorm": ("batchnorm",),
    "cnn": ("cnn",),
    "optim": ("optim",),
    "regularization": ("regularization",),
    "rnn": ("rnn",),
    "lstm": ("lstm", "gru"),
    "rbm": ("rbm",),
    "autoencoder": ("autoencoder",),
    "dbn": ("dbn",),
    "compat": ("compat",),
}


def concept_of(module: str) -> str:
    """The concept that tells ``reference.<module>``; ``KeyError`` for a module in none."""
    for concept, modules in CONCEPTS.items():
        if module in modules:
            return concept
    raise KeyError(f"reference.{module} belongs to no concept; add it to catalog.CONCEPTS")


@dataclass(frozen=True)
class Example:
    """The arguments of one call: positional inputs and keyword attributes."""

    inputs: tuple[Any, ...]
    attrs: dict[str, Any] = field(default_factory=dict)

    def call(self, function: Callable[..., Any], *leading: Any) -> Any:
        """``function(*leading, *inputs, **attrs)``."""
        return function(*leading, *self.inputs, **self.attrs)


@dataclass(frozen=True)
class BadCall:
    """A call an op must refuse: the arguments, the error and what its message says.

    ``example`` replaces the sample's arguments; the forward (and, when
    ``backward`` is true, the backward with a cotangent of the sample's output)
    must raise ``error`` with a message matching ``match`` (a regular
    expression searched from the start, after the function's name and ``": "``).
    """

    name: str
    example: Example
    error: type[Exception]
    match: str
    backward: bool = True


@dataclass(frozen=True)
class OpEntry:
    """One op and what it takes to check it.

    Attributes
    ----------
    name : str
        The op's name, as in ``reference``.
    concept : str
        The concept it belongs to (a key of :data:`CONCEPTS`): its pytest marker.
    forward, backward : callable
        ``forward(*inputs, **attrs)`` and ``backward(d_out, *inputs, **attrs)``
        (see ``output`` and ``backward_args`` for ops of another shape).
    examples : hypothesis strategy of Example
        Valid inputs, kept away from kinks and ties where the op has them.
    wrt : tuple of int
        The differentiable inputs, in the order the backward returns them.
    terms : callable
        ``terms(example)``: the number of rounded operations behind each output
        element, for :func:`numerics.gamma`.
    gauge : callable
        ``gauge(example)``: the same computation on absolute values.
    independent : callable
        ``independent(*inputs, **attrs)``: the same value by another route
        (plain NumPy, :mod:`numerics.catalog.independent`), a cheap oracle for the oracle.
    sample : Example
        One small valid call, fixed: for warming up the JIT and for the docs.
    array_inputs : tuple of int
        The inputs that must be arrays (dtype is checked on them, and rank
        unless they are listed in ``any_rank``).
    any_rank : tuple of int
        The array inputs that take any rank (element-wise ops).
    output : int, optional
        For a forward that returns a tuple, the position of the output the laws
        check (batch normalisation returns ``(y, mean, var)``: 0).
    prepare : callable, optional
        ``prepare(example) -> example``: what the drawn arguments become before
        the call (dropout: a seed becomes the mask it draws).
    backward_args : callable, optional
        ``backward_args(example) -> example``: the backward's arguments after
        ``d_out``, where they are not the forward's (dropout's backward takes the
        mask and ``p``, not ``x``).
    edge_cases : tuple of (str, Example)
        Named inputs that every law of the op runs besides the drawn ones.
    errors : tuple of BadCall
        Calls the op must refuse, and how.
    smooth : bool
        The op is smooth on its whole domain (no kink, tie or clip): below float64 its
        gradient is checked with the wide box of :data:`numerics.gradcheck.SMOOTH_STEP`
        (see :meth:`gradient_step`).
    """

    name: str
    concept: str
    forward: Callable[..., Any]
    backward: Callable[..., Any]
    examples: st.SearchStrategy[Example]
    wrt: tuple[int, ...]
    terms: Callable[[Example], int]
    gauge: Callable[[Example], np.ndarray]
    independent: Callable[..., Any]
    sample: Example
    array_inputs: tuple[int, ...] = ()
    any_rank: tuple[int, ...] = ()
    output: int | None = None
    prepare: Callable[[Example], Example] | None = None
    backward_args: Callable[[Example], Example] | None = None
    edge_cases: tuple[tuple[str, Example], ...] = ()
    errors: tuple[BadCall, ...] = ()
    smooth: bool = False

    def gradient_step(self, dtype: Any = np.float64) -> float:
        """The first step of the op's gradient check at the candidate's precision ``dtype``.

        float64's :data:`numerics.gradcheck.STEP`, except for a smooth op below float64:
        :data:`numerics.gradcheck.SMOOTH_STEP`, where the forward's rounding, not the op's
        curvature, limits the check.
        """
        coarse = unit_roundoff(dtype) > unit_roundoff(np.float64)
        return SMOOTH_STEP if self.smooth and coarse else STEP

    def prepared(self, example: Example) -> Example:
        """The arguments every call of a law takes: ``prepare(example)`` where there is one.

        The laws prepare a drawn example once; the forward, the backward, the gauge, the
        terms and the independent computation all take the prepared one.
        """
        return self.prepare(example) if self.prepare else example

    def call_forward(self, example: Example) -> Any:
        """The checked output of the forward on a prepared example."""
        result = example.call(self.forward)
        return result if self.output is None else result[self.output]

    def call_backward(self, d_out: Any, example: Example) -> Any:
        """The backward's gradients at a prepared example for the cotangent ``d_out``."""
        arguments = self.backward_args(example) if self.backward_args else example
        return arguments.call(self.backward, d_out)

    def op(self, *inputs: Any, **attrs: Any) -> Any:
        """The op in the shape :func:`numerics.check_gradient` takes, ``op(*inputs, **attrs)``."""
        return self.call_forward(Example(inputs, attrs))

    def op_backward(self, d_out: Any, *inputs: Any, **attrs: Any) -> Any:
        """The backward in that shape: ``op_backward(d_out, *inputs, **attrs)``."""
        return self.call_backward(d_out, Example(inputs, attrs))

    def cases(self) -> tuple[tuple[str, Example], ...]:
        """The named edge cases: fixed inputs that every law of the op runs.

        (The sample is not among them: it is there to be small, for the JIT's warm-up and the
        bad calls, and may hold the ties and kinks that the drawn inputs avoid.)
        """
        return self.edge_cases


OPS: dict[str, OpEntry] = {}


def register(entry: OpEntry) -> OpEntry:
    """Add an entry to :data:`OPS` (a name can be registered once)."""
    if not isinstance(entry, OpEntry):
        raise TypeError(f"register: entry must be an OpEntry; got {type(entry).__name__}")
    if entry.name in OPS:
        raise ValueError(f"register: an op named {entry.name!r} is registered already")
    if entry.concept not in CONCEPTS:
        raise ValueError(
            f"register: {entry.name!r} names an unknown concept {entry.concept!r}; "
            f"known: {sorted(CONCEPTS)}"
        )
    OPS[entry.name] = entry
    return entry


def get(name: str) -> OpEntry:
    """The entry of the op called ``name``."""
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"no op named {name!r} in the catalog; known: {sorted(OPS)}") from None


# the entries, one file per concept: importing each registers its ops
for _concept in (
    "regression",
    "losses",
    "activations",
    "backpropagation",
    "conv",
    "pooling",
    "batchnorm",
    "regularization",
    "rnn",
    "lstm",
    "rbm",
    "autoencoder",
):
    importlib.import_module(f"numerics.catalog.{_concept}")
