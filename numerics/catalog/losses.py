"""Catalog entries of the losses (:mod:`reference.losses`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special

from numerics import strategies as nst
from numerics.catalog import Example, OpEntry, independent, register
from reference import losses


@st.composite
def _pair_examples(draw: st.DrawFn) -> Example:
    shape = draw(nst.shapes(min_dims=1, max_dims=3, max_side=6))
    return Example((draw(nst.arrays(shape, scale=10.0)), draw(nst.arrays(shape, scale=10.0))))


register(
    OpEntry(
        name="squared_loss",
        concept="losses",
        smooth=True,
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
    )
)


def _mean_loss_terms(extra: int) -> Callable[[Example], int]:
    """Per element ``extra`` rounded operations, then a sum of N terms and the division by N."""
    return lambda ex: np.size(ex.inputs[0]) + extra


register(
    OpEntry(
        name="squared_error",
        concept="losses",
        smooth=True,
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
    )
)


@st.composite
def _separated_pair_examples(draw: st.DrawFn) -> Example:
    """Predictions at least 0.01 from their targets: |r| has a kink at r = 0."""
    shape = draw(nst.shapes(min_dims=1, max_dims=3, max_side=6))
    y = draw(nst.arrays(shape, scale=10.0))
    residual = draw(nst.away_from([0.0], 0.01, shape, scale=10.0))
    return Example((np.asarray(y) + residual, y))


register(
    OpEntry(
        name="absolute_error",
        concept="losses",
        forward=losses.absolute_error,
        backward=losses.absolute_error_backward,
        examples=_separated_pair_examples(),
        wrt=(0,),
        # the difference, N - 1 additions, the division
        terms=_mean_loss_terms(2),
        gauge=lambda ex: np.asarray(losses.absolute_error(*ex.inputs)),
        independent=lambda y_hat, y: np.mean(np.abs(np.asarray(y_hat) - np.asarray(y))),
        sample=Example((np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.5, 2.0]))),
        array_inputs=(0, 1),
    )
)


@st.composite
def _score_examples(draw: st.DrawFn) -> Example:
    """Tie-free scores (N, K) and integer classes: the arg-max is stable under a small step."""
    count, classes = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    scores = draw(nst.separated_arrays((count, classes), min_gap=0.05))
    labels = np.array(
        draw(st.lists(st.integers(0, classes - 1), min_size=count, max_size=count)), dtype=np.int64
    )
    return Example((scores, labels))


register(
    OpEntry(
        name="zero_one_loss",
        concept="losses",
        forward=losses.zero_one_loss,
        backward=losses.zero_one_loss_backward,
        examples=_score_examples(),
        wrt=(0,),
        # a count divided by N: one rounding
        terms=lambda ex: 1,
        gauge=lambda ex: np.asarray(losses.zero_one_loss(*ex.inputs)),
        independent=lambda y_hat, y: np.mean(np.argmax(np.asarray(y_hat), axis=1) != np.asarray(y)),
        sample=Example((np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]]), np.array([0, 0, 0]))),
        array_inputs=(0,),
    )
)


@st.composite
def _probability_examples(draw: st.DrawFn) -> Example:
    """Probabilities in [0.02, 0.98] (smooth logs within the step), targets in [0, 1]."""
    shape = draw(nst.shapes(min_dims=1, max_dims=3, max_side=6))
    probability = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.02, 0.98)))
    target = draw(
        hnp.arrays(
            np.float64,
            shape,
            elements=st.one_of(
                st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0, allow_subnormal=False)
            ),
        )
    )
    return Example((nst.with_layout(probability, draw(st.sampled_from(nst.LAYOUTS))), target))


register(
    OpEntry(
        name="binary_cross_entropy",
        concept="losses",
        smooth=True,
        forward=losses.binary_cross_entropy,
        backward=losses.binary_cross_entropy_backward,
        examples=_probability_examples(),
        wrt=(0,),
        # per element: 1 - p, two logs (2 ulps each: 4u), two products, the sum: then the mean
        terms=_mean_loss_terms(4),
        # the terms are non-negative (the value), plus u for rounding 1 - p inside a log,
        # which is an absolute error of u per element: gamma_n * 1 covers it
        gauge=lambda ex: np.asarray(losses.binary_cross_entropy(*ex.inputs)) + 1.0,
        independent=lambda p, y: (
            -np.mean(special.xlogy(y, p) + special.xlogy(1.0 - np.asarray(y), 1.0 - np.asarray(p)))
        ),
        sample=Example((np.array([0.5, 0.9, 0.2]), np.array([1.0, 1.0, 0.0]))),
        array_inputs=(0, 1),
    )
)


@st.composite
def _logit_examples(draw: st.DrawFn) -> Example:
    shape = draw(nst.shapes(min_dims=1, max_dims=3, max_side=6))
    target = draw(
        hnp.arrays(
            np.float64,
            shape,
            elements=st.one_of(
                st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0, allow_subnormal=False)
            ),
        )
    )
    return Example((draw(nst.arrays(shape, scale=40.0)), target))


register(
    OpEntry(
        name="binary_cross_entropy_with_logits",
        concept="losses",
        smooth=True,
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
    )
)


@st.composite
def _logits_and_labels(draw: st.DrawFn) -> Example:
    count, classes = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    logits = draw(nst.arrays((count, classes), scale=20.0))
    labels = np.array(
        draw(st.lists(st.integers(0, classes - 1), min_size=count, max_size=count)), dtype=np.int64
    )
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
    targets = independent.targets(z, ex.inputs[1])
    largest = z.max(axis=1, keepdims=True)
    s = special.softmax(z, axis=1)
    log_sum = special.logsumexp(z, axis=1, keepdims=True) - largest
    spread = (s * np.abs(z - largest)).sum(axis=1, keepdims=True)
    per_row = (targets * (np.abs(z) + np.abs(largest) + log_sum + 1.0 + spread)).sum(axis=1)
    return np.asarray(per_row.mean())


register(
    OpEntry(
        name="cross_entropy_with_logits",
        concept="losses",
        smooth=True,
        forward=losses.cross_entropy_with_logits,
        backward=losses.cross_entropy_with_logits_backward,
        examples=_logits_and_labels(),
        wrt=(0,),
        # per row: K exponentials and their sum, a log, two differences, the product with t;
        # then the mean over N rows
        terms=lambda ex: np.shape(ex.inputs[0])[1] + np.shape(ex.inputs[0])[0] + 5,
        gauge=_cross_entropy_gauge,
        independent=independent.cross_entropy_with_logits,
        sample=Example((np.array([[0.0, 0.0, 1.0], [2.0, -1.0, 0.5]]), np.array([2, 0]))),
        array_inputs=(0,),
        edge_cases=(
            (
                "logits [1000, 999, 0], the right class and the least likely one",
                Example((np.array([[1000.0, 999.0, 0.0], [1000.0, 999.0, 0.0]]), np.array([0, 2]))),
            ),
        ),
    )
)
