"""Laws of the losses: the squared loss of regression, and the losses of classification."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from numerics import assert_close, catalog, gamma
from numerics import strategies as nst
from numerics.catalog import Example
from reference import activations, losses

pairs = nst.shapes(min_dims=1, max_dims=3, max_side=6).flatmap(
    lambda shape: st.tuples(nst.arrays(shape, scale=100.0), nst.arrays(shape, scale=100.0))
)


@given(pairs)
def test_squared_loss_is_non_negative_and_zero_only_at_the_target(pair: tuple) -> None:
    """L >= 0, with L = 0 exactly when the prediction equals the target."""
    y_hat, y = pair
    loss = losses.squared_loss(y_hat, y)
    assert loss >= 0.0
    assert (loss == 0.0) == bool(np.all(y_hat == y))
    assert losses.squared_loss(y, y) == 0.0


@given(pairs)
def test_squared_loss_is_symmetric(pair: tuple) -> None:
    """(a - b)^2 = (b - a)^2, and in floating point too: a - b = -(b - a) exactly."""
    y_hat, y = pair
    assert losses.squared_loss(y_hat, y) == losses.squared_loss(y, y_hat)


@given(pairs, st.integers(-10, 10))
def test_squared_loss_scales_with_the_square_of_the_units(pair: tuple, power: int) -> None:
    """Prices in euros instead of thousands: L(c y_hat, c y) = c^2 L, exact for c = 2^k."""
    y_hat, y = pair
    scale = 2.0**power
    assert losses.squared_loss(scale * y_hat, scale * y) == scale**2 * losses.squared_loss(y_hat, y)


@given(pairs)
def test_squared_loss_is_the_mean_over_every_element(pair: tuple) -> None:
    """Any shape is flattened: the loss of a batch of vectors is the mean over all entries."""
    y_hat, y = pair
    assert losses.squared_loss(y_hat, y) == losses.squared_loss(y_hat.ravel(), y.ravel())


# residuals up to 20 and sigma >= 1 keep each density above exp(-200): a normal number, so
# that the naive log(exp(...)) below is accurate
small_pairs = nst.shapes(min_dims=1, max_dims=3, max_side=6).flatmap(
    lambda shape: st.tuples(nst.arrays(shape, scale=10.0), nst.arrays(shape, scale=10.0))
)


@given(small_pairs, st.floats(1.0, 10.0))
def test_gaussian_negative_log_likelihood_is_the_squared_loss_up_to_constants(
    pair: tuple, sigma: float
) -> None:
    """-mean log N(y | y_hat, sigma^2) = L / sigma^2 + log(2 pi sigma^2) / 2: maximum likelihood."""
    y_hat, y = pair
    density = np.exp(-((y - y_hat) ** 2) / (2 * sigma**2)) / np.sqrt(2 * np.pi * sigma**2)
    assert np.all(density >= np.finfo(np.float64).tiny)
    nll = -np.mean(np.log(density))
    identity = losses.squared_loss(y_hat, y) / sigma**2 + 0.5 * np.log(2 * np.pi * sigma**2)
    # each term: a handful of roundings plus exp and log (each within a few u, NumPy's accuracy)
    gauge = np.mean((y - y_hat) ** 2) / (2 * sigma**2) + abs(0.5 * np.log(2 * np.pi * sigma**2))
    assert_close(nll, identity, gauge=gauge, terms=2 * (y.size + 12))
    # the same for the mean squared error, without the factor 1/2: MSE / (2 sigma^2) + const
    same = losses.squared_error(y_hat, y) / (2 * sigma**2) + 0.5 * np.log(2 * np.pi * sigma**2)
    assert_close(nll, same, gauge=gauge, terms=2 * (y.size + 12))


@given(pairs, nst.scalars(4.0))
def test_squared_loss_backward_is_linear_in_its_incoming_gradient(
    pair: tuple, d_loss: float
) -> None:
    """The backward is d_loss (y_hat - y) / N: scaling d_loss scales it, element by element."""
    y_hat, y = pair
    unit = losses.squared_loss_backward(1.0, y_hat, y)
    assert unit.shape == y_hat.shape
    assert_close(
        losses.squared_loss_backward(d_loss, y_hat, y),
        d_loss * unit,
        gauge=np.abs(d_loss * unit),
        terms=4,
    )
    assert_close(unit, (y_hat - y) / y.size, terms=2)


def test_a_constant_prediction_is_best_at_the_mean() -> None:
    """Among constant predictions, the squared loss is smallest at mean(y): its gradient is 0."""
    y = np.array([1.0, 2.0, 6.0, 7.0])
    best = np.full_like(y, y.mean())
    assert abs(losses.squared_loss_backward(1.0, best, y).sum()) <= gamma(y.size) * np.abs(y).sum()
    for shift in (-0.5, 0.25, 1.0):
        assert losses.squared_loss(best + shift, y) > losses.squared_loss(best, y)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: losses.squared_loss(np.ones(3), np.ones(4)),
            ValueError,
            r"squared_loss: y_hat and y must have the same shape; got \(3,\) and \(4,\)",
        ),
        (
            lambda: losses.squared_loss(np.ones((0,)), np.ones((0,))),
            ValueError,
            r"squared_loss: y_hat must hold at least one element",
        ),
        (
            lambda: losses.squared_loss(np.ones(3), np.arange(3)),
            TypeError,
            r"squared_loss: y must be a real floating-point array; got integer data",
        ),
        (
            lambda: losses.squared_loss_backward("1", np.ones(3), np.ones(3)),
            TypeError,
            r"squared_loss_backward: d_loss must be a real scalar",
        ),
        (
            lambda: losses.squared_loss_backward(np.ones(3), np.ones(3), np.ones(3)),
            TypeError,
            r"squared_loss_backward: d_loss must be a real scalar",
        ),
        (
            lambda: losses.cross_entropy_with_logits(np.zeros((2, 3)), np.array([0, 3])),
            ValueError,
            r"cross_entropy_with_logits: labels must be classes in \[0, 3\); got 3 at index 1",
        ),
        (
            lambda: losses.cross_entropy_with_logits(np.zeros((2, 3)), np.array([-1, 0])),
            ValueError,
            r"cross_entropy_with_logits: labels must be classes in \[0, 3\); got -1 at index 0",
        ),
        (
            lambda: losses.cross_entropy_with_logits(np.zeros((2, 3)), np.array([0, 1, 2])),
            ValueError,
            r"cross_entropy_with_logits: integer labels must have shape \(2,\)",
        ),
        (
            lambda: losses.cross_entropy_with_logits(np.zeros((2, 3)), np.array([0.0, 1.0])),
            TypeError,
            r"cross_entropy_with_logits: labels must be integer classes of shape \(2,\) or "
            r"floating-point one-hot rows of shape \(2, 3\)",
        ),
        (
            lambda: losses.cross_entropy_with_logits(np.zeros((2, 3)), np.ones((2, 3))),
            ValueError,
            r"cross_entropy_with_logits: each row of labels must sum to 1 .* row 0 sums to 3.0",
        ),
        (
            lambda: losses.cross_entropy_with_logits(np.zeros((2, 3)), np.eye(2)),
            ValueError,
            r"cross_entropy_with_logits: one-hot labels must have the shape of z, \(2, 3\)",
        ),
        (
            lambda: losses.cross_entropy_with_logits(np.zeros(3), np.array([0])),
            ValueError,
            r"cross_entropy_with_logits: z must be a 2-D array of shape \(N, K\)",
        ),
        (
            lambda: losses.binary_cross_entropy(np.array([0.5, 1.5]), np.ones(2)),
            ValueError,
            r"binary_cross_entropy: p must lie in \[0, 1\]; got 1.5 at index \(1,\)",
        ),
        (
            lambda: losses.binary_cross_entropy(np.array([0.5, np.nan]), np.ones(2)),
            ValueError,
            r"binary_cross_entropy: p must lie in \[0, 1\]; got nan",
        ),
        (
            lambda: losses.binary_cross_entropy(np.array([0.5]), np.array([-0.5])),
            ValueError,
            r"binary_cross_entropy: y must lie in \[0, 1\]; got -0.5",
        ),
        (
            lambda: losses.binary_cross_entropy_with_logits(np.zeros(2), np.array([0.0, 2.0])),
            ValueError,
            r"binary_cross_entropy_with_logits: y must lie in \[0, 1\]; got 2.0",
        ),
        (
            lambda: losses.binary_cross_entropy_with_logits(np.zeros(2), np.zeros(3)),
            ValueError,
            r"binary_cross_entropy_with_logits: z and y must have the same shape",
        ),
        (
            lambda: losses.zero_one_loss(np.zeros((2, 3)), np.array([0, 5])),
            ValueError,
            r"zero_one_loss: y must be classes in \[0, 3\); got 5 at index 1",
        ),
        (
            lambda: losses.absolute_error_backward(1.0, np.ones((2, 2)), np.ones(4)),
            ValueError,
            r"absolute_error_backward: y_hat and y must have the same shape",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call: Any, error: type, message: str) -> None:
    """Bad input is refused with the function and argument named.

    Shapes that differ, empty arrays, integer data, a non-scalar incoming gradient, classes out
    of range, one-hot rows that are not distributions, probabilities outside [0, 1].
    """
    with pytest.raises(error, match=f"^{message}"):
        call()


def test_nan_propagates_as_ieee_arithmetic_says() -> None:
    """A NaN prediction gives a NaN loss, not a crash and not a number."""
    assert np.isnan(losses.squared_loss(np.array([1.0, np.nan]), np.array([1.0, 2.0])))
    assert np.isinf(losses.squared_loss(np.array([1.0, np.inf]), np.array([1.0, 2.0])))


# ---------------------------------------------------------------------------------------------
# classification

logits_and_labels = st.tuples(st.integers(1, 6), st.integers(1, 6)).flatmap(
    lambda nk: st.tuples(
        nst.arrays(nk, scale=60.0),
        hnp.arrays(np.int64, (nk[0],), elements=st.integers(0, nk[1] - 1)),
    )
)


@given(logits_and_labels)
def test_softmax_cross_entropy_gradient_is_softmax_minus_one_hot_over_n(case: tuple) -> None:
    """dL/dz = (softmax(z) - onehot) / N.

    within gamma_{K+5} of (the softmax gauge + onehot) / N, both sides computing e^{z - m} / Z
    the same way.
    """
    z, labels = case
    count, classes = z.shape
    onehot = np.eye(classes)[labels]
    expected = (activations.softmax(z, axis=1) - onehot) / count
    softmax_gauge = catalog.get("softmax").gauge(Example((z,), {"axis": 1}))
    assert_close(
        losses.cross_entropy_with_logits_backward(1.0, z, labels),
        expected,
        gauge=(softmax_gauge + onehot) / count,
        terms=2 * (classes + 5),
    )


@given(logits_and_labels)
def test_one_hot_rows_and_integer_labels_give_the_same_loss(case: tuple) -> None:
    """Integer classes and their one-hot rows are the same targets: bit for bit."""
    z, labels = case
    onehot = np.eye(z.shape[1])[labels]
    from_labels = losses.cross_entropy_with_logits(z, labels)
    assert from_labels == losses.cross_entropy_with_logits(z, onehot)
    assert np.array_equal(
        losses.cross_entropy_with_logits_backward(1.0, z, labels),
        losses.cross_entropy_with_logits_backward(1.0, z, onehot),
    )
    assert losses.zero_one_loss(z, labels) == losses.zero_one_loss(z, onehot)


@given(logits_and_labels)
def test_cross_entropy_is_non_negative_and_zero_only_at_probability_one(case: tuple) -> None:
    """L >= 0, and L = 0 only where every row's class has probability 1 (softmax rounds to 1).

    With the other logits at -inf the probability is exactly 1 and so is exp(-L).
    """
    z, labels = case
    loss = losses.cross_entropy_with_logits(z, labels)
    assert loss >= 0.0
    probability = activations.softmax(z, axis=1)[np.arange(len(labels)), labels]
    if loss == 0.0:
        assert np.all(probability == 1.0)
    certain = np.full_like(z, -np.inf)
    certain[np.arange(len(labels)), labels] = z[np.arange(len(labels)), labels]
    assert losses.cross_entropy_with_logits(certain, labels) == 0.0


def test_cross_entropy_keeps_a_confident_loss_to_full_accuracy() -> None:
    """A margin of 30 gives the loss log(1 + e^-30) = 9.357622968839299e-14 to the last bits.

    The log of the sum 1 + 1e-13 would keep three digits of it.
    """
    loss = losses.cross_entropy_with_logits(np.array([[30.0, 0.0]]), np.array([0]))
    assert_close(loss, np.log1p(np.exp(-30.0)), terms=4)


bce_cases = nst.shapes(min_dims=1, max_dims=2, max_side=6).flatmap(
    lambda shape: st.tuples(
        nst.arrays(shape, scale=30.0),
        hnp.arrays(
            np.float64,
            shape,
            elements=st.one_of(
                st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0, allow_subnormal=False)
            ),
        ),
    )
)


@given(bce_cases)
def test_bce_with_logits_equals_bce_of_the_sigmoid(case: tuple) -> None:
    """BCE_logits(z, y) = BCE(sigma(z), y) for |z| <= 30.

    BCE(sigma(z)) loses digits: sigma(z) is within gamma_6, and 1 - sigma(z) then within gamma_6
    sigma/(1 - sigma) = gamma_6 e^z of itself, an absolute error after the log. Held to
    gamma_{2(N+12)} of the mean of 2 + |z|(1 + y) + (1 - y) e^z + y e^-z + the terms.
    """
    z, y = case
    with_logits = losses.binary_cross_entropy_with_logits(z, y)
    p = activations.sigmoid(z)
    if np.any(((p == 0.0) & (y > 0)) | ((p == 1.0) & (y < 1))):
        return  # BCE(sigma(z)) is infinite there; the law holds where both are finite
    terms = np.logaddexp(0.0, z) - y * z
    gauge = np.mean(2.0 + np.abs(z) * (1.0 + y) + (1.0 - y) * np.exp(z) + y * np.exp(-z) + terms)
    assert_close(
        losses.binary_cross_entropy(p, y), with_logits, gauge=gauge, terms=2 * (z.size + 12)
    )


def test_bce_with_logits_is_finite_up_to_ten_thousand() -> None:
    """For |z| <= 1e4 the loss and its gradient are finite, and exact where the truth is simple.

    a wrong certain logit costs |z| (plus log(1 + e^-|z|), which rounds away).
    """
    z = np.linspace(-1e4, 1e4, 2001)
    for target in (0.0, 0.5, 1.0):
        y = np.full_like(z, target)
        assert np.isfinite(losses.binary_cross_entropy_with_logits(z, y))
        assert np.all(np.isfinite(losses.binary_cross_entropy_with_logits_backward(1.0, z, y)))
    assert losses.binary_cross_entropy_with_logits(np.array([-1e4]), np.array([1.0])) == 1e4
    assert losses.binary_cross_entropy_with_logits(np.array([1e4]), np.array([1.0])) == 0.0


def test_bce_at_the_edges_of_the_unit_interval() -> None:
    """0 log 0 = 0: a certain, right prediction costs 0.

    a certain, wrong one costs +inf (the true value; PyTorch clamps the log at -100 instead).
    """
    assert losses.binary_cross_entropy(np.array([0.0, 1.0]), np.array([0.0, 1.0])) == 0.0
    assert losses.binary_cross_entropy(np.array([0.0]), np.array([1.0])) == np.inf
    assert losses.binary_cross_entropy_backward(1.0, np.array([0.0]), np.array([1.0]))[0] == -np.inf


@given(
    nst.shapes(min_dims=1, max_dims=2, max_side=6).flatmap(
        lambda shape: st.tuples(
            nst.arrays(shape, scale=10.0),
            nst.arrays(shape, scale=10.0),
            hnp.arrays(np.bool_, shape),
            nst.arrays(shape, scale=10.0),
        )
    )
)
def test_absolute_error_backward_is_a_subgradient(case: tuple) -> None:
    """L(v) >= L(y_hat) + <g, v - y_hat> for every v, also where y_hat ties with y (the kink).

    g is a subgradient. Slack: the rounding of the three sides, gamma_{N+3} of their gauges.
    """
    y_hat, y, tie, v = case
    y_hat = np.where(tie, y, y_hat)
    g = losses.absolute_error_backward(1.0, y_hat, y)
    assert np.all(np.abs(g) <= 1.0 / y.size)
    left = losses.absolute_error(v, y)
    right = losses.absolute_error(y_hat, y) + float(np.sum(g * (v - y_hat)))
    slack = gamma(y.size + 3) * (
        left
        + losses.absolute_error(y_hat, y)
        + float(np.sum(np.abs(g) * (np.abs(v) + np.abs(y_hat))))
    )
    assert left >= right - slack


@given(
    st.tuples(st.integers(1, 8), st.integers(1, 5)).flatmap(
        lambda nk: st.tuples(
            nst.separated_arrays(nk, min_gap=0.05),
            hnp.arrays(np.int64, (nk[0],), elements=st.integers(0, nk[1] - 1)),
        )
    )
)
def test_zero_one_loss_is_the_error_rate_and_flat(case: tuple) -> None:
    """The fraction of rows whose arg-max is not the class.

    its derivative is 0 (it is flat between ties), which is why classifiers are trained on
    cross-entropy instead.
    """
    scores, labels = case
    wrong = sum(int(np.argmax(row) != label) for row, label in zip(scores, labels, strict=True))
    assert losses.zero_one_loss(scores, labels) == wrong / len(labels)
    assert np.array_equal(
        losses.zero_one_loss_backward(1.0, scores, labels), np.zeros(scores.shape)
    )
    assert losses.zero_one_loss(scores + 0.01, labels) == losses.zero_one_loss(scores, labels)


@given(pairs)
def test_squared_error_is_twice_the_squared_loss(pair: tuple) -> None:
    """MSE = 2 x (half MSE), bit for bit (a doubling is exact), and so are their gradients."""
    y_hat, y = pair
    assert losses.squared_error(y_hat, y) == 2.0 * losses.squared_loss(y_hat, y)
    assert np.array_equal(
        losses.squared_error_backward(1.0, y_hat, y),
        2.0 * losses.squared_loss_backward(1.0, y_hat, y),
    )


def test_an_infinite_logit_has_the_limit_of_its_loss() -> None:
    """A right answer with an infinite logit costs 0 (the limit), a wrong one costs infinity."""
    assert losses.binary_cross_entropy_with_logits(np.array([np.inf]), np.array([1.0])) == 0.0
    assert losses.binary_cross_entropy_with_logits(np.array([-np.inf]), np.array([0.0])) == 0.0
    assert losses.binary_cross_entropy_with_logits(np.array([np.inf]), np.array([0.0])) == np.inf
    half = losses.binary_cross_entropy_with_logits(np.array([np.inf]), np.array([0.5]))
    assert half == np.inf


@given(st.floats(-30.0, 30.0))
def test_cross_entropy_in_bits_bounds_the_zero_one_loss(margin: float) -> None:
    """-log2 sigma(z) >= [z <= 0]: cross-entropy in bits is an upper bound on the error.

    (In nats it is not: -ln sigma(z) < 1 for z in about (-0.54, 0], where the step is 1.)
    The example's zero-one loss takes scores (0, z) for class 1: wrong when z <= 0, as ties
    go to the first maximum.
    """
    bits = losses.binary_cross_entropy_with_logits(np.array([margin]), np.ones(1)) / np.log(2)
    error = losses.zero_one_loss(np.array([[0.0, margin]]), np.array([1]))
    assert bits >= error * (1 - gamma(4))
