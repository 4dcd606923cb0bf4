"""Laws of dense layers and of backpropagation through whole networks; the digits result."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import assert_close, assert_gradient
from numerics import strategies as nst
from reference import dense as dn
from reference import mlp
from reference.digits import train_digit_network

KINKED = {"relu", "leaky_relu"}
#: Every activation an MLP layer can use, drawn for the random networks below.
NAMES = sorted(mlp.ACTIVATIONS)


def _clear_of_kinks(x: np.ndarray, params: list, names: list[str], margin: float) -> list:
    """Shift each ReLU-like unit's bias to keep every row ``margin`` from the kink at 0.

    The smallest such shift always exists (at most N forbidden intervals of width 2 margin);
    layer by layer, since each shift changes the next layer's input.
    """
    activity, cleared = x, []
    for (weights, bias), name in zip(params, names, strict=True):
        bias = bias.copy()
        if name in KINKED:
            z = activity @ weights
            for unit in range(weights.shape[1]):
                candidates = [0.0] + [
                    s for row in z[:, unit] for s in (-row - margin * 1.01, -row + margin * 1.01)
                ]
                shift = min(
                    (
                        s
                        for s in candidates
                        if np.all(np.abs(z[:, unit] + bias[unit] + s) >= margin)
                    ),
                    key=abs,
                )
                bias[unit] += shift
        cleared.append((weights, bias))
        activity = mlp.mlp_forward(activity, [(weights, bias)], [name])
    return cleared


@st.composite
def networks(draw: st.DrawFn) -> tuple[np.ndarray, list, list[str]]:
    """Depth 1 to 4, widths 1 to 16, any activation per layer, pre-activations clear of kinks."""
    depth = draw(st.integers(1, 4))
    widths = [draw(st.integers(1, 16)) for _ in range(depth + 1)]
    count = draw(st.integers(1, 3))
    x = draw(nst.arrays((count, widths[0]), scale=2.0))
    params = [
        (
            draw(nst.arrays((fan_in, fan_out), scale=1.0)) / np.sqrt(fan_in),
            draw(nst.arrays((fan_out,), scale=1.0)),
        )
        for fan_in, fan_out in itertools.pairwise(widths)
    ]
    names = [draw(st.sampled_from(NAMES)) for _ in range(depth)]
    return x, _clear_of_kinks(x, params, names, margin=0.05), names


@given(networks(), nst.seeds())
def test_random_networks_pass_the_gradient_check(network: tuple, seed: int) -> None:
    """mlp_backward is the gradient of <dy, mlp_forward> in every weight and bias.

    Random depths, widths and activations. The step is 2^-12 so that the checker's box (and the
    change it makes to every later layer's pre-activations) stays inside the 0.05 cleared around
    each ReLU kink.
    """
    x, params, names = network
    flat = [array for layer in params for array in layer]

    def forward(*arrays: np.ndarray) -> np.ndarray:
        return mlp.mlp_forward(x, list(zip(arrays[::2], arrays[1::2], strict=True)), names)

    def backward(dy: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
        grads = mlp.mlp_backward(dy, x, list(zip(arrays[::2], arrays[1::2], strict=True)), names)
        return tuple(g for layer in grads for g in layer)

    assert_gradient(forward, backward, flat, seed=seed, step=2.0**-12, directions=1)


@given(
    st.tuples(*(st.integers(1, 8) for _ in range(3))).flatmap(
        lambda shape: st.tuples(
            *(
                nst.arrays(s, scale=4.0)
                for s in (
                    (shape[0], shape[1]),
                    (shape[1], shape[2]),
                    (shape[2],),
                    (shape[0], shape[2]),
                    (shape[0], shape[1]),
                    (shape[1], shape[2]),
                )
            )
        )
    )
)
def test_dense_backward_is_the_adjoint_of_the_forward(case: tuple) -> None:
    """<dy, v W> = <dy W^T, v> and <dy, x V> = <x^T dy, V>.

    the backward is the transpose of the linear map (exactly, so the bound is pure rounding: at
    most fan_in + fan_out + N (fan_in + fan_out) roundings in a row on each side, of the
    products' absolute values).
    """
    x, W, b, dy, v, V = case
    count, fan_in = x.shape
    fan_out = W.shape[1]
    dx, dW, db = dn.dense_backward(dy, x, W, b)
    terms = 2 * (fan_in + fan_out + count * (fan_in + fan_out))
    assert_close(
        np.sum(dx * v),
        np.sum(dy * (v @ W)),
        gauge=np.sum(np.abs(dy) * (np.abs(v) @ np.abs(W))),
        terms=terms,
    )
    assert_close(
        np.sum(dW * V),
        np.sum(dy * (x @ V)),
        gauge=np.sum(np.abs(dy) * (np.abs(x) @ np.abs(V))),
        terms=terms,
    )
    assert_close(db, dy.sum(axis=0), gauge=np.abs(dy).sum(axis=0), terms=2 * count)


@given(
    st.lists(st.integers(1, 8), min_size=2, max_size=5).flatmap(
        lambda widths: st.tuples(
            nst.arrays((3, widths[0]), scale=2.0),
            st.tuples(
                *(
                    st.tuples(nst.arrays((a, b), scale=1.0), nst.arrays((b,), scale=1.0))
                    for a, b in itertools.pairwise(widths)
                )
            ),
        )
    )
)
def test_a_stack_of_linear_layers_is_one_linear_map(case: tuple) -> None:
    """Without activations, depth adds nothing.

    the layers equal one dense layer with W = W_1 W_2 ... W_L and b = (b_1 W_2 + b_2) W_3 + ...
    + b_L. Both are sums over the same products: held to gamma_{2 sum(fan_in + 1)} of the
    network run on absolute values.
    """
    x, layers = case
    params = [(W, b) for W, b in layers]
    names = ["identity"] * len(params)
    W_total, b_total = params[0]
    for W, b in params[1:]:
        W_total, b_total = W_total @ W, b_total @ W + b
    gauge = mlp.mlp_forward(np.abs(x), [(np.abs(W), np.abs(b)) for W, b in params], names)
    terms = 2 * sum(W.shape[0] + 1 for W, _ in params)
    assert_close(
        mlp.mlp_forward(x, params, names), dn.dense(x, W_total, b_total), gauge=gauge, terms=terms
    )


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_units_that_start_equal_stay_equal(activation: str) -> None:
    """Units that start equal get equal gradients, so SGD never tells them apart.

    Two hidden units with the same incoming and outgoing weights: after 20 epochs they are still
    equal (to the last bit: they see the same numbers in the same order). Random initialisation
    is what breaks the symmetry.
    """
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    labels = rng.integers(0, 2, 40)
    column = rng.standard_normal((3, 1))
    row = rng.standard_normal((1, 2))
    symmetric = [
        (np.hstack([column, column]), np.array([0.1, 0.1])),
        (np.vstack([row, row]), np.zeros(2)),
    ]
    params, _ = mlp.train_classifier(
        X,
        labels,
        symmetric,
        [activation, "identity"],
        lr=0.1,
        batch_size=8,
        epochs=20,
        rng=np.random.default_rng(1),
    )
    (W1, b1), (W2, _) = params
    assert not np.array_equal(W1, symmetric[0][0])  # they did learn
    assert np.array_equal(W1[:, 0], W1[:, 1])
    assert b1[0] == b1[1]
    assert np.array_equal(W2[0], W2[1])

    broken = [
        (rng.standard_normal((3, 2)), np.zeros(2)),
        (rng.standard_normal((2, 2)), np.zeros(2)),
    ]
    params, _ = mlp.train_classifier(
        X,
        labels,
        broken,
        [activation, "identity"],
        lr=0.1,
        batch_size=8,
        epochs=20,
        rng=np.random.default_rng(1),
    )
    assert not np.array_equal(params[0][0][:, 0], params[0][0][:, 1])


def test_the_worked_graph_follows_the_three_gate_patterns() -> None:
    """The page's worked graph: add distributes, multiply swaps, max routes, every value exact.

    z = w1 x1 + w2 x2 + b, h = max(z, 0), L = (h - t)^2 / 2 with x = (2, -1), w = (0.5, -1.5),
    t = 0.5. With b = -0.5, by hand: z = 2, h = 2, L = 1.125; dL/dh = h - t = 1.5 and max routes
    all of it to z (z > 0); add gives 1.5 to b; multiply swaps, dw = x 1.5 = (3, -1.5) and
    dx = w 1.5 = (0.75, -2.25). With b = -3, z = -0.5 and max routes everything to the
    constant 0: z, w, x and b get 0. Small dyadic numbers: exact.
    """
    from reference import activations, losses

    x, W, t = np.array([[2.0, -1.0]]), np.array([[0.5], [-1.5]]), np.array([[0.5]])
    for bias, z_hand, dz_hand in ((-0.5, 2.0, 1.5), (-3.0, -0.5, 0.0)):
        b = np.array([bias])
        z = dn.dense(x, W, b)
        h = activations.relu(z)
        dh = losses.squared_loss_backward(1.0, h, t)
        dz = activations.relu_backward(dh, z)
        dx, dW, db = dn.dense_backward(dz, x, W, b)
        assert z[0, 0] == z_hand
        assert losses.squared_loss(h, t) == 0.5 * (max(z_hand, 0.0) - 0.5) ** 2
        assert dh[0, 0] == max(z_hand, 0.0) - 0.5
        assert dz[0, 0] == dz_hand  # max routes
        assert db[0] == dz_hand  # add distributes
        assert np.array_equal(dW, dz_hand * np.array([[2.0], [-1.0]]))  # multiply swaps: x
        assert np.array_equal(dx, dz_hand * np.array([[0.5, -1.5]]))  # and w


def test_one_hidden_layer_of_tanh_units_fits_sine() -> None:
    """The universal approximation theorem, seen once.

    10 tanh units, trained by SGD (seed 0, 300 epochs), fit sin on [-pi, pi] to a maximum error
    below 0.05 on 201 points.
    """
    x = np.linspace(-np.pi, np.pi, 201)[:, None]
    rng = np.random.default_rng(0)
    params = [
        (rng.standard_normal((1, 10)), rng.standard_normal(10)),
        (rng.standard_normal((10, 1)) / np.sqrt(10), np.zeros(1)),
    ]
    params, losses = mlp.train_regressor(
        x, np.sin(x), params, ["tanh", "identity"], lr=0.2, batch_size=16, epochs=300, rng=rng
    )
    error = np.max(np.abs(mlp.mlp_forward(x, params, ["tanh", "identity"]) - np.sin(x)))
    assert error < 0.05
    assert losses[-1] < losses[0]


def test_the_digits_network_scores_at_least_95_percent_on_held_out_digits() -> None:
    """At least 95 % of 500 held-out digits right.

    A 64-64-10 tanh network, softmax cross-entropy, minibatch SGD (60 epochs, seed 1), trained
    on the other 1297 of the 8x8 digits.
    """
    result = train_digit_network()
    assert result.test_accuracy >= 0.95
    assert result.losses[-1] < 0.1 * result.losses[0]


@given(st.integers(1, 6), st.lists(st.integers(1, 8), min_size=2, max_size=6))
def test_training_keeps_every_layers_activations(count: int, widths: list[int]) -> None:
    """Training keeps N sum_l (F_{l-1} + F_l) numbers: (a_prev, z) for each layer.

    What the backward needs from the forward is linear in the batch size and in the depth, where
    prediction holds two layers.
    """
    params = [(np.ones((a, b)), np.zeros(b)) for a, b in itertools.pairwise(widths)]
    cache = mlp.mlp_forward_cache(np.ones((count, widths[0])), params, ["tanh"] * len(params))
    held = sum(a_prev.size + z.size for a_prev, z in cache)
    assert held == count * sum(a + b for a, b in itertools.pairwise(widths))


def test_training_leaves_the_starting_parameters_alone() -> None:
    """train_classifier, train_regressor and mlp_backward never write into params, x or dy."""
    rng = np.random.default_rng(0)
    X, labels = rng.standard_normal((10, 3)), rng.integers(0, 2, 10)
    params = [
        (rng.standard_normal((3, 4)), np.zeros(4)),
        (rng.standard_normal((4, 2)), np.zeros(2)),
    ]
    before = [(W.copy(), b.copy()) for W, b in params]
    X_before, dy = X.copy(), np.ones((10, 2))
    mlp.train_classifier(
        X, labels, params, ["relu", "identity"], lr=0.1, batch_size=4, epochs=2, rng=rng
    )
    mlp.train_regressor(
        X, dy, params, ["relu", "identity"], lr=0.1, batch_size=4, epochs=2, rng=rng
    )
    mlp.mlp_backward(dy, X, params, ["relu", "identity"])
    assert all(
        np.array_equal(W, W0) and np.array_equal(b, b0)
        for (W, b), (W0, b0) in zip(params, before, strict=True)
    )
    assert np.array_equal(X, X_before)
    assert np.array_equal(dy, np.ones((10, 2)))


def _two_layers() -> list:
    return [(np.ones((3, 4)), np.zeros(4)), (np.ones((4, 2)), np.zeros(2))]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: mlp.mlp_forward(np.ones((2, 3)), _two_layers(), ["tanh"]),
            ValueError,
            r"^mlp_forward: activations must be a list of 2 names",
        ),
        (
            lambda: mlp.mlp_forward(np.ones((2, 3)), _two_layers(), ["tanh", "swish"]),
            ValueError,
            r"^mlp_forward: activations\[1\] must be one of .*; got 'swish'",
        ),
        (
            lambda: mlp.mlp_forward(np.ones((2, 5)), _two_layers(), ["tanh", "tanh"]),
            ValueError,
            r"^mlp_forward: params\[0\] must take 5 inputs",
        ),
        (
            lambda: mlp.mlp_backward(np.ones((2, 3)), np.ones((2, 3)), _two_layers(), ["tanh"] * 2),
            ValueError,
            r"^mlp_backward: dy must have the output's shape \(2, 2\); got shape \(2, 3\)",
        ),
        (
            lambda: mlp.train_classifier(
                np.ones((2, 3)),
                np.array([0, 1]),
                _two_layers(),
                ["tanh", "softmax"],
                lr=0.1,
                batch_size=1,
                epochs=1,
                rng=np.random.default_rng(0),
            ),
            ValueError,
            r"^train_classifier: the last layer must output logits",
        ),
        (
            lambda: mlp.train_classifier(
                np.ones((2, 3)),
                np.array([0, 1]),
                _two_layers(),
                ["tanh", "identity"],
                lr=-0.1,
                batch_size=1,
                epochs=1,
                rng=np.random.default_rng(0),
            ),
            ValueError,
            r"^train_classifier: lr must be > 0",
        ),
        (
            lambda: mlp.train_regressor(
                np.ones((2, 3)),
                np.ones((2, 3)),
                _two_layers(),
                ["tanh", "identity"],
                lr=0.1,
                batch_size=1,
                epochs=1,
                rng=np.random.default_rng(0),
            ),
            ValueError,
            r"^train_regressor: Y must have shape \(2, 2\)",
        ),
        (
            lambda: dn.dense(np.ones((2, 3)), np.ones((4, 2)), np.ones(2)),
            ValueError,
            r"^dense: W must have 3 rows",
        ),
        (
            lambda: dn.dense(np.ones((2, 3)), np.ones((3, 2)), np.ones(3)),
            ValueError,
            r"^dense: b must have shape \(2,\)",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call: Any, error: type, message: str) -> None:
    """Bad networks and settings are refused with the function and argument named.

    Layers that do not chain, unknown activations, a softmax before the loss's own softmax, a
    negative learning rate, targets of the wrong shape.
    """
    with pytest.raises(error, match=message):
        call()


def test_a_learning_rate_too_large_is_reported_with_the_step() -> None:
    """Divergence raises NonFiniteLossError naming the step and the rate, not a NaN network."""
    from reference import NonFiniteLossError

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 2)) * 100.0
    params = [(rng.standard_normal((2, 1)), np.zeros(1))]
    with pytest.raises(NonFiniteLossError, match=r"^train_regressor: the loss became .* lr = "):
        mlp.train_regressor(
            X, X[:, :1], params, ["identity"], lr=1e3, batch_size=4, epochs=50, rng=rng
        )


def test_a_diverging_run_is_named_at_its_first_non_finite_minibatch() -> None:
    """The trainer reports the first step whose minibatch loss is not finite, not the epoch's end.

    With lr = 1e100 a linear fit of 64 rows in minibatches of 8 overflows on the third step
    (step 2 counts the updates made before it), where the epoch's evaluation came at step 8.
    """
    from reference import NonFiniteLossError

    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    params = [(rng.standard_normal((3, 1)), np.zeros(1))]
    with pytest.raises(NonFiniteLossError) as caught:
        mlp.train_regressor(
            X, X[:, :1], params, ["identity"], lr=1e100, batch_size=8, epochs=5, rng=rng
        )
    assert caught.value.step == 2
    assert caught.value.epoch == 1


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("where", ["X", "Y"])
def test_non_finite_training_data_is_refused_before_any_step(bad: float, where: str) -> None:
    """NaN or an infinity in the data is refused up front, naming it, as fit_sgd does."""
    X, Y = np.ones((4, 2)), np.ones((4, 1))
    (X if where == "X" else Y)[2, 0] = bad
    params = [(np.ones((2, 1)), np.zeros(1))]
    with pytest.raises(ValueError, match=rf"^train_regressor: {where} must be finite"):
        mlp.train_regressor(
            X, Y, params, ["identity"], lr=0.1, batch_size=2, epochs=1, rng=np.random.default_rng(0)
        )


def test_the_forward_cache_never_hands_back_the_callers_array() -> None:
    """What training keeps is its own: the cache's first input is a copy of x, not x itself."""
    x = np.ones((2, 2))
    cache = mlp.mlp_forward_cache(x, [(np.ones((2, 1)), np.zeros(1))], ["identity"])
    assert cache[0][0] is not x
    assert np.array_equal(cache[0][0], x)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"seed": None}, TypeError, r"seed must be a non-negative integer"),
        ({"seed": True}, TypeError, r"seed must be a non-negative integer"),
        ({"seed": -1}, ValueError, r"seed must be a non-negative integer"),
        ({"hidden": 0}, ValueError, r"hidden must be a positive integer"),
        ({"hidden": 1.5}, TypeError, r"hidden must be a positive integer"),
        ({"lr": -1.0}, ValueError, r"lr must be > 0"),
    ],
)
def test_the_digits_experiment_refuses_settings_it_cannot_reproduce(
    options: dict[str, Any], error: type, message: str
) -> None:
    """A seed is a non-negative integer (None would differ run to run), named by the experiment.

    The other settings are checked under the experiment's own name too, not the trainer's.
    """
    with pytest.raises(error, match=rf"^train_digit_network: {message}"):
        train_digit_network(epochs=1, **options)


def test_the_trainers_name_their_own_arguments() -> None:
    """X is called X, labels past the output width are refused by the trainer, names are strings."""
    params = [(np.ones((2, 2)), np.zeros(2))]
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"^train_classifier: X must be a 2-D array"):
        mlp.train_classifier(
            np.ones(3), [0], params, ["identity"], lr=0.1, batch_size=1, epochs=1, rng=rng
        )
    with pytest.raises(ValueError, match=r"^train_classifier: labels must be classes in \[0, 2\)"):
        mlp.train_classifier(
            np.ones((2, 2)),
            np.array([0, 5]),
            params,
            ["identity"],
            lr=0.1,
            batch_size=1,
            epochs=1,
            rng=rng,
        )
    with pytest.raises(ValueError, match=r"^mlp_forward: activations\[0\] must be one of"):
        mlp.mlp_forward(np.ones((1, 2)), params, [["relu"]])
