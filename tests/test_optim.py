"""Laws of the optimisers: special cases, invariances, their paths on quadratics and plateaus."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import assert_close, gamma
from numerics import strategies as nst
from reference import optim

vectors = st.integers(1, 6).flatmap(
    lambda n: st.tuples(
        nst.arrays((n,), scale=4.0), nst.arrays((n,), scale=4.0), nst.arrays((n,), scale=4.0)
    )
)


@given(vectors, st.floats(1e-3, 1.0))
def test_momentum_with_beta_zero_is_sgd(case: tuple, lr: float) -> None:
    """With beta = 0, v = 0 v - lr g = -lr g exactly, so w + v is SGD's step, bit for bit."""
    w, g, v = case
    stepped, velocity = optim.momentum_step(w, g, v, lr=lr, beta=0.0)
    assert np.array_equal(stepped, optim.sgd_step(w, g, lr=lr))
    assert np.array_equal(velocity, -lr * g)


def _quadratic(curvatures: np.ndarray):  # type: ignore[no-untyped-def]
    def loss_and_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
        return 0.5 * float(np.sum(curvatures * w * w)), curvatures * w

    return loss_and_grad


@given(
    st.integers(1, 5).flatmap(
        lambda n: st.tuples(
            nst.arrays((n,), scale=2.0), st.lists(st.floats(0.1, 2.0), min_size=n, max_size=n)
        )
    ),
    st.floats(0.01, 0.5),
    st.floats(0.0, 0.95),
    st.booleans(),
)
def test_the_classic_and_pytorch_forms_follow_the_same_path(
    case: tuple, lr: float, beta: float, nesterov: bool
) -> None:
    """The classic velocity form of momentum and PyTorch's form take the same steps.

    v <- beta v - lr g, w <- w + v (classic) and b <- beta b + g, w <- w - lr b (PyTorch; with
    nesterov, w <- w - lr (g + beta b)) give the same weights for 30 steps on a quadratic: v =
    -lr b at every step. Held to gamma_{8k} of the sum of |w| and the steps' sizes at step k.
    """
    w0, curvatures = case
    loss_and_grad = _quadratic(np.array(curvatures))
    classic, velocity = w0.copy(), np.zeros_like(w0)
    torch_w, buffer = w0.copy(), np.zeros_like(w0)
    scale = np.abs(w0)
    for k in range(1, 31):
        stepper = optim.nesterov_step if nesterov else optim.momentum_step
        classic, velocity = stepper(classic, loss_and_grad(classic)[1], velocity, lr=lr, beta=beta)
        grad = loss_and_grad(torch_w)[1]
        buffer = beta * buffer + grad
        torch_w = torch_w - lr * (grad + beta * buffer if nesterov else buffer)
        scale = scale + np.abs(lr * buffer) + np.abs(lr * grad)
        assert_close(classic, torch_w, gauge=scale, terms=8 * k)


@given(
    st.integers(1, 6).flatmap(lambda n: nst.arrays((n,), scale=1.0)),
    st.integers(-30, 30),
    st.floats(1e-3, 1.0),
)
def test_adams_first_step_moves_each_coordinate_by_the_learning_rate(
    g: np.ndarray, power: int, lr: float
) -> None:
    """Adam's first step moves every coordinate by the learning rate, whatever the gradient's scale.

    On the first step (m = v = 0, t = 1) m_hat = g and v_hat = g^2, so each coordinate moves by
    lr |g| / (|g| + eps): lr, whatever the gradient's scale (2^-30 to 2^30 here), up to eps.
    Within gamma_12 (the moments, their corrections, the root, the division).
    """
    grad = g * 2.0**power
    w = np.zeros_like(grad)
    stepped, _, _ = optim.adam_step(w, grad, np.zeros_like(w), np.zeros_like(w), 1, lr=lr)
    size = np.abs(grad)
    assert_close(np.abs(stepped), lr * size / (size + 1e-8), terms=12)
    moving = size >= 1e-4
    assert np.all(np.abs(np.abs(stepped[moving]) - lr) <= lr * 1e-4)
    assert np.all(stepped[~moving & (size == 0.0)] == 0.0)


@given(
    st.integers(1, 5).flatmap(
        lambda n: st.tuples(
            nst.arrays((n,), scale=2.0), st.lists(st.floats(0.1, 2.0), min_size=n, max_size=n)
        )
    ),
    st.integers(-20, 20),
)
def test_adam_is_invariant_to_rescaling_the_loss(case: tuple, power: int) -> None:
    """Adam takes the same steps on c L as on L, for any c > 0.

    Adam on c L follows Adam on L: m scales by c, sqrt(v) by |c|, their ratio not at all. With
    eps = 0 and c = 2^k every rounding scales too: the paths agree bit for bit.
    """
    w0, curvatures = case
    loss_and_grad = _quadratic(np.array(curvatures))
    scale = 2.0**power

    def run(c: float) -> np.ndarray:
        w, m, v = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
        for t in range(1, 21):
            w, m, v = optim.adam_step(w, c * loss_and_grad(w)[1], m, v, t, lr=0.05, eps=0.0)
        return w

    assert np.array_equal(run(scale), run(1.0))


@pytest.mark.parametrize("rule", ["adagrad", "rmsprop", "adam"])
def test_with_eps_zero_a_coordinate_that_never_had_a_gradient_stays_put(rule: str) -> None:
    """With eps = 0, a coordinate whose gradients were all 0 does not move (0/0 is taken as 0).

    Its accumulated squares are 0 and so is its step's numerator; the limit is no step, where
    the plain formula gives NaN. The other coordinate moves as the formula says.
    """
    step = optim.optimizer(rule, lr=0.1, eps=0.0)
    w, state = np.array([1.0, 2.0]), None
    for _ in range(3):
        w, state = step(w, np.array([0.0, 0.5]), state)
    assert w[0] == 1.0
    assert np.isfinite(w[1])
    assert w[1] < 2.0


@given(
    st.integers(1, 5).flatmap(
        lambda n: st.lists(nst.arrays((n,), scale=4.0), min_size=2, max_size=20)
    ),
    st.floats(1e-3, 1.0),
)
def test_adagrads_effective_rate_never_grows(gradients: list, lr: float) -> None:
    """Adagrad's step size per coordinate, lr / (sqrt(G) + eps), can only shrink.

    lr / (sqrt(G) + eps) is non-increasing in every coordinate, because G only grows (and
    rounding is monotone, so the computed G does too).
    """
    w, accum = np.zeros_like(gradients[0]), np.zeros_like(gradients[0])
    previous = np.full_like(w, np.inf)
    for g in gradients:
        w, accum = optim.adagrad_step(w, g, accum, lr=lr)
        rate = lr / (np.sqrt(accum) + 1e-10)
        assert np.all(rate <= previous)
        previous = rate


@given(st.lists(st.floats(0.1, 10.0), min_size=1, max_size=5), nst.seeds())
def test_gradient_descent_on_a_quadratic_converges_below_two_over_l(
    curvatures: list, seed: int
) -> None:
    """Converges for lr < 2/L and diverges above.

    On L = 1/2 sum h_i w_i^2 with largest curvature L, each coordinate is multiplied by
    1 - lr h_i per step: with lr = 1.9/L every factor is below 1 in size, and after 200 steps
    the loss is at most rho^400 of its start, rho = max |1 - lr h_i| (each step's rounding is a
    relative u on w: a factor 1 + 1e-6 covers 200 of them); with lr = 2.1/L the steepest
    coordinate's factor is -1.1 and the loss grows.
    """
    h = np.array(curvatures)
    largest = float(h.max())
    w0 = np.random.default_rng(seed).standard_normal(h.size) + 1.0
    loss_and_grad = _quadratic(h)

    def run(lr: float) -> np.ndarray:
        def step(w: np.ndarray, g: np.ndarray, state: object) -> tuple[np.ndarray, object]:
            return optim.sgd_step(w, g, lr=lr), None

        return optim.minimize(loss_and_grad, w0, step, steps=200)[1]

    converging = run(1.9 / largest)
    rho = float(np.max(np.abs(1.0 - 1.9 / largest * h)))
    assert converging[-1] <= rho**400 * converging[0] * (1.0 + 1e-6)
    diverging = run(2.1 / largest)
    assert diverging[-1] > diverging[0]


def test_momentum_rolls_across_a_plateau_where_gradient_descent_stalls() -> None:
    """Momentum gathers speed across a nearly flat slope where plain gradient descent stalls.

    L(w) = 1e-4 (w - 5)^2 - exp(-(w - 5)^2): a long, almost flat slope, then a basin at 5. From
    w = -5 with lr = 1, gradient descent creeps 0.002 per step and after 400 steps is still on
    the plateau (w < -3, loss > 0); the heavy ball (beta = 0.95) gathers speed, about 1/(1 -
    beta) = 20 times more per step, and ends in the basin (|w - 5| < 0.5, loss < -0.5).
    """

    def loss_and_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
        d = w - 5.0
        return float(np.sum(1e-4 * d**2 - np.exp(-(d**2)))), 2e-4 * d + 2.0 * d * np.exp(-(d**2))

    def plain(w: np.ndarray, g: np.ndarray, state: object) -> tuple[np.ndarray, object]:
        return optim.sgd_step(w, g, lr=1.0), None

    def heavy_ball(w: np.ndarray, g: np.ndarray, velocity: np.ndarray | None) -> Any:
        velocity = np.zeros_like(w) if velocity is None else velocity
        return optim.momentum_step(w, g, velocity, lr=1.0, beta=0.95)

    start = np.array([-5.0])
    gd_path, gd_losses = optim.minimize(loss_and_grad, start, plain, steps=400)
    ball_path, ball_losses = optim.minimize(loss_and_grad, start, heavy_ball, steps=400)
    assert gd_path[-1, 0] < -3.0
    assert gd_losses[-1] > 0.0
    assert abs(ball_path[-1, 0] - 5.0) < 0.5
    assert ball_losses[-1] < -0.5


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1000.0])
def test_heavy_ball_converges_at_the_rate_of_its_theory(kappa: float) -> None:
    """With Polyak's settings the heavy ball shrinks the error by (√κ - 1)/(√κ + 1) per step.

    On a quadratic with curvatures in [mu, L], kappa = L/mu, the heavy ball with lr = 4/(sqrt(L)
    + sqrt(mu))^2 and beta = ((sqrt(kappa) - 1)/(sqrt(kappa) + 1))^2 contracts the error by rho
    = (sqrt(kappa) - 1)/(sqrt(kappa) + 1) per step (Polyak, 1964); plain gradient descent at its
    best, lr = 2/(L + mu), by (kappa - 1)/(kappa + 1). Measured as the per-step ratio of the
    error's norm between steps K and 2K: within 2 % of rho (the double eigenvalue adds a factor
    k, worth (2K/K)^(1/K) - 1 < 1 % here).
    """
    mu, largest = 1.0, kappa
    h = np.linspace(mu, largest, 20)
    rho = (math.sqrt(kappa) - 1.0) / (math.sqrt(kappa) + 1.0)
    lr = 4.0 / (math.sqrt(largest) + math.sqrt(mu)) ** 2
    beta = rho**2
    w, velocity = np.ones(20), np.zeros(20)
    horizon = int(20 * math.sqrt(kappa)) + 100
    norms = []
    for _ in range(2 * horizon):
        w, velocity = optim.momentum_step(w, h * w, velocity, lr=lr, beta=beta)
        norms.append(np.linalg.norm(np.concatenate([w, velocity])))
    measured = (norms[-1] / norms[horizon - 1]) ** (1.0 / horizon)
    assert abs(measured - rho) <= 0.02 * rho
    assert measured < (kappa - 1.0) / (kappa + 1.0)


def test_updates_are_pure() -> None:
    """Every step returns new arrays and leaves w, grad and the state alone."""
    rng = np.random.default_rng(0)
    w, g, state = rng.standard_normal(4), rng.standard_normal(4), np.abs(rng.standard_normal(4))
    copies = [w.copy(), g.copy(), state.copy()]
    optim.sgd_step(w, g, lr=0.1)
    optim.momentum_step(w, g, state, lr=0.1, beta=0.9)
    optim.nesterov_step(w, g, state, lr=0.1, beta=0.9)
    optim.adagrad_step(w, g, state, lr=0.1)
    optim.rmsprop_step(w, g, state, lr=0.1)
    optim.adam_step(w, g, state, state, 3, lr=0.1)
    assert all(np.array_equal(a, b) for a, b in zip((w, g, state), copies, strict=True))


def test_rmsprop_is_adagrad_that_forgets() -> None:
    """RMSProp with rho = 0 remembers only the last gradient, where Adagrad remembers them all.

    One RMSProp step from S = 0 with rho = 0 is the step g / (|g| + eps): it keeps only the last
    gradient; Adagrad's first step is the same, and its later steps shrink.
    """
    g = np.array([2.0, -0.5])
    rms, _ = optim.rmsprop_step(np.zeros(2), g, np.zeros(2), lr=1.0, rho=0.0)
    ada, accum = optim.adagrad_step(np.zeros(2), g, np.zeros(2), lr=1.0)
    assert_close(rms, -g / (np.abs(g) + 1e-8), terms=4)
    assert_close(ada, -g / (np.abs(g) + 1e-10), terms=4)
    second, _ = optim.adagrad_step(np.zeros(2), g, accum, lr=1.0)
    assert np.all(np.abs(second) < np.abs(ada))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: optim.sgd_step(np.ones(2), np.ones(2), lr=0.0),
            ValueError,
            r"^sgd_step: lr must be > 0",
        ),
        (
            lambda: optim.momentum_step(np.ones(2), np.ones(2), np.ones(3), lr=0.1, beta=0.9),
            ValueError,
            r"^momentum_step: velocity must have the shape of w, \(2,\); got shape \(3,\)",
        ),
        (
            lambda: optim.adam_step(np.ones(2), np.ones(2), np.ones(2), np.ones(2), 0, lr=0.1),
            ValueError,
            r"^adam_step: t must be a positive integer; got 0",
        ),
        (
            lambda: optim.adam_step(np.ones(2), np.ones(2), np.ones(2), np.ones((2, 1)), 1, lr=0.1),
            ValueError,
            r"^adam_step: v must have the shape of w",
        ),
        (
            lambda: optim.rmsprop_step(np.ones(2), np.ones(2), np.ones(2), lr=0.1, rho=1.0),
            ValueError,
            r"^rmsprop_step: rho must be in \[0, 1\)",
        ),
        (
            lambda: optim.nesterov_step(np.ones(2), np.ones(3), np.ones(2), lr=0.1, beta=0.9),
            ValueError,
            r"^nesterov_step: grad must have the shape of w",
        ),
        (
            lambda: optim.minimize(lambda w: (0.0, w), np.ones(2), None, steps=3),
            TypeError,
            r"^minimize: loss_and_grad and step must be callables",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call: Any, error: type, message: str) -> None:
    """A non-positive rate, state of the wrong shape, a step count from 0, rho = 1, no step."""
    with pytest.raises(error, match=message):
        call()


def test_minimize_names_the_step_where_the_loss_stops_being_finite() -> None:
    """A run whose loss overflows raises NonFiniteLossError naming the step, not a list of NaNs."""
    from reference import NonFiniteLossError

    with pytest.raises(NonFiniteLossError, match=r"^minimize: the loss became inf after 1 steps"):
        optim.minimize(
            lambda w: (float(w @ w), 2 * w),
            np.ones(2),
            optim.optimizer("sgd", lr=1e200),
            steps=5,
        )


_gradients = st.lists(
    nst.arrays(nst.shapes(max_dims=2, max_side=4), scale=100.0), min_size=1, max_size=3
)


def _norm(arrays: list[np.ndarray]) -> float:
    return float(np.sqrt(sum(np.sum(np.asarray(a) ** 2) for a in arrays)))


@given(_gradients, st.floats(0.01, 100.0))
def test_clipping_by_norm_keeps_the_direction_and_caps_the_norm(
    grads: list[np.ndarray], max_norm: float
) -> None:
    """Clipping by norm keeps the direction, caps the norm, and is idempotent.

    clip_by_norm's result has norm min(||g||, max_norm), points the same way, and clipping
    again changes nothing beyond rounding (Pascanu et al. 2013).

    Bound: the norm of the result is a sum of n squares (gamma_{n+2} of itself, with the
    square root and the scaling), and each entry is one product (u of itself).
    """
    clipped = optim.clip_by_norm(grads, max_norm)
    size = sum(np.size(g) for g in grads)
    norm = _norm(grads)
    expected = min(norm, max_norm)
    assert abs(_norm(clipped) - expected) <= gamma(size + 4) * expected
    factor = min(1.0, max_norm / norm) if norm else 1.0
    for got, original in zip(clipped, grads, strict=True):
        # both factors come from a norm of n squares: gamma_{n+4} apart at most, twice
        assert_close(got, factor * np.asarray(original), terms=2 * (size + 4))
    again = optim.clip_by_norm(clipped, max_norm)
    for got, once in zip(again, clipped, strict=True):
        assert_close(got, once, gauge=np.abs(once), terms=size + 4)


def test_clipping_by_norm_neither_overflows_nor_mutates() -> None:
    """A gradient of 1e300 entries is clipped, not turned into NaN; the inputs are not changed."""
    grads = [np.full(3, 1e300), np.array([-1e300])]
    before = [g.copy() for g in grads]
    clipped = optim.clip_by_norm(grads, 1.0)
    assert abs(_norm(clipped) - 1.0) <= gamma(8)
    for g, b in zip(grads, before, strict=True):
        assert np.array_equal(g, b)
    assert np.array_equal(optim.clip_by_norm([np.zeros(2)], 1.0)[0], np.zeros(2))


def test_clipping_by_norm_refuses_bad_input() -> None:
    """A non-positive bound, a bare array, a non-finite gradient: each named."""
    with pytest.raises(ValueError, match=r"^clip_by_norm: max_norm must be > 0"):
        optim.clip_by_norm([np.ones(2)], 0.0)
    with pytest.raises(TypeError, match=r"^clip_by_norm: grads must be a list of arrays"):
        optim.clip_by_norm(np.ones(2), 1.0)
    with pytest.raises(ValueError, match=r"^clip_by_norm: grads\[1\] must be finite"):
        optim.clip_by_norm([np.ones(2), np.array([np.nan])], 1.0)
    with pytest.raises(ValueError, match=r"^train_minibatch: max_grad_norm must be > 0"):
        optim.train_minibatch(
            [np.ones(1)],
            lambda p, rows: (0.0, [p[0]]),
            samples=1,
            batch_size=1,
            epochs=1,
            rng=np.random.default_rng(0),
            step=optim.optimizer("sgd", lr=0.1),
            evaluate=lambda p: 0.0,
            max_grad_norm=-1.0,
        )
