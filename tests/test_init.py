"""Laws of initialisation: variances, orthogonality, and what they do to signals through depth."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import assert_close, gamma
from numerics import strategies as nst
from reference import activations as act
from reference import init

#: (initialiser, its variance from (fan_in, fan_out), the kurtosis E[w^4] / sigma^4 of its law)
LAWS = [
    (init.glorot_uniform, lambda fan_in, fan_out: 2.0 / (fan_in + fan_out), 9.0 / 5.0),
    (init.glorot_normal, lambda fan_in, fan_out: 2.0 / (fan_in + fan_out), 3.0),
    (init.lecun_normal, lambda fan_in, fan_out: 1.0 / fan_in, 3.0),
    (init.he_normal, lambda fan_in, fan_out: 2.0 / fan_in, 3.0),
    (init.he_uniform, lambda fan_in, fan_out: 2.0 / fan_in, 9.0 / 5.0),
]
#: Six standard deviations: a false failure has probability about 2e-9 per check (normal
#: approximation of a mean of at least 2^14 terms; Chebyshev's bound without it is 1/36).
Z = 6.0

weight_shapes = st.one_of(
    st.tuples(st.integers(128, 256), st.integers(128, 256)),
    st.tuples(
        st.integers(16, 32), st.integers(8, 16), st.sampled_from([3, 5]), st.sampled_from([3, 5])
    ),
)


def test_fan_in_and_fan_out_count_the_receptive_field() -> None:
    """Dense (fan_in, fan_out) as it is; a convolution OIHW sums C_in kH kW inputs per output."""
    assert init.fan_in_fan_out((256, 128)) == (256, 128)
    assert init.fan_in_fan_out((32, 16, 3, 3)) == (16 * 9, 32 * 9)
    with pytest.raises(ValueError, match=r"^fan_in_fan_out: shape must have at least 2 axes"):
        init.fan_in_fan_out((5,))


@pytest.mark.parametrize(
    ("initialiser", "variance", "kurtosis"), LAWS, ids=[law[0].__name__ for law in LAWS]
)
@given(shape=weight_shapes, seed=nst.seeds())
def test_each_sample_variance_matches_its_formula(
    initialiser, variance, kurtosis, shape: tuple[int, ...], seed: int
) -> None:
    """The mean of w^2 over n >= 2^14 weights is sigma^2 within Z sqrt((kappa - 1) / n) relative.

    The weights have mean 0, so E[w^2] = sigma^2 and Var[w^2] = (kappa - 1) sigma^4, with
    kurtosis kappa = 3 (normal) or 9/5 (uniform). Z = 6 makes a false failure about 2e-9 likely.
    """
    w = initialiser(shape, np.random.default_rng(seed))
    assert w.shape == shape
    expected = variance(*init.fan_in_fan_out(shape))
    allowed = Z * math.sqrt((kurtosis - 1.0) / w.size)
    assert abs(np.mean(w * w) / expected - 1.0) <= allowed
    if "uniform" in initialiser.__name__:
        # U(-a, a) with a^2 / 3 = sigma^2: every weight within a
        assert np.max(np.abs(w)) <= math.sqrt(3.0 * expected)


@given(st.integers(1, 40), st.integers(1, 40), st.floats(0.5, 2.0), nst.seeds())
def test_orthogonal_matrices_are_orthogonal(rows: int, cols: int, gain: float, seed: int) -> None:
    """An orthogonal initialisation W satisfies W^T W = g^2 I, within the rounding of QR.

    W^T W = g^2 I (W W^T for wide W) entry by entry within g^2 2 sqrt(n) gamma_{4mn}: the
    Householder QR's Q is within sqrt(n) gamma~_{mn} of an orthogonal matrix (Higham, Accuracy
    and Stability of Numerical Algorithms, Theorem 19.4, its small constant taken as 4), and the
    product adds gamma_m.
    """
    W = init.orthogonal((rows, cols), np.random.default_rng(seed), gain=gain)
    small, large = min(rows, cols), max(rows, cols)
    gram = W.T @ W if rows >= cols else W @ W.T
    bound = gain**2 * (2.0 * math.sqrt(small) * gamma(4 * small * large) + gamma(large))
    assert np.max(np.abs(gram - gain**2 * np.eye(small))) <= bound


def test_orthogonal_matrices_are_uniformly_distributed() -> None:
    """Orthogonal initialisations prefer no direction: every entry averages 0 over many draws.

    With the signs of R's diagonal folded into Q, no direction is preferred: over 3000 draws of
    3x3 matrices the mean of each entry is 0 within Z standard errors (each entry has variance
    1/3).
    """
    rng = np.random.default_rng(0)
    draws = np.array([init.orthogonal((3, 3), rng) for _ in range(3000)])
    assert np.all(np.abs(draws.mean(axis=0)) <= Z * math.sqrt(1.0 / 3.0 / 3000))


def _run(initialiser, activation, activation_backward, scale: float = 1.0) -> init.Propagation:
    """50 layers of 256 units, a batch of 512, seed 0: the experiment of the page's figure."""
    return init.propagate(
        initialiser, activation, activation_backward, np.random.default_rng(0), scale=scale
    )


@given(nst.seeds(), st.floats(0.1, 3.0))
def test_the_propagation_experiment_is_the_chain_rule(seed: int, scale: float) -> None:
    """The depth experiment's mean squares are a plain forward pass's and the chain rule's.

    propagate's mean squares are those of a plain NumPy forward pass and of the gradient sent
    back by the chain rule (tanh' = 1 - tanh^2), drawn from the same generator in the same
    order. Each layer's values are sums of products (4 of them; BLAS may add them in another
    order) then tanh (within 4u) or the product with 1 - a^2 (3 roundings): after k layers an
    element is within gamma_{k (4 + 4)} of the same computation on absolute values, G. A mean
    of squares of values g off by e is off by at most mean(2 e |g| + e^2) plus its own 20
    additions, the square and the division: held to gamma_{2(k (4 + 4) + 22)} of
    2 mean(G |g|) + mean(g^2), both sides being rounded.
    """
    run = init.propagate(
        init.glorot_normal,
        act.tanh,
        act.tanh_backward,
        np.random.default_rng(seed),
        depth=3,
        width=4,
        batch=5,
        scale=scale,
    )
    rng = np.random.default_rng(seed)
    activity = rng.standard_normal((5, 4))
    size = activity.size
    forward, weights, outputs = [np.mean(activity**2)], [], []
    forward_gauge, forward_terms = [np.mean(activity**2)], [size + 2]
    gauge = np.abs(activity)
    for layer in range(1, 4):
        weights.append(scale * init.glorot_normal((4, 4), rng))
        activity = np.tanh(activity @ weights[-1])
        # |tanh(z)| <= |z|: the absolute computation bounds the errors carried forward
        gauge = gauge @ np.abs(weights[-1])
        outputs.append(activity)
        forward.append(np.mean(activity**2))
        forward_gauge.append(2.0 * np.mean(gauge * np.abs(activity)) + forward[-1])
        forward_terms.append(layer * (4 + 4) + size + 2)
    gradient = rng.standard_normal((5, 4))
    backward = [np.mean(gradient**2)]
    backward_gauge, backward_terms = [backward[0]], [size + 2]
    gauge = np.abs(gradient)
    for layer, (W, a) in enumerate(zip(reversed(weights), reversed(outputs), strict=True), 1):
        gradient = (gradient * (1.0 - a**2)) @ W.T
        gauge = (gauge * np.abs(1.0 - a**2)) @ np.abs(W.T)
        backward.append(np.mean(gradient**2))
        backward_gauge.append(2.0 * np.mean(gauge * np.abs(gradient)) + backward[-1])
        backward_terms.append(layer * (4 + 4) + size + 2)
    assert_close(run.forward, forward, gauge=forward_gauge, terms=2 * max(forward_terms))
    assert_close(
        run.backward, backward[::-1], gauge=backward_gauge[::-1], terms=2 * max(backward_terms)
    )
    # each layer: 4 products and sums, and tanh (within 4u: 4 more terms), through 3 layers
    assert_close(run.output, activity, gauge=1.0, terms=2 * 3 * (4 + 4))


def test_glorot_keeps_a_tanh_network_alive_through_fifty_layers() -> None:
    """With Glorot's weights a deep tanh network's activations decay slowly, as theory predicts.

    With Glorot weights a tanh network's mean square activation follows the mean-field
    prediction v_L = 1 / (1/v_0 + 2L) (from E tanh(z)^2 = v - 2v^2 + O(v^3) for small v):
    polynomial decay, about 0.01 after 50 layers, within a factor 1.5 (finite width). Weights
    10x too small collapse it below 1e-6 (a factor 100 per layer); 10x too large saturate it:
    most units sit at +-1.
    """
    run = _run(init.glorot_uniform, act.tanh, act.tanh_backward)
    prediction = 1.0 / (1.0 / run.forward[0] + 2.0 * 50)
    assert prediction / 1.5 <= run.forward[-1] <= 1.5 * prediction
    assert _run(init.glorot_uniform, act.tanh, act.tanh_backward, 0.1).forward[-1] < 1e-6
    large = _run(init.glorot_uniform, act.tanh, act.tanh_backward, 10.0)
    assert np.mean(np.abs(large.output) > 0.9) > 0.8


def test_he_keeps_the_second_moment_of_a_relu_network_where_glorot_halves_it() -> None:
    """He's weights keep a deep ReLU network's second moment; Glorot's halve it at every layer.

    ReLU zeroes half of each unit's inputs: He's variance 2/fan_in makes up for it and the
    second moment after 50 layers is within a factor 4 of the input's (finite-width noise: each
    layer multiplies it by 1 + O(1/sqrt(width))); Glorot's 1/fan_in halves it at every layer:
    the geometric mean of the 50 ratios is 1/2 within 10 %, 2^-50 in all.
    """
    he = _run(init.he_normal, act.relu, act.relu_backward).forward
    assert 0.25 <= he[-1] / he[0] <= 4.0
    glorot = _run(init.glorot_uniform, act.relu, act.relu_backward).forward
    per_layer = (glorot[-1] / glorot[0]) ** (1.0 / 50)
    assert 0.45 <= per_layer <= 0.55


def test_gradients_keep_their_variance_backward_too() -> None:
    """Glorot's weights also keep the gradient alive on its way back through 50 tanh layers.

    Glorot and Bengio's second condition, fan_out sigma^2 = 1, keeps the backward signal: the
    gradient's mean square back through 50 tanh layers stays above 1 % of the output's (the
    same slow decay as forward), where weights 10x too small make it vanish below 1e-6 and 10x
    too large make it explode above 1e6.
    """

    def ratio(scale: float) -> float:
        backward = _run(init.glorot_uniform, act.tanh, act.tanh_backward, scale).backward
        return float(backward[0] / backward[-1])

    assert ratio(1.0) > 1e-2
    assert ratio(0.1) < 1e-6
    assert ratio(10.0) > 1e6


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: init.glorot_uniform((5,), np.random.default_rng(0)),
            ValueError,
            r"^glorot_uniform: shape must have at least 2 axes .* no fan-in",
        ),
        (
            lambda: init.he_normal((0, 3), np.random.default_rng(0)),
            ValueError,
            r"^he_normal: shape must have sides of at least 1",
        ),
        (
            lambda: init.lecun_normal((3, 3), 0),
            TypeError,
            r"^lecun_normal: rng must be a numpy.random.Generator",
        ),
        (
            lambda: init.uniform((3, 3), np.random.default_rng(0), scale=-1.0),
            ValueError,
            r"^uniform: scale must be >= 0.0",
        ),
        (
            lambda: init.orthogonal((3, 2.5), np.random.default_rng(0)),
            TypeError,
            r"^orthogonal: shape must be a tuple of ints",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call: Any, error: type, message: str) -> None:
    """A shape with no fan-in, an empty side, no generator, a negative scale, a float side."""
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"depth": -1}, ValueError, r"depth must be a positive integer"),
        ({"depth": True}, TypeError, r"depth must be a positive integer"),
        ({"batch": 0}, ValueError, r"batch must be a positive integer"),
        ({"width": [1.0]}, TypeError, r"width must be a positive integer"),
        ({"scale": np.nan}, ValueError, r"scale must be > 0"),
    ],
)
def test_the_depth_experiment_refuses_settings_that_describe_no_network(
    options: dict[str, Any], error: type, message: str
) -> None:
    """A network of -1 layers, a batch of 0 examples or a NaN scale is refused, not run."""
    with pytest.raises(error, match=rf"^propagate: {message}"):
        init.propagate(
            init.glorot_normal, act.tanh, act.tanh_backward, np.random.default_rng(0), **options
        )


def test_an_initialiser_names_itself_for_a_shape_without_fan_in() -> None:
    """he_normal((5,)) is refused by he_normal, not by fan_in_fan_out underneath it."""
    with pytest.raises(ValueError, match=r"^he_normal: shape must have at least 2 axes"):
        init.he_normal((5,), np.random.default_rng(0))


def test_an_initialiser_refuses_a_shape_past_int64_and_draws_at_the_largest_scale() -> None:
    """A side of 10**20 is refused by name; a uniform scale of 1e308 (width 2e308) still draws."""
    with pytest.raises(ValueError, match=r"^he_normal: shape .* holds more than 2\*\*63 - 1"):
        init.he_normal((10**20, 2), np.random.default_rng(0))
    w = init.uniform((50, 50), np.random.default_rng(0), scale=1e308)
    assert np.all(np.isfinite(w))
    assert np.all(np.abs(w) <= 1e308)
    assert (w / 1e300).std() > 1e7  # spread over the interval, not stuck near 0
