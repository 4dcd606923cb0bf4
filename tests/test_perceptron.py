"""Laws of the threshold unit and the perceptron rule: AND, XOR, the lift, Novikoff."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from numerics import gamma
from numerics import strategies as nst
from reference import activations as act
from reference import perceptron as pc

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
AND = np.array([0.0, 0.0, 0.0, 1.0])
XOR = np.array([0.0, 1.0, 1.0, 0.0])


def test_the_and_neuron_computes_and() -> None:
    """W = (0.5, 0.5), b = -0.8: the truth table of AND, exactly."""
    w, b = pc.and_neuron()
    assert np.array_equal(w, [0.5, 0.5])
    assert b == -0.8
    assert np.array_equal(pc.threshold_unit(CORNERS, w, b), AND)


def test_the_two_layer_network_computes_xor() -> None:
    """Hidden AND unit at threshold 1.5, output at 0.5: the truth table of XOR, exactly."""
    assert np.array_equal(pc.threshold_network(CORNERS, pc.xor_network())[:, 0], XOR)


def _constraints(targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The truth table as inequalities on (w1, w2, b).

    row_i . (w1, w2, b) > 0 where the target is 1 (the unit must fire: x.w + b > 0) and >= 0
    where it is 0 (it must not: -(x.w + b) >= 0).
    """
    signs = np.where(targets == 1.0, 1.0, -1.0)
    rows = signs[:, None] * np.hstack([CORNERS, np.ones((4, 1))])
    return rows, targets == 1.0


def test_no_single_threshold_unit_computes_xor() -> None:
    """A proof, not a failed search.

    XOR's four inequalities are -b >= 0, w2 + b > 0, w1 + b > 0, -(w1 + w2 + b) >= 0. Their sum
    with weights lambda = (1, 1, 1, 1) >= 0 is 0 > 0 (two strict ones take part): a
    contradiction, so no (w1, w2, b) satisfies all four (Motzkin's transposition theorem
    certifies it). AND's inequalities have no such certificate: the AND neuron satisfies them.
    """
    rows, strict = _constraints(XOR)
    certificate = np.ones(4)
    assert np.all(certificate >= 0.0)
    assert np.array_equal(certificate @ rows, np.zeros(3))  # the left sides cancel exactly
    assert np.any(certificate[strict] > 0.0)  # and a strict one is among them: 0 > 0

    # the inequalities are what threshold_unit means: check them against it on AND's solution
    and_rows, and_strict = _constraints(AND)
    w, b = pc.and_neuron()
    values = and_rows @ np.array([*w, b])
    assert np.all(values[and_strict] > 0.0)
    assert np.all(values[~and_strict] >= 0.0)


@given(nst.arrays((2,), scale=10.0), nst.scalars(10.0))
def test_any_threshold_unit_gets_some_xor_corner_wrong(w: np.ndarray, b: float) -> None:
    """The proof's consequence, checked on random units: each misses XOR somewhere."""
    assert not np.array_equal(pc.threshold_unit(CORNERS, w, b), XOR)


def test_the_hidden_unit_lifts_xor_into_three_dimensions_where_a_plane_separates_it() -> None:
    """The hidden layer maps each corner to (x1, x2, AND(x1, x2)).

    in that space the plane x1 + x2 - 2h = 0.5 has the XOR-true points (value 1) above it and
    the others (0, 0) below, each at distance 0.5 / |(1, 1, -2)| = 0.204 from it.
    """
    hidden = pc.threshold_network(CORNERS, pc.xor_network()[:1])
    assert np.array_equal(hidden, np.column_stack([CORNERS, AND]))
    normal, offset = np.array([1.0, 1.0, -2.0]), 0.5
    side = hidden @ normal - offset
    assert np.array_equal(side > 0.0, XOR == 1.0)
    assert np.min(np.abs(side)) / np.linalg.norm(normal) == pytest.approx(0.5 / math.sqrt(6.0))
    output_w, output_b = pc.xor_network()[1]
    assert np.array_equal(output_w[:, 0], normal)
    assert output_b[0] == -offset


@st.composite
def separable(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Points labelled by a random hyperplane (w*, b*) of unit norm.

    With the margin gamma and radius R of Novikoff's theorem measured on (x, 1).
    """
    dims = draw(st.integers(1, 4))
    count = draw(st.integers(1, 30))
    rng = draw(nst.generators())
    unit = rng.standard_normal(dims + 1)
    unit /= np.linalg.norm(unit)
    X = rng.uniform(-2.0, 2.0, (count, dims))
    lifted = np.hstack([X, np.ones((count, 1))])
    score = lifted @ unit
    y = (score > 0.0).astype(np.float64)
    margin = float(np.min(np.abs(score)))
    radius = float(np.max(np.linalg.norm(lifted, axis=1)))
    assume(margin > 0.02 * radius)
    return X, y, margin, radius


@given(separable(), nst.generators())
def test_novikoff_at_most_r_over_gamma_squared_mistakes(
    case: tuple, rng: np.random.Generator
) -> None:
    """At most (R / gamma)^2 mistakes, then convergence.

    On data separated with margin gamma inside radius R, whatever the order (R and gamma carry
    gamma_{D+3} rounding).
    """
    X, y, margin, radius = case
    bound = (radius / margin) ** 2 * (1.0 + gamma(X.shape[1] + 3))
    result = pc.perceptron_learn(X, y, max_epochs=int(bound) + 2, rng=rng)
    assert result.converged
    assert result.mistakes <= bound
    assert np.array_equal(pc.threshold_unit(X, result.weights, result.bias), y)


@given(nst.generators())
def test_on_xor_the_rule_never_converges(rng: np.random.Generator) -> None:
    """No unit computes XOR, so every epoch makes a mistake.

    after 500 epochs, not converged and at least 500 mistakes.
    """
    result = pc.perceptron_learn(CORNERS, XOR, max_epochs=500, rng=rng)
    assert not result.converged
    assert result.mistakes >= 500


@given(
    st.integers(1, 12).flatmap(
        lambda n: st.tuples(
            nst.arrays((n, 3), scale=5.0),
            st.lists(st.sampled_from([0.0, 1.0]), min_size=n, max_size=n),
        )
    ),
    st.integers(1, 20),
    nst.seeds(),
)
def test_the_rule_is_the_textbook_loop(case: tuple, epochs: int, seed: int) -> None:
    """perceptron_learn is, bit for bit, this plain loop.

    each epoch in the order of a fresh rng.permutation, w += (y - y_hat) x and b += (y - y_hat)
    on each mistake, stopping after the first epoch without one.
    """
    X, targets = case
    y = np.array(targets)
    result = pc.perceptron_learn(X, y, max_epochs=epochs, rng=np.random.default_rng(seed))
    rng, w, b, mistakes, converged = np.random.default_rng(seed), np.zeros(3), 0.0, 0, False
    for _ in range(epochs):
        before = mistakes
        for n in rng.permutation(len(y)):
            total = b  # b + x_1 w_1 + x_2 w_2 + x_3 w_3, summed in this order
            for i in range(3):
                total += X[n, i] * w[i]
            error = y[n] - (1.0 if total > 0.0 else 0.0)
            if error:
                w, b, mistakes = w + error * X[n], b + error, mistakes + 1
        if mistakes == before:
            converged = True
            break
    assert np.array_equal(result.weights, w)
    assert result.bias == b
    assert (result.mistakes, result.converged) == (mistakes, converged)


def test_the_update_is_the_error_times_the_input() -> None:
    """From w = 0, b = 0 a positive example is a mistake (H(0) = 0).

    w becomes x, b becomes 1; a negative one is not: nothing moves.
    """
    x = np.array([[2.0, -3.0]])
    result = pc.perceptron_learn(x, np.array([1.0]), max_epochs=1, rng=np.random.default_rng(0))
    assert np.array_equal(result.weights, x[0])
    assert result.bias == 1.0
    assert result.mistakes == 1
    result = pc.perceptron_learn(x, np.array([0.0]), max_epochs=1, rng=np.random.default_rng(0))
    assert np.array_equal(result.weights, [0.0, 0.0])
    assert result.converged


def test_inputs_are_never_mutated() -> None:
    """Learning works on private copies: X, y and the network's layers are left untouched."""
    X, y = CORNERS.copy(), AND.copy()
    pc.perceptron_learn(X, y, max_epochs=20, rng=np.random.default_rng(1))
    assert np.array_equal(X, CORNERS)
    assert np.array_equal(y, AND)
    layers = pc.xor_network()
    pc.threshold_network(CORNERS, layers)
    assert all(
        np.array_equal(a, b)
        for layer, fresh in zip(layers, pc.xor_network(), strict=True)
        for a, b in zip(layer, fresh, strict=True)
    )


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: pc.threshold_unit(np.ones((2, 3)), np.ones(2), 0.0),
            ValueError,
            r"^threshold_unit: w must have shape \(3,\)",
        ),
        (
            lambda: pc.threshold_unit(np.ones(3), np.ones(3), 0.0),
            ValueError,
            r"^threshold_unit: x must be a 2-D array of shape \(N, D\); got a 1-D array",
        ),
        (
            lambda: pc.threshold_network(np.ones((2, 2)), [(np.ones((3, 1)), np.ones(1))]),
            ValueError,
            r"^threshold_network: layers\[0\] must take 2 inputs",
        ),
        (
            lambda: pc.threshold_network(np.ones((2, 2)), []),
            ValueError,
            r"^threshold_network: layers must be a non-empty list",
        ),
        (
            lambda: pc.perceptron_learn(
                CORNERS, np.array([0.0, 2.0, 1.0, 0.0]), max_epochs=3, rng=np.random.default_rng(0)
            ),
            ValueError,
            r"^perceptron_learn: y must hold targets 0 or 1; got \[2.\]",
        ),
        (
            lambda: pc.perceptron_learn(
                CORNERS, XOR[:3], max_epochs=3, rng=np.random.default_rng(0)
            ),
            ValueError,
            r"^perceptron_learn: y must have shape \(4,\)",
        ),
        (
            lambda: pc.perceptron_learn(CORNERS, XOR, max_epochs=0, rng=np.random.default_rng(0)),
            ValueError,
            r"^perceptron_learn: max_epochs must be a positive integer; got 0",
        ),
        (
            lambda: pc.perceptron_learn(CORNERS, XOR, max_epochs=3, rng=0),
            TypeError,
            r"^perceptron_learn: rng must be a numpy.random.Generator",
        ),
        (
            lambda: pc.perceptron_learn(
                CORNERS * np.nan, XOR, max_epochs=3, rng=np.random.default_rng(0)
            ),
            ValueError,
            r"^perceptron_learn: X must be finite",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call: Any, error: type, message: str) -> None:
    """Shapes that do not chain, targets that are not 0/1, no epochs, no generator, NaN data."""
    with pytest.raises(error, match=message):
        call()


def test_a_nan_input_makes_the_unit_nan_as_the_step_function_does() -> None:
    """One rule for NaN through a threshold: the unit and the network give NaN, like step."""
    x = np.array([[np.nan, 0.0], [1.0, 1.0]])
    unit = pc.threshold_unit(x, np.array([1.0, 1.0]), 0.0)
    assert np.isnan(unit[0])
    assert unit[1] == 1.0
    assert np.isnan(act.step(np.array([np.nan]))[0])
    network = pc.threshold_network(x, [(np.ones((2, 1)), np.zeros(1))])
    assert np.isnan(network[0, 0])


def test_the_xor_networks_region_is_the_one_the_page_describes() -> None:
    """The XOR network's region is the one its three units' cuts make, as the page says.

    It fires where one or both inputs exceed 0.5 and their sum is at most 1.5. (The grid is
    shifted by 0.001 so that no point lies on a cut, where rounding x1 + x2 decides.)
    """
    grid = np.linspace(-0.25, 1.25, 121) + 0.001
    x1, x2 = (a.ravel() for a in np.meshgrid(grid, grid))
    fired = pc.threshold_network(np.stack([x1, x2], axis=1), pc.xor_network())
    one = (x1 > 0.5) ^ (x2 > 0.5)
    both = (x1 > 0.5) & (x2 > 0.5)
    described = (one | both) & (x1 + x2 <= 1.5)
    assert np.array_equal(fired[:, 0] == 1.0, described)
