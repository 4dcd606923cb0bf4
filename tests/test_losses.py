"""Laws of the losses (so far the squared loss; the rest arrive with the neurons)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import assert_close, gamma
from numerics import strategies as nst
from reference import losses

pairs = nst.shapes(min_dims=1, max_dims=3, max_side=6).flatmap(
    lambda shape: st.tuples(nst.arrays(shape, scale=100.0), nst.arrays(shape, scale=100.0)))


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
    lambda shape: st.tuples(nst.arrays(shape, scale=10.0), nst.arrays(shape, scale=10.0)))


@given(small_pairs, st.floats(1.0, 10.0))
def test_gaussian_negative_log_likelihood_is_the_squared_loss_up_to_constants(
        pair: tuple, sigma: float) -> None:
    """-mean log N(y | y_hat, sigma^2) = L / sigma^2 + log(2 pi sigma^2) / 2: maximum likelihood."""
    y_hat, y = pair
    density = np.exp(-((y - y_hat) ** 2) / (2 * sigma**2)) / np.sqrt(2 * np.pi * sigma**2)
    assert np.all(density >= np.finfo(np.float64).tiny)
    nll = -np.mean(np.log(density))
    identity = losses.squared_loss(y_hat, y) / sigma**2 + 0.5 * np.log(2 * np.pi * sigma**2)
    # each term: a handful of roundings plus exp and log (each within a few u, NumPy's accuracy)
    gauge = np.mean((y - y_hat) ** 2) / (2 * sigma**2) + abs(0.5 * np.log(2 * np.pi * sigma**2))
    assert_close(nll, identity, gauge=gauge, terms=2 * (y.size + 12))


@given(pairs, nst.scalars(4.0))
def test_squared_loss_backward_is_linear_in_its_incoming_gradient(pair: tuple,
                                                                  d_loss: float) -> None:
    """The backward is d_loss (y_hat - y) / N: scaling d_loss scales it, element by element."""
    y_hat, y = pair
    unit = losses.squared_loss_backward(1.0, y_hat, y)
    assert unit.shape == y_hat.shape
    assert_close(losses.squared_loss_backward(d_loss, y_hat, y), d_loss * unit,
                 gauge=np.abs(d_loss * unit), terms=4)
    assert_close(unit, (y_hat - y) / y.size, terms=2)


def test_a_constant_prediction_is_best_at_the_mean() -> None:
    """Among constant predictions, the squared loss is smallest at mean(y): its gradient is 0."""
    y = np.array([1.0, 2.0, 6.0, 7.0])
    best = np.full_like(y, y.mean())
    assert abs(losses.squared_loss_backward(1.0, best, y).sum()) <= gamma(y.size) * np.abs(y).sum()
    for shift in (-0.5, 0.25, 1.0):
        assert losses.squared_loss(best + shift, y) > losses.squared_loss(best, y)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: losses.squared_loss(np.ones(3), np.ones(4)), ValueError,
     r"squared_loss: y_hat and y must have the same shape; got \(3,\) and \(4,\)"),
    (lambda: losses.squared_loss(np.ones((0,)), np.ones((0,))), ValueError,
     r"squared_loss: y_hat must hold at least one element"),
    (lambda: losses.squared_loss(np.ones(3), np.arange(3)), TypeError,
     r"squared_loss: y must be a real floating-point array; got integer data"),
    (lambda: losses.squared_loss_backward("1", np.ones(3), np.ones(3)), TypeError,
     r"squared_loss_backward: d_loss must be a real scalar"),
    (lambda: losses.squared_loss_backward(np.ones(3), np.ones(3), np.ones(3)), TypeError,
     r"squared_loss_backward: d_loss must be a real scalar"),
])
def test_bad_input_gets_a_clear_error(call, error: type, message: str) -> None:  # type: ignore[no-untyped-def]
    """Shapes that differ, empty arrays, integer data, a non-scalar incoming gradient."""
    with pytest.raises(error, match=f"^{message}"):
        call()


def test_nan_propagates_as_ieee_arithmetic_says() -> None:
    """A NaN prediction gives a NaN loss, not a crash and not a number."""
    assert np.isnan(losses.squared_loss(np.array([1.0, np.nan]), np.array([1.0, 2.0])))
    assert np.isinf(losses.squared_loss(np.array([1.0, np.inf]), np.array([1.0, 2.0])))
