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
from hypothesis.extra import numpy as hnp
from scipy import special

from numerics import strategies as nst
from reference import (
    _windows,
    activations,
    batchnorm,
    conv,
    dense,
    losses,
    pooling,
    regression,
    regularization,
)
from reference._validation import as_float_array

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
        The inputs that must be arrays (dtype is checked on them, and rank
        unless they are listed in ``any_rank``).
    any_rank : tuple of int
        The array inputs that take any rank (element-wise ops).
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
    any_rank: tuple[int, ...] = ()


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


def _mean_loss_terms(extra: int) -> Callable[[Example], int]:
    """Per element ``extra`` rounded operations, then a sum of N terms and the division by N."""
    return lambda ex: np.size(ex.inputs[0]) + extra


register(OpEntry(
    name="squared_error",
    forward=losses.squared_error,
    backward=losses.squared_error_backward,
    examples=_pair_examples(),
    wrt=(0,),
    # the difference, the square, N - 1 additions, the division by 2N, the doubling
    terms=_mean_loss_terms(3),
    # every term is non-negative: the gauge is the value itself
    gauge=lambda ex: np.asarray(losses.squared_error(*ex.inputs)),
    independent=lambda y_hat, y: np.mean((np.asarray(y_hat) - np.asarray(y)) ** 2),
    sample=Example((np.array([1.0, 2.0, 4.0]), np.array([1.0, 2.0, 2.0]))),
    array_inputs=(0, 1),
))


@st.composite
def _separated_pair_examples(draw: st.DrawFn) -> Example:
    """Predictions at least 0.01 from their targets: |r| has a kink at r = 0."""
    shape = draw(nst.shapes(min_dims=1, max_dims=3, max_side=6))
    y = draw(nst.arrays(shape, scale=10.0))
    residual = draw(nst.away_from([0.0], 0.01, shape, scale=10.0))
    return Example((np.asarray(y) + residual, y))


register(OpEntry(
    name="absolute_error",
    forward=losses.absolute_error,
    backward=losses.absolute_error_backward,
    examples=_separated_pair_examples(),
    wrt=(0,),
    # the difference, N - 1 additions, the division
    terms=_mean_loss_terms(2),
    gauge=lambda ex: np.asarray(losses.absolute_error(*ex.inputs)),
    independent=lambda y_hat, y: np.mean(np.abs(np.asarray(y_hat) - np.asarray(y))),
    sample=Example((np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.5, 2.0]))),
    smooth=False,
    array_inputs=(0, 1),
))


@st.composite
def _score_examples(draw: st.DrawFn) -> Example:
    """Tie-free scores (N, K) and integer classes: the arg-max is stable under a small step."""
    count, classes = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    scores = draw(nst.separated_arrays((count, classes), min_gap=0.05))
    labels = np.array(draw(st.lists(st.integers(0, classes - 1), min_size=count,
                                    max_size=count)), dtype=np.int64)
    return Example((scores, labels))


register(OpEntry(
    name="zero_one_loss",
    forward=losses.zero_one_loss,
    backward=losses.zero_one_loss_backward,
    examples=_score_examples(),
    wrt=(0,),
    # a count divided by N: one rounding
    terms=lambda ex: 1,
    gauge=lambda ex: np.asarray(losses.zero_one_loss(*ex.inputs)),
    independent=lambda y_hat, y: np.mean(np.argmax(np.asarray(y_hat), axis=1) != np.asarray(y)),
    sample=Example((np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]]), np.array([0, 0, 0]))),
    smooth=False,
    array_inputs=(0,),
))


@st.composite
def _probability_examples(draw: st.DrawFn) -> Example:
    """Probabilities in [0.02, 0.98] (smooth logs within the step), targets in [0, 1]."""
    shape = draw(nst.shapes(min_dims=1, max_dims=3, max_side=6))
    probability = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.02, 0.98)))
    target = draw(hnp.arrays(np.float64, shape, elements=st.one_of(
        st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0, allow_subnormal=False))))
    return Example((nst.with_layout(probability, draw(st.sampled_from(nst.LAYOUTS))), target))


register(OpEntry(
    name="binary_cross_entropy",
    forward=losses.binary_cross_entropy,
    backward=losses.binary_cross_entropy_backward,
    examples=_probability_examples(),
    wrt=(0,),
    # per element: 1 - p, two logs (2 ulps each: 4u), two products, the sum: then the mean
    terms=_mean_loss_terms(4),
    # the terms are non-negative (the value), plus u for rounding 1 - p inside a log,
    # which is an absolute error of u per element: gamma_n * 1 covers it
    gauge=lambda ex: np.asarray(losses.binary_cross_entropy(*ex.inputs)) + 1.0,
    independent=lambda p, y: -np.mean(special.xlogy(y, p) + special.xlogy(1.0 - np.asarray(y),
                                                                          1.0 - np.asarray(p))),
    sample=Example((np.array([0.5, 0.9, 0.2]), np.array([1.0, 1.0, 0.0]))),
    array_inputs=(0, 1),
))


@st.composite
def _logit_examples(draw: st.DrawFn) -> Example:
    shape = draw(nst.shapes(min_dims=1, max_dims=3, max_side=6))
    target = draw(hnp.arrays(np.float64, shape, elements=st.one_of(
        st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0, allow_subnormal=False))))
    return Example((draw(nst.arrays(shape, scale=40.0)), target))


register(OpEntry(
    name="binary_cross_entropy_with_logits",
    forward=losses.binary_cross_entropy_with_logits,
    backward=losses.binary_cross_entropy_with_logits_backward,
    examples=_logit_examples(),
    wrt=(0,),
    # per element: exp and log1p (2 ulps each), max, product, two sums: then the mean
    terms=_mean_loss_terms(6),
    # the three parts max(z, 0), |y z| and log(1 + e^-|z|) <= 1 on absolute values
    gauge=lambda ex: np.mean(np.abs(ex.inputs[0]) * (1.0 + np.abs(ex.inputs[1])) + 1.0),
    independent=lambda z, y: np.mean(np.logaddexp(0.0, z) - np.asarray(y) * np.asarray(z)),
    sample=Example((np.array([-2.0, 0.0, 3.0]), np.array([1.0, 1.0, 0.0]))),
    array_inputs=(0, 1),
))


@st.composite
def _logits_and_labels(draw: st.DrawFn) -> Example:
    count, classes = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    logits = draw(nst.arrays((count, classes), scale=20.0))
    labels = np.array(draw(st.lists(st.integers(0, classes - 1), min_size=count,
                                    max_size=count)), dtype=np.int64)
    form = draw(st.sampled_from(["classes", "one-hot", "probabilities"]))
    if form == "one-hot":
        return Example((logits, np.eye(classes)[labels]))
    if form == "probabilities":
        weights = draw(hnp.arrays(np.float64, (count, classes), elements=st.floats(0.0, 1.0)))
        weights[np.arange(count), labels] += 1.0  # no row of zeros
        return Example((logits, weights / weights.sum(axis=1, keepdims=True)))
    return Example((logits, labels))


def _cross_entropy_gauge(ex: Example) -> np.ndarray:
    """Per row: |z_c| + |m| + log Z + 1 + sum_j s_j |z_j - m|, averaged (see the softmax gauge)."""
    z = np.asarray(ex.inputs[0])
    labels = np.asarray(ex.inputs[1])
    targets = labels if labels.ndim == 2 else np.eye(z.shape[1])[labels]
    largest = z.max(axis=1, keepdims=True)
    s = special.softmax(z, axis=1)
    log_sum = special.logsumexp(z, axis=1, keepdims=True) - largest
    spread = (s * np.abs(z - largest)).sum(axis=1, keepdims=True)
    per_row = (targets * (np.abs(z) + np.abs(largest) + log_sum + 1.0 + spread)).sum(axis=1)
    return np.asarray(per_row.mean())


def _cross_entropy_independent(z: np.ndarray, labels: np.ndarray) -> float:
    z, labels = np.asarray(z), np.asarray(labels)
    targets = labels if labels.ndim == 2 else np.eye(z.shape[1])[labels]
    return float(np.mean(special.logsumexp(z, axis=1) - (targets * z).sum(axis=1)))


register(OpEntry(
    name="cross_entropy_with_logits",
    forward=losses.cross_entropy_with_logits,
    backward=losses.cross_entropy_with_logits_backward,
    examples=_logits_and_labels(),
    wrt=(0,),
    # per row: K exponentials and their sum, a log, two differences, the product with t;
    # then the mean over N rows
    terms=lambda ex: np.shape(ex.inputs[0])[1] + np.shape(ex.inputs[0])[0] + 5,
    gauge=_cross_entropy_gauge,
    independent=_cross_entropy_independent,
    sample=Example((np.array([[0.0, 0.0, 1.0], [2.0, -1.0, 0.5]]), np.array([2, 0]))),
    array_inputs=(0,),
))


# ---------------------------------------------------------------------------------------------
# activations


def _elementwise_shapes() -> st.SearchStrategy[tuple[int, ...]]:
    return nst.shapes(min_dims=0, max_dims=4, max_side=5)


@st.composite
def _elementwise_examples(draw: st.DrawFn, scale: float, kinks: tuple[float, ...] = (),
                          slope: bool = False) -> Example:
    shape = draw(_elementwise_shapes())
    x = draw(nst.away_from(kinks, 0.01, shape, scale=scale) if kinks
             else nst.arrays(shape, scale=scale))
    attrs = {"alpha": draw(nst.scalars(1.0))} if slope else {}
    return Example((x,), attrs)


def _activation(name: str, *, scale: float, terms: int, gauge: Callable[[Example], np.ndarray],
                independent: Callable[..., Any], kinks: tuple[float, ...] = (),
                slope: bool = False) -> OpEntry:
    sample_attrs = {"alpha": 0.1} if slope else {}
    return register(OpEntry(
        name=name,
        forward=getattr(activations, name),
        backward=getattr(activations, f"{name}_backward"),
        examples=_elementwise_examples(scale, kinks, slope),
        wrt=(0,),
        terms=lambda ex: terms,
        gauge=gauge,
        independent=independent,
        sample=Example((np.array([[-2.0, -0.5], [0.5, 3.0]]),), sample_attrs),
        smooth=not kinks,
        array_inputs=(0,),
        any_rank=(0,),
    ))


def _value(name: str) -> Callable[[Example], np.ndarray]:
    """The gauge of an op whose error is relative to its own value."""
    return lambda ex: np.abs(ex.call(getattr(activations, name)))


# step and ReLU are exact: a comparison and a copy (or a product with alpha: one rounding)
_activation("step", scale=10.0, terms=1, gauge=lambda ex: np.ones(np.shape(ex.inputs[0])),
            independent=lambda x: np.heaviside(x, 0.0), kinks=(0.0,))
_activation("relu", scale=10.0, terms=1, gauge=_value("relu"),
            independent=lambda x: np.maximum(x, 0.0), kinks=(0.0,))
_activation("leaky_relu", scale=10.0, terms=1, gauge=_value("leaky_relu"),
            independent=lambda x, alpha: np.where(np.asarray(x) > 0, x, alpha * np.asarray(x)),
            kinks=(0.0,), slope=True)
# sigmoid: exp (within 2 ulps, 4u), 1 + e, the division: 6; against SciPy's expit
_activation("sigmoid", scale=30.0, terms=6, gauge=_value("sigmoid"), independent=special.expit)
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


def _prelu_independent(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    shape = [1] * x.ndim
    if x.ndim >= 2:
        shape[1] = -1
    slopes = np.asarray(alpha).reshape(shape) if x.ndim >= 2 else np.asarray(alpha)
    return np.where(x > 0, x, slopes * x)


register(OpEntry(
    name="prelu",
    forward=activations.prelu,
    backward=activations.prelu_backward,
    examples=_prelu_examples(),
    wrt=(0, 1),
    terms=lambda ex: 1,
    gauge=lambda ex: np.abs(ex.call(activations.prelu)),
    independent=_prelu_independent,
    sample=Example((np.array([[-2.0, -0.5], [0.5, 3.0]]), np.array([0.1, 0.2]))),
    smooth=False,
    array_inputs=(0, 1),
    any_rank=(0,),
))


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


for _name, _gauge, _independent in (("softmax", _softmax_gauge, special.softmax),
                                    ("log_softmax", _log_softmax_gauge, special.log_softmax)):
    register(OpEntry(
        name=_name,
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
    ))


# ---------------------------------------------------------------------------------------------
# dense


@st.composite
def _dense_examples(draw: st.DrawFn) -> Example:
    count, fan_in, fan_out = (draw(st.integers(1, 6)) for _ in range(3))
    x = draw(nst.arrays((count, fan_in), scale=10.0))
    W = draw(nst.arrays((fan_in, fan_out), scale=2.0))
    b = draw(nst.arrays((fan_out,), scale=10.0))
    return Example((x, W, b))


register(OpEntry(
    name="dense",
    forward=dense.dense,
    backward=dense.dense_backward,
    examples=_dense_examples(),
    wrt=(0, 1, 2),
    # fan_in products and additions, then the bias
    terms=lambda ex: np.shape(ex.inputs[0])[1] + 1,
    gauge=lambda ex: np.abs(ex.inputs[0]) @ np.abs(ex.inputs[1]) + np.abs(ex.inputs[2]),
    independent=lambda x, W, b: np.asarray(x) @ np.asarray(W) + np.asarray(b),
    sample=Example((np.array([[1.0, 2.0], [-1.0, 0.5]]), np.array([[1.0, 0.0, -1.0],
                                                                   [0.5, 1.0, 2.0]]),
                    np.array([0.0, 0.0, 1.0]))),
    array_inputs=(0, 1, 2),
))


# ---------------------------------------------------------------------------------------------
# convolution and pooling

_PADDINGS = st.one_of(
    st.sampled_from(["valid", "same", "same_lower"]),
    st.integers(0, 2),
    st.tuples(st.tuples(st.integers(0, 2), st.integers(0, 2)),
              st.tuples(st.integers(0, 2), st.integers(0, 2))))


def _padded(x: np.ndarray, geometry: _windows.Windows, fill: float, extra: int = 0) -> np.ndarray:
    """X padded as the geometry says (plus ``extra`` beyond the end, for ceil_mode)."""
    return np.pad(np.asarray(x), ((0, 0), (0, 0), (geometry.pad_top, geometry.pad_bottom + extra),
                                  (geometry.pad_left, geometry.pad_right + extra)),
                  constant_values=fill)


def _patches(padded: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
             dilation: tuple[int, int], out: tuple[int, int]) -> np.ndarray:
    """(N, C, out_h, out_w, kH, kW): every window of a padded array, by fancy indexing."""
    rows = (np.arange(out[0])[:, None] * stride[0] + np.arange(kernel[0])[None, :] * dilation[0])
    cols = (np.arange(out[1])[:, None] * stride[1] + np.arange(kernel[1])[None, :] * dilation[1])
    return padded[:, :, rows[:, None, :, None], cols[None, :, None, :]]


def _conv_geometry(x: np.ndarray, w: np.ndarray, attrs: dict[str, Any]) -> _windows.Windows:
    return _windows.windows("catalog", x.shape[2], x.shape[3], w.shape[2:],
                            stride=attrs["stride"], padding=attrs["padding"],
                            dilation=attrs["dilation"])


def _conv2d_numpy(x: np.ndarray, w: np.ndarray, b: np.ndarray, *, stride: Any, padding: Any,
                  dilation: Any, groups: int) -> np.ndarray:
    """Convolution by NumPy: gather every patch, then one einsum per group."""
    x, w, b = np.asarray(x), np.asarray(w), np.asarray(b)
    attrs = {"stride": stride, "padding": padding, "dilation": dilation}
    geometry = _conv_geometry(x, w, attrs)
    patches = _patches(_padded(x, geometry, 0.0), w.shape[2:], _windows.as_pair(stride, "", ""),
                       _windows.as_pair(dilation, "", ""), (geometry.out_h, geometry.out_w))
    group_in, group_out = w.shape[1], w.shape[0] // groups
    outputs = [np.einsum("nchwpq,ocpq->nohw", patches[:, g * group_in:(g + 1) * group_in],
                         w[g * group_out:(g + 1) * group_out]) for g in range(groups)]
    return np.concatenate(outputs, axis=1) + b[None, :, None, None]


@st.composite
def _conv_examples(draw: st.DrawFn) -> Example:
    groups = draw(st.integers(1, 2))
    channels_in = groups * draw(st.integers(1, 2))
    channels_out = groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = draw(st.sampled_from([1, 2, (1, 2)]))
    stride = draw(st.sampled_from([1, 2, (2, 1)]))
    padding = draw(_PADDINGS)
    dilations = _windows.as_pair(dilation, "", "")
    # big enough for the dilated kernel without padding
    height = draw(st.integers(dilations[0] * (kernel[0] - 1) + 1, 7))
    width = draw(st.integers(dilations[1] * (kernel[1] - 1) + 1, 7))
    x = draw(nst.arrays((draw(st.integers(1, 2)), channels_in, height, width), scale=4.0))
    w = draw(nst.arrays((channels_out, channels_in // groups, *kernel), scale=1.0))
    b = draw(nst.arrays((channels_out,), scale=4.0))
    return Example((x, w, b), {"stride": stride, "padding": padding, "dilation": dilation,
                               "groups": groups})


def _conv_gauge(ex: Example) -> np.ndarray:
    x, w, b = (np.abs(v) for v in ex.inputs)
    return conv.conv2d_direct(x, w, b, **ex.attrs)


for _name in ("conv2d", "conv2d_direct"):
    register(OpEntry(
        name=_name,
        forward=getattr(conv, _name),
        backward=getattr(conv, f"{_name}_backward"),
        examples=_conv_examples(),
        wrt=(0, 1, 2),
        # C_in/groups kH kW products and additions, then the bias
        terms=lambda ex: int(np.prod(np.shape(ex.inputs[1])[1:])) + 1,
        gauge=_conv_gauge,
        independent=_conv2d_numpy,
        sample=Example((np.arange(2 * 2 * 4 * 4, dtype=np.float64).reshape(2, 2, 4, 4) / 10.0,
                        np.linspace(-1.0, 1.0, 3 * 2 * 3 * 3).reshape(3, 2, 3, 3),
                        np.array([0.5, -0.5, 0.0])),
                       {"stride": 1, "padding": "same", "dilation": 1, "groups": 1}),
        array_inputs=(0, 1, 2),
    ))


@st.composite
def _pool_examples(draw: st.DrawFn, *, tie_free: bool = False, away_from_zero: bool = False,
                   average: bool = False, lp: bool = False) -> Example:
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = draw(st.sampled_from([1, 2]))
    stride = draw(st.sampled_from([None, 1, 2, (1, 2)]))
    spans = [dilation * (k - 1) + 1 for k in kernel]
    padding = draw(st.one_of(
        st.just(0),
        st.tuples(st.tuples(st.integers(0, spans[0] // 2), st.integers(0, spans[0] // 2)),
                  st.tuples(st.integers(0, spans[1] // 2), st.integers(0, spans[1] // 2)))))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(spans[0], 7)),
             draw(st.integers(spans[1], 7)))
    if tie_free:
        x = draw(nst.separated_arrays(shape, min_gap=0.05))
    elif away_from_zero:
        x = draw(nst.away_from([0.0], 0.05, shape, scale=4.0))
    else:
        x = draw(nst.arrays(shape, scale=4.0))
    attrs: dict[str, Any] = {"stride": stride, "padding": padding, "dilation": dilation,
                             "ceil_mode": draw(st.booleans())}
    if average:
        attrs["count_include_pad"] = draw(st.booleans())
    if lp:
        attrs["p"] = draw(st.sampled_from([1.0, 1.5, 2.0, 3.0, 7.5]))
    return Example((x, kernel), attrs)


def _pool_windows(x: np.ndarray, kernel: Any, attrs: dict[str, Any],
                  fill: float) -> tuple[np.ndarray, np.ndarray]:
    """Every window of x padded with ``fill``, and a mask of the taps inside the padded input."""
    x = np.asarray(x)
    stride = kernel if attrs.get("stride") is None else attrs["stride"]
    geometry = _windows.windows("catalog", x.shape[2], x.shape[3],
                                _windows.as_pair(kernel, "", ""), stride=stride,
                                padding=attrs.get("padding", 0),
                                dilation=attrs.get("dilation", 1),
                                ceil_mode=attrs.get("ceil_mode", False))
    args = (_windows.as_pair(kernel, "", ""), _windows.as_pair(stride, "", ""),
            _windows.as_pair(attrs.get("dilation", 1), "", ""), (geometry.out_h, geometry.out_w))
    extra = 2 * max(x.shape[2:]) + 8  # room for windows that run past the end (ceil_mode)
    values = _patches(np.pad(_padded(x, geometry, fill), ((0, 0), (0, 0), (0, extra),
                                                          (0, extra)), constant_values=np.nan),
                      *args)
    inside = _patches(np.pad(_padded(np.ones((1, 1, *x.shape[2:])), geometry, 1.0),
                             ((0, 0), (0, 0), (0, extra), (0, extra))), *args)[0, 0] > 0
    image = _patches(np.pad(_padded(np.ones((1, 1, *x.shape[2:])), geometry, 0.0),
                            ((0, 0), (0, 0), (0, extra), (0, extra))), *args)[0, 0] > 0
    return values, inside if attrs.get("count_include_pad", True) else image


def _max_pool_numpy(x: np.ndarray, kernel: Any, **attrs: Any) -> np.ndarray:
    values, inside = _pool_windows(x, kernel, attrs, -np.inf)
    return np.where(inside, values, -np.inf).max(axis=(-2, -1))


def _avg_pool_numpy(x: np.ndarray, kernel: Any, **attrs: Any) -> np.ndarray:
    values, counted = _pool_windows(x, kernel, attrs, 0.0)
    total = np.where(np.isnan(values), 0.0, values).sum(axis=(-2, -1))
    return total / counted.sum(axis=(-2, -1))


def _lp_pool_numpy(x: np.ndarray, kernel: Any, **attrs: Any) -> np.ndarray:
    order = attrs.pop("p", 2.0)
    values, _ = _pool_windows(x, kernel, attrs, 0.0)
    magnitude = np.where(np.isnan(values), 0.0, np.abs(values))
    return (magnitude**order).sum(axis=(-2, -1)) ** (1.0 / order)


def _window_size(ex: Example) -> int:
    return int(np.prod(_windows.as_pair(ex.inputs[1], "", "")))


register(OpEntry(
    name="max_pool2d",
    forward=pooling.max_pool2d,
    backward=pooling.max_pool2d_backward,
    examples=_pool_examples(tie_free=True),
    wrt=(0,),
    # a maximum is exact
    terms=lambda ex: 1,
    gauge=lambda ex: np.abs(ex.call(pooling.max_pool2d)),
    independent=_max_pool_numpy,
    sample=Example((np.arange(2 * 3 * 4 * 4, dtype=np.float64).reshape(2, 3, 4, 4) % 7.0,
                    (3, 2)), {"stride": 1, "padding": ((1, 1), (0, 1))}),
    smooth=False,
    array_inputs=(0,),
))
register(OpEntry(
    name="avg_pool2d",
    forward=pooling.avg_pool2d,
    backward=pooling.avg_pool2d_backward,
    examples=_pool_examples(average=True),
    wrt=(0,),
    # kH kW additions and a division
    terms=lambda ex: _window_size(ex) + 1,
    gauge=lambda ex: pooling.avg_pool2d(np.abs(ex.inputs[0]), ex.inputs[1], **ex.attrs),
    independent=_avg_pool_numpy,
    sample=Example((np.arange(2 * 3 * 4 * 4, dtype=np.float64).reshape(2, 3, 4, 4) % 7.0,
                    (3, 2)), {"stride": 1, "padding": ((1, 1), (0, 1))}),
    array_inputs=(0,),
))
register(OpEntry(
    name="lp_pool2d",
    forward=pooling.lp_pool2d,
    backward=pooling.lp_pool2d_backward,
    examples=_pool_examples(away_from_zero=True, lp=True),
    wrt=(0,),
    # per tap a division and a power (pow within 2 ulps: 4u), the sum, the root (4u), the product
    terms=lambda ex: 5 * _window_size(ex) + 6,
    gauge=lambda ex: np.abs(ex.call(pooling.lp_pool2d)),
    independent=_lp_pool_numpy,
    sample=Example((np.arange(2 * 3 * 4 * 4, dtype=np.float64).reshape(2, 3, 4, 4) % 7.0 - 3.0,
                    2), {"p": 2.0}),
    smooth=False,
    array_inputs=(0,),
))


@st.composite
def _global_pool_examples(draw: st.DrawFn) -> Example:
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 6)),
             draw(st.integers(1, 6)))
    return Example((draw(nst.arrays(shape, scale=4.0)),))


register(OpEntry(
    name="global_avg_pool2d",
    forward=pooling.global_avg_pool2d,
    backward=pooling.global_avg_pool2d_backward,
    examples=_global_pool_examples(),
    wrt=(0,),
    terms=lambda ex: int(np.prod(np.shape(ex.inputs[0])[2:])) + 1,
    gauge=lambda ex: np.abs(ex.inputs[0]).mean(axis=(2, 3), keepdims=True),
    independent=lambda x: np.asarray(x).mean(axis=(2, 3), keepdims=True),
    sample=Example((np.arange(2 * 3 * 4 * 4, dtype=np.float64).reshape(2, 3, 4, 4),)),
    array_inputs=(0,),
))


# ---------------------------------------------------------------------------------------------
# batch normalisation and regularisation


def batchnorm_train(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *,
                    eps: float = 1e-5) -> np.ndarray:
    """The output ``y`` of :func:`reference.batchnorm.batchnorm_train`.

    Its other outputs are the batch statistics, which get no gradient.
    """
    return batchnorm.batchnorm_train(x, gamma, beta, eps=eps)[0]


@st.composite
def _batchnorm_examples(draw: st.DrawFn) -> Example:
    channels = draw(st.integers(1, 4))
    shape = draw(st.sampled_from([(draw(st.integers(2, 8)), channels),
                                  (draw(st.integers(1, 3)), channels, draw(st.integers(1, 3)),
                                   draw(st.integers(2, 3)))]))
    # spread out, so that the batch variance is well away from 0 and from eps
    x = draw(nst.separated_arrays(shape, min_gap=0.1))
    gamma = draw(nst.arrays((channels,), scale=2.0))
    beta = draw(nst.arrays((channels,), scale=2.0))
    return Example((x, gamma, beta), {"eps": draw(st.sampled_from([1e-5, 1e-3]))})


def _batchnorm_axes(x: np.ndarray) -> tuple[int, ...]:
    return (0,) if x.ndim == 2 else (0, 2, 3)


def _batchnorm_numpy(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *,
                     eps: float = 1e-5) -> np.ndarray:
    x = np.asarray(x)
    axes = _batchnorm_axes(x)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    normalised = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(
        x.var(axis=axes, keepdims=True) + eps)
    return normalised * np.asarray(gamma).reshape(shape) + np.asarray(beta).reshape(shape)


def _batchnorm_gauge(ex: Example) -> np.ndarray:
    """|gamma| (mean|x| + |x - mu|) / sqrt(var + eps) + |beta| + |y - beta|.

    The rounding of the mean (relative to mean|x|), of x - mu and of the variance, carried
    through the scale.
    """
    x, gamma, beta = (np.asarray(v) for v in ex.inputs)
    axes = _batchnorm_axes(x)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    scale = np.abs(gamma).reshape(shape) / np.sqrt(x.var(axis=axes, keepdims=True)
                                                   + ex.attrs["eps"])
    centred = np.abs(x - x.mean(axis=axes, keepdims=True))
    y = _batchnorm_numpy(x, gamma, beta, eps=ex.attrs["eps"])
    spread = np.abs(x).mean(axis=axes, keepdims=True)
    return scale * (spread + centred) + np.abs(beta).reshape(shape) + np.abs(
        y - beta.reshape(shape))


register(OpEntry(
    name="batchnorm_train",
    forward=batchnorm_train,
    backward=batchnorm.batchnorm_backward,
    examples=_batchnorm_examples(),
    wrt=(0, 1, 2),
    # the m-term mean, the m-term variance, the square root and division, the products
    terms=lambda ex: 2 * int(np.size(ex.inputs[0]) // np.shape(ex.inputs[0])[1]) + 8,
    gauge=_batchnorm_gauge,
    independent=_batchnorm_numpy,
    sample=Example((np.array([[1.0, 2.0], [3.0, 5.0], [4.0, 1.0]]), np.array([1.0, 0.5]),
                    np.array([0.0, 1.0])), {"eps": 1e-5}),
    array_inputs=(0, 1, 2),
))


@st.composite
def _weight_decay_examples(draw: st.DrawFn) -> Example:
    w = draw(nst.arrays(nst.shapes(min_dims=1, max_dims=3, max_side=5), scale=4.0))
    return Example((w,), {"lam": draw(st.one_of(st.just(0.0), st.floats(1e-3, 1.0)))})


register(OpEntry(
    name="weight_decay",
    forward=regularization.weight_decay,
    backward=regularization.weight_decay_backward,
    examples=_weight_decay_examples(),
    wrt=(0,),
    # n squares summed, two products
    terms=lambda ex: int(np.size(ex.inputs[0])) + 3,
    gauge=lambda ex: np.asarray(regularization.weight_decay(*ex.inputs, **ex.attrs)),
    independent=lambda w, lam: 0.5 * lam * float(np.sum(np.asarray(w) ** 2)),
    sample=Example((np.array([3.0, 4.0]),), {"lam": 0.1}),
    array_inputs=(0,),
    any_rank=(0,),
))


def dropout(x: np.ndarray, *, p: float, seed: int) -> np.ndarray:
    """:func:`reference.regularization.dropout`'s output, its mask drawn from ``seed``.

    So it is a deterministic, differentiable (linear) function of x.
    """
    return regularization.dropout(x, p, np.random.default_rng(seed))[0]


def dropout_backward(dy: np.ndarray, x: np.ndarray, *, p: float, seed: int) -> np.ndarray:
    """:func:`reference.regularization.dropout_backward` with the mask of the same seed."""
    values = as_float_array(x, "dropout_backward", "x")
    mask = regularization.dropout(values, p, np.random.default_rng(seed))[1]
    return regularization.dropout_backward(dy, mask, p)


@st.composite
def _dropout_examples(draw: st.DrawFn) -> Example:
    x = draw(nst.arrays(nst.shapes(min_dims=1, max_dims=3, max_side=6), scale=4.0))
    return Example((x,), {"p": draw(st.sampled_from([0.0, 0.1, 0.5, 0.9])),
                          "seed": draw(nst.seeds())})


register(OpEntry(
    name="dropout",
    forward=dropout,
    backward=dropout_backward,
    examples=_dropout_examples(),
    wrt=(0,),
    # a product and a division
    terms=lambda ex: 2,
    gauge=lambda ex: np.abs(ex.call(dropout)),
    independent=lambda x, p, seed: np.asarray(x) * (np.random.default_rng(seed).random(
        np.shape(x)) >= p) / (1.0 - p),
    sample=Example((np.array([[1.0, -2.0], [0.5, 3.0]]),), {"p": 0.5, "seed": 0}),
    array_inputs=(0,),
    any_rank=(0,),
))
