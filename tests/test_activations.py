"""Laws of the activation functions: identities, saturation, homogeneity, softmax's invariances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from numerics import assert_close, catalog, gamma
from numerics import strategies as nst
from numerics.catalog import Example
from reference import activations as act

any_shape = nst.shapes(min_dims=0, max_dims=4, max_side=5)
wide = any_shape.flatmap(lambda shape: nst.arrays(shape, scale=40.0))
ELEMENTWISE = (act.step, act.sigmoid, act.tanh, act.relu, act.leaky_relu)
BACKWARDS = (
    act.step_backward,
    act.sigmoid_backward,
    act.tanh_backward,
    act.relu_backward,
    act.leaky_relu_backward,
)


@given(wide)
def test_sigmoid_is_antisymmetric_about_one_half(x: np.ndarray) -> None:
    """sigma(-x) = 1 - sigma(x).

    Each side is within gamma_6 of the truth (exp, a sum, a division) and the subtraction is one
    rounding more: gamma_13 of sigma(x) + sigma(-x) = 1.
    """
    assert_close(act.sigmoid(-x), 1.0 - act.sigmoid(x), gauge=1.0, terms=13)


@given(wide)
def test_tanh_is_a_stretched_sigmoid(x: np.ndarray) -> None:
    """tanh(x) = 2 sigma(2x) - 1.

    Within gamma_{4+6+1} of the gauge 2 sigma(2x) + 1: tanh within 4u, the sigmoid within
    gamma_6, the final subtraction.
    """
    assert_close(
        act.tanh(x),
        2.0 * act.sigmoid(2.0 * x) - 1.0,
        gauge=2.0 * act.sigmoid(2.0 * x) + 1.0,
        terms=11,
    )


@given(wide)
def test_sigmoid_slope_is_at_most_a_quarter_and_vanishes_beyond_ten(x: np.ndarray) -> None:
    """sigma'(x) <= 1/4 (up to the rounding of e / (1 + e)^2.

    gamma_4), and sigma'(x) < 1e-4 for |x| > 10: the saturation that makes deep sigmoid networks
    stop learning.
    """
    slope = act.sigmoid_backward(np.ones_like(x), x)
    assert np.all(slope <= 0.25 * (1.0 + gamma(4)))
    assert np.all(slope >= 0.0)
    assert np.all(slope[np.abs(x) > 10.0] < 1e-4)
    assert act.sigmoid_backward(np.ones(1), np.zeros(1))[0] == 0.25


@given(any_shape.flatmap(lambda shape: nst.arrays(shape, scale=100.0)), st.integers(-20, 20))
def test_relu_is_positively_homogeneous(x: np.ndarray, power: int) -> None:
    """relu(c x) = c relu(x) for c > 0, bit for bit for c = 2^k (c x is then exact)."""
    scale = 2.0**power
    assert np.array_equal(act.relu(scale * x), scale * act.relu(x))


@given(wide)
def test_leaky_relu_spans_relu_and_the_identity(x: np.ndarray) -> None:
    """Alpha = 0 gives relu and alpha = 1 the identity, bit for bit."""
    assert np.array_equal(act.leaky_relu(x, alpha=0.0), act.relu(x))
    assert np.array_equal(act.leaky_relu(x, alpha=1.0), x)
    dy = np.ones_like(x)
    assert np.array_equal(act.leaky_relu_backward(dy, x, alpha=0.0), act.relu_backward(dy, x))
    assert np.array_equal(act.leaky_relu_backward(dy, x, alpha=1.0), dy)


@given(
    nst.shapes(min_dims=1, max_dims=4, max_side=5).flatmap(
        lambda shape: st.tuples(nst.arrays(shape, scale=10.0), nst.scalars(1.0))
    )
)
def test_prelu_with_one_slope_is_leaky_relu(case: tuple) -> None:
    """A shared alpha of shape (1,) gives leaky_relu with that alpha, bit for bit.

    its gradient is the sum of the per-channel ones.
    """
    x, alpha = case
    assert np.array_equal(act.prelu(x, np.array([alpha])), act.leaky_relu(x, alpha=alpha))
    dy = np.ones_like(x)
    dx, dalpha = act.prelu_backward(dy, x, np.array([alpha]))
    assert np.array_equal(dx, act.leaky_relu_backward(dy, x, alpha=alpha))
    assert_close(dalpha[0], np.sum(np.where(x > 0, 0.0, x)), gauge=np.abs(x).sum(), terms=x.size)


@given(
    hnp.array_shapes(min_dims=2, max_dims=4, max_side=4).flatmap(
        lambda shape: st.tuples(nst.arrays(shape, scale=10.0), nst.arrays((shape[1],), scale=1.0))
    )
)
def test_prelu_slopes_act_per_channel_on_axis_one(case: tuple) -> None:
    """Channel c of prelu(x, alpha) is leaky_relu of channel c with alpha_c."""
    x, alpha = case
    y = act.prelu(x, alpha)
    for c in range(x.shape[1]):
        assert np.array_equal(y[:, c], act.leaky_relu(x[:, c], alpha=alpha[c]))


softmax_cases = nst.shapes(min_dims=1, max_dims=4, max_side=5).flatmap(
    lambda shape: st.tuples(nst.arrays(shape, scale=50.0), st.integers(-len(shape), len(shape) - 1))
)


@given(softmax_cases)
def test_softmax_sums_to_one_along_its_axis(case: tuple) -> None:
    """sum_k s_k = 1 within gamma_{2K+1}.

    the sum Z (K - 1 additions of positive terms), the K divisions, and the test's own sum of K
    terms.
    """
    x, axis = case
    total = act.softmax(x, axis=axis).sum(axis=axis)
    assert_close(total, np.ones_like(total), gauge=1.0, terms=2 * x.shape[axis] + 1)
    assert np.all(act.softmax(x, axis=axis) >= 0.0)


@given(
    nst.shapes(min_dims=1, max_dims=3, max_side=5).flatmap(
        lambda shape: st.tuples(
            hnp.arrays(np.int64, shape, elements=st.integers(-800, 800)),
            st.integers(-len(shape), len(shape) - 1),
            st.integers(-(2**20), 2**20),
        )
    )
)
def test_softmax_ignores_a_constant_added_along_its_axis(case: tuple) -> None:
    """softmax(x + c) = softmax(x), bit for bit when x + c is exact (values on a grid of 1/8).

    the kernel only ever sees x - max(x), which the shift does not change.
    """
    grid, axis, shift = case
    x = grid / 8.0
    assert np.array_equal(act.softmax(x + shift, axis=axis), act.softmax(x, axis=axis))
    assert np.array_equal(act.log_softmax(x + shift, axis=axis), act.log_softmax(x, axis=axis))


@given(softmax_cases)
def test_softmax_is_the_exponential_of_log_softmax(case: tuple) -> None:
    """exp(log_softmax(x)) = softmax(x).

    log_softmax's absolute error, gamma_{K+3} of its gauge, is a relative error after exp (plus
    exp's own 4u), and softmax carries gamma_{K+3} of its own gauge: held to gamma_{2(K+3)+4} of
    s times the sum of both gauges over s.
    """
    x, axis = case
    example = Example((x,), {"axis": axis})
    s = act.softmax(x, axis=axis)
    log_gauge = catalog.get("log_softmax").gauge(example)
    soft_gauge = catalog.get("softmax").gauge(example)
    assert_close(
        np.exp(act.log_softmax(x, axis=axis)),
        s,
        gauge=s * log_gauge + soft_gauge,
        terms=2 * (x.shape[axis] + 3) + 4,
    )


@given(nst.away_from([0.0], 0.01, any_shape, scale=100.0), nst.scalars(1.0))
def test_the_step_has_zero_derivative_almost_everywhere(x: np.ndarray, d_out: float) -> None:
    """Away from 0 the step is flat.

    finite differences and the backward are exactly 0, so gradient descent gets no signal from a
    threshold unit (hence the perceptron's own rule).
    """
    h = 0.005
    assert np.array_equal(act.step(x + h) - act.step(x - h), np.zeros(x.shape))
    assert np.array_equal(act.step_backward(np.full(x.shape, d_out), x), np.zeros(x.shape))


@pytest.mark.parametrize(
    "function", [*ELEMENTWISE, act.softmax, act.log_softmax], ids=lambda f: f.__name__
)
def test_stable_up_to_ten_thousand(function) -> None:
    """For |x| <= 1e4 no overflow warning (warnings are errors in this suite), no NaN, no inf."""
    x = np.concatenate([np.linspace(-1e4, 1e4, 2001), [-745.2, -709.8, 709.8, 745.2]])
    y = function(x)
    assert np.all(np.isfinite(y))


@pytest.mark.parametrize(
    "backward",
    [*BACKWARDS, act.softmax_backward, act.log_softmax_backward],
    ids=lambda f: f.__name__,
)
def test_backwards_are_stable_up_to_ten_thousand(backward) -> None:
    """The backwards too: finite for |x| <= 1e4."""
    x = np.concatenate([np.linspace(-1e4, 1e4, 2001), [-745.2, -709.8, 709.8, 745.2]])
    assert np.all(np.isfinite(backward(np.ones_like(x), x)))


def test_values_at_the_extremes_are_the_correctly_rounded_limits() -> None:
    """sigma(-1e4) = 0 and sigma(1e4) = 1 (the truth rounds to them).

    tanh(+-1e4) = +-1; log_softmax keeps the exact gap where softmax underflows; sigma' keeps
    relative accuracy in the tail (exp(-700) / (1 + exp(-700))^2 = exp(-700) to the last bit).
    """
    assert act.sigmoid(np.array([-1e4]))[0] == 0.0
    assert act.sigmoid(np.array([1e4]))[0] == 1.0
    assert np.array_equal(act.tanh(np.array([-1e4, 1e4])), [-1.0, 1.0])
    assert np.array_equal(act.log_softmax(np.array([0.0, 1e4])), [-1e4, 0.0])
    assert act.sigmoid_backward(np.ones(1), np.array([-700.0]))[0] == np.exp(-700.0)
    tail = act.tanh_backward(np.ones(1), np.array([30.0]))[0]
    assert_close(tail, 4.0 * np.exp(-60.0), terms=6)


@pytest.mark.parametrize(
    "function", [*ELEMENTWISE, act.softmax, act.log_softmax], ids=lambda f: f.__name__
)
def test_nan_propagates(function) -> None:
    """NaN in gives NaN out at that place (softmax: along its row), never a silent number."""
    y = function(np.array([np.nan, 1.0]))
    assert np.isnan(y[0])


def test_relu_gradient_at_the_kink_is_zero() -> None:
    """At x = 0 the ReLU has no derivative.

    the backward uses the left slope, 0 (as PyTorch); the leaky ReLU uses alpha there.
    """
    assert act.relu_backward(np.ones(1), np.zeros(1))[0] == 0.0
    assert act.leaky_relu_backward(np.ones(1), np.zeros(1), alpha=0.3)[0] == 0.3


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: act.prelu(np.ones((2, 3)), np.ones(2)),
            ValueError,
            r"^prelu: alpha must have shape \(3,\) .* got shape \(2,\)",
        ),
        (
            lambda: act.prelu(np.ones((2, 3)), np.ones((3, 1))),
            ValueError,
            r"^prelu: alpha must be a 1-D array",
        ),
        (
            lambda: act.softmax(np.ones((2, 3)), axis=2),
            ValueError,
            r"^softmax: axis must be in \[-2, 1\] for a 2-D input; got 2",
        ),
        (
            lambda: act.softmax(np.ones((2, 3)), axis=1.0),
            TypeError,
            r"^softmax: axis must be an integer",
        ),
        (
            lambda: act.log_softmax(np.ones((2, 0))),
            ValueError,
            r"^log_softmax: axis -1 of x must not be empty",
        ),
        (
            lambda: act.softmax(np.float64(1.0)),
            ValueError,
            r"^softmax: x must have at least one axis",
        ),
        (
            lambda: act.leaky_relu(np.ones(2), alpha=np.nan),
            ValueError,
            r"^leaky_relu: alpha must be finite",
        ),
        (
            lambda: act.sigmoid_backward(np.ones(3), np.ones(2)),
            ValueError,
            r"^sigmoid_backward: dy must have the shape of x, \(2,\); got shape \(3,\)",
        ),
        (lambda: act.relu([1, 2]), TypeError, r"^relu: x must be a real floating-point array"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message) -> None:
    """Wrong shapes, axes, slopes and dtypes are refused with the function and argument named."""
    with pytest.raises(error, match=message):
        call()


def test_a_non_finite_slope_is_refused_by_prelu_as_by_leaky_relu() -> None:
    """An infinite or NaN slope is refused, not computed with (it gave [nan, -inf] before)."""
    for slope in (np.inf, np.nan):
        with pytest.raises(ValueError, match=r"^prelu: alpha must be finite"):
            act.prelu(np.array([0.0, -1.0]), np.array([slope]))


def test_a_ragged_list_is_refused_with_the_argument_named() -> None:
    """Rows of different lengths are refused by name, not with NumPy's message about sequences."""
    with pytest.raises(ValueError, match=r"^sigmoid: x must be a rectangular array"):
        act.sigmoid([[1.0], [1.0, 2.0]])
