"""Catalog entries of the activation functions (:mod:`reference.activations`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st
from scipy import special

from numerics import strategies as nst
from numerics.catalog import Example, OpEntry, independent, register
from reference import activations


def _elementwise_shapes() -> st.SearchStrategy[tuple[int, ...]]:
    return nst.shapes(min_dims=0, max_dims=4, max_side=5)


@st.composite
def _elementwise_examples(
    draw: st.DrawFn, scale: float, kinks: tuple[float, ...] = (), slope: bool = False
) -> Example:
    shape = draw(_elementwise_shapes())
    x = draw(
        nst.away_from(kinks, 0.01, shape, scale=scale) if kinks else nst.arrays(shape, scale=scale)
    )
    attrs = {"alpha": draw(nst.scalars(1.0))} if slope else {}
    return Example((x,), attrs)


def _activation(
    name: str,
    *,
    scale: float,
    terms: int,
    gauge: Callable[[Example], np.ndarray],
    independent: Callable[..., Any],
    kinks: tuple[float, ...] = (),
    slope: bool = False,
    edge_cases: tuple[tuple[str, Example], ...] = (),
) -> OpEntry:
    sample_attrs = {"alpha": 0.1} if slope else {}
    return register(
        OpEntry(
            name=name,
            concept="activations",
            forward=getattr(activations, name),
            backward=getattr(activations, f"{name}_backward"),
            examples=_elementwise_examples(scale, kinks, slope),
            wrt=(0,),
            terms=lambda ex: terms,
            gauge=gauge,
            independent=independent,
            sample=Example((np.array([[-2.0, -0.5], [0.5, 3.0]]),), sample_attrs),
            array_inputs=(0,),
            any_rank=(0,),
            edge_cases=edge_cases,
            smooth=not kinks,
        )
    )


def _value(name: str) -> Callable[[Example], np.ndarray]:
    """The gauge of an op whose error is relative to its own value."""
    return lambda ex: np.abs(ex.call(getattr(activations, name)))


# step and ReLU are exact: a comparison and a copy (or a product with alpha: one rounding)
_activation(
    "step",
    scale=10.0,
    terms=1,
    gauge=lambda ex: np.ones(np.shape(ex.inputs[0])),
    independent=lambda x: np.heaviside(x, 0.0),
    kinks=(0.0,),
)
_activation(
    "relu",
    scale=10.0,
    terms=1,
    gauge=_value("relu"),
    independent=lambda x: np.maximum(x, 0.0),
    kinks=(0.0,),
)
_activation(
    "leaky_relu",
    scale=10.0,
    terms=1,
    gauge=_value("leaky_relu"),
    independent=lambda x, alpha: np.where(np.asarray(x) > 0, x, alpha * np.asarray(x)),
    kinks=(0.0,),
    slope=True,
)
# sigmoid: exp (within 2 ulps, 4u), 1 + e, the division: 6; against SciPy's expit
_activation(
    "sigmoid",
    scale=30.0,
    terms=6,
    gauge=_value("sigmoid"),
    independent=special.expit,
    edge_cases=(
        (
            "saturated: 1 - sigma(40) is below u, sigma(-700) = e^-700 near the smallest normal",
            Example((np.array([-700.0, -40.0, 40.0, 700.0]),)),
        ),
    ),
)
# tanh: the C library's and NumPy's, each within 2 ulps (4u) of the truth (glibc's published
# error table for x86-64): 4 each
_activation("tanh", scale=20.0, terms=4, gauge=_value("tanh"), independent=np.tanh)


@st.composite
def _prelu_examples(draw: st.DrawFn) -> Example:
    shape = draw(nst.shapes(min_dims=1, max_dims=4, max_side=5))
    channels = shape[1] if len(shape) >= 2 else 1
    x = draw(nst.away_from([0.0], 0.01, shape, scale=10.0))
    alpha = draw(nst.arrays((draw(st.sampled_from([channels, 1])),), scale=1.0))
    return Example((x, alpha))


register(
    OpEntry(
        name="prelu",
        concept="activations",
        forward=activations.prelu,
        backward=activations.prelu_backward,
        examples=_prelu_examples(),
        wrt=(0, 1),
        terms=lambda ex: 1,
        gauge=lambda ex: np.abs(ex.call(activations.prelu)),
        independent=independent.prelu,
        sample=Example((np.array([[-2.0, -0.5], [0.5, 3.0]]), np.array([0.1, 0.2]))),
        array_inputs=(0, 1),
        any_rank=(0,),
    )
)


@st.composite
def _softmax_examples(draw: st.DrawFn) -> Example:
    shape = draw(nst.shapes(min_dims=1, max_dims=4, max_side=5))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    return Example((draw(nst.arrays(shape, scale=20.0)),), {"axis": axis})


def _softmax_parts(ex: Example) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """|x - m|, s, log Z and sum_j s_j |x_j - m| along the axis (broadcastable)."""
    x, axis = np.asarray(ex.inputs[0]), ex.attrs["axis"]
    distance = np.abs(x - x.max(axis=axis, keepdims=True))
    s = special.softmax(x, axis=axis)
    log_sum = np.log(np.exp(-distance).sum(axis=axis, keepdims=True))
    return distance, s, log_sum, (s * distance).sum(axis=axis, keepdims=True)


def _softmax_gauge(ex: Example) -> np.ndarray:
    """s_k (1 + |x_k - m| + sum_j s_j |x_j - m|).

    rounding x_k - m moves e^{x_k - m} by u |x_k - m| relatively, and the sum Z by u sum_j s_j
    |x_j - m|.
    """
    distance, s, _, spread = _softmax_parts(ex)
    return s * (1.0 + distance + spread)


def _log_softmax_gauge(ex: Example) -> np.ndarray:
    """|x_k - m| + log Z + 1 + sum_j s_j |x_j - m|: the same errors, now absolute."""
    distance, _, log_sum, spread = _softmax_parts(ex)
    return distance + log_sum + 1.0 + spread


def _axis_length(ex: Example) -> int:
    return int(np.shape(ex.inputs[0])[ex.attrs["axis"]])


for _name, _gauge, _independent in (
    ("softmax", _softmax_gauge, special.softmax),
    ("log_softmax", _log_softmax_gauge, special.log_softmax),
):
    register(
        OpEntry(
            name=_name,
            concept="activations",
            forward=getattr(activations, _name),
            backward=getattr(activations, f"{_name}_backward"),
            examples=_softmax_examples(),
            wrt=(0,),
            # K exponentials summed, the log or the division, and the subtractions: K + 3
            terms=lambda ex: _axis_length(ex) + 3,
            gauge=_gauge,
            independent=_independent,
            sample=Example((np.array([[-2.0, -0.5, 1.0], [0.5, 3.0, 3.0]]),), {"axis": -1}),
            array_inputs=(0,),
            any_rank=(0,),
            smooth=True,
            edge_cases=(
                (
                    "logits [1000, 999, 0]: e^1000 overflows unless the maximum is taken out",
                    Example((np.array([[1000.0, 999.0, 0.0], [0.0, -1.0, 1.0]]),), {"axis": -1}),
                ),
            ),
        )
    )
