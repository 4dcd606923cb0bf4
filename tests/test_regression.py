"""Laws of linear regression: the least-squares solution, and gradient descent towards it.

Bounds on a computed least-squares solution come from two facts. The solver
is backward stable: the computed solution is the exact one for data
perturbed by a relative ``eps`` (LAPACK Users' Guide, 3rd ed., §4.5: "p(n)
is a modestly growing function"; we take ``eps = gamma(m n)`` for an
``m x n`` design, the size of Higham's columnwise bound for Householder QR,
*Accuracy and Stability*, Theorem 20.3). And the LAPACK perturbation bound
turns that backward error into a forward error:
``|theta_hat - theta| / |theta| <= eps (2 kappa / cos phi + tan phi kappa^2)``,
with ``sin phi = |r| / |y|``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from numerics import assert_close, assert_gradient, gamma
from numerics import strategies as nst
from reference import NonFiniteLossError, losses, regression

# ----------------------------------------------------------------------------------------------
# bounds


def design(X: np.ndarray) -> np.ndarray:
    """A = [X 1]: the bias as one more weight on a column of ones."""
    return np.column_stack([X, np.ones(X.shape[0])])


def solver_eps(A: np.ndarray) -> float:
    """The relative backward error of a backward-stable least-squares solver on A."""
    return gamma(A.shape[0] * A.shape[1])


def forward_error(A: np.ndarray, y: np.ndarray, theta: np.ndarray) -> float:
    """LAPACK's bound on the distance of a computed solution theta from the exact one."""
    sigma = np.linalg.svd(A, compute_uv=False)
    kappa = sigma[0] / sigma[-1]
    eps = solver_eps(A)
    assert kappa * eps < 0.5, "the bound needs a problem far from rank deficiency"
    residual = np.linalg.norm(y - A @ theta)
    sin_phi = min(residual / np.linalg.norm(y), 1.0) if np.any(y) else 0.0
    cos_phi = math.sqrt(1.0 - sin_phi**2)
    assert cos_phi > 1e-3, "y almost orthogonal to the columns: the bound says nothing"
    return eps * (2.0 * kappa / cos_phi + sin_phi / cos_phi * kappa**2) * np.linalg.norm(theta)


def theta_of(w: np.ndarray, b: float) -> np.ndarray:
    return np.append(w, b)


def exact_data_error(X: np.ndarray, true_w: np.ndarray, true_b: float, theta: np.ndarray) -> float:
    """How far a fit of y = X w* + b* may land from (w*, b*).

    The solver's forward error, plus the rounding of y itself (at most
    gamma_{n+1} (|X||w*| + |b*|) per sample) amplified by 1 / sigma_min.
    """
    A = design(X)
    y = X @ true_w + true_b
    sigma = np.linalg.svd(A, compute_uv=False)
    target_error = np.linalg.norm(
        gamma(X.shape[1] + 1) * (np.abs(X) @ np.abs(true_w) + abs(true_b))
    )
    return forward_error(A, y, theta) + target_error / sigma[-1]


def well_conditioned(
    rng: np.random.Generator, count: int, width: int, noise: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian features (well conditioned with overwhelming probability), a noisy target."""
    scales, offsets = rng.uniform(0.5, 2.0, width), rng.uniform(-3, 3, width)
    X = rng.standard_normal((count, width)) * scales + offsets
    y = X @ rng.standard_normal(width) + rng.uniform(-5, 5) + noise * rng.standard_normal(count)
    return X, y


@st.composite
def problems(draw: st.DrawFn, min_count: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares problems with more samples than unknowns, kept well conditioned."""
    width = draw(st.integers(1, 4))
    count = draw(st.integers(max(min_count, width + 2), 40))
    X, y = well_conditioned(
        draw(nst.generators()), count, width, noise=draw(st.sampled_from([0.0, 0.1, 1.0]))
    )
    sigma = np.linalg.svd(design(X), compute_uv=False)
    assume(sigma[0] / sigma[-1] < 1e4)
    return X, y


# ----------------------------------------------------------------------------------------------
# the analytic solution


@given(problems())
def test_residual_is_orthogonal_to_every_column(problem: tuple) -> None:
    """At the solution A^T r = 0 (the normal equation), to the solver's backward error."""
    X, y = problem
    w, b = regression.fit_least_squares(X, y)
    A, theta = design(X), theta_of(w, b)
    r = y - A @ theta
    norm_A = np.linalg.norm(A, 2)
    eps = solver_eps(A)
    # backward error: eps |A| (|r| + |A||theta| + |y|), plus its square
    backward = (
        eps
        * (1 + eps)
        * norm_A
        * (np.linalg.norm(r) + norm_A * np.linalg.norm(theta) + np.linalg.norm(y))
    )
    # rounding of r (n + 1 terms) and of A^T r (m terms)
    evaluation = np.linalg.norm(
        gamma(A.shape[1] + 1) * np.abs(A).T @ (np.abs(A) @ np.abs(theta) + np.abs(y))
        + gamma(A.shape[0]) * np.abs(A).T @ np.abs(r)
    )
    assert np.linalg.norm(A.T @ r) <= backward + evaluation


@given(problems())
def test_agrees_with_an_independent_solver(problem: tuple) -> None:
    """numpy.linalg.lstsq on [X 1] finds the same solution, within both forward errors."""
    X, y = problem
    w, b = regression.fit_least_squares(X, y)
    A = design(X)
    other = np.linalg.lstsq(A, y, rcond=None)[0]
    bound = forward_error(A, y, theta_of(w, b)) + forward_error(A, y, other)
    assert np.linalg.norm(theta_of(w, b) - other) <= bound


@given(problems(), nst.generators())
def test_permuting_the_samples_does_not_change_the_solution(
    problem: tuple, rng: np.random.Generator
) -> None:
    """The loss is a sum over samples, so their order cannot matter."""
    X, y = problem
    order = rng.permutation(len(y))
    first = theta_of(*regression.fit_least_squares(X, y))
    second = theta_of(*regression.fit_least_squares(X[order], y[order]))
    bound = 2.0 * forward_error(design(X), y, first)
    assert np.linalg.norm(first - second) <= bound


@given(problems(), st.sampled_from([0.0, 0.5, 3.0]))
def test_duplicating_the_data_set_does_not_change_the_solution(
    problem: tuple, ridge: float
) -> None:
    """Two copies of every sample double the loss; with ridge doubled too, the minimiser stays."""
    X, y = problem
    first = theta_of(*regression.fit_least_squares(X, y, ridge=ridge))
    doubled = theta_of(
        *regression.fit_least_squares(np.vstack([X, X]), np.concatenate([y, y]), ridge=2.0 * ridge)
    )
    A, A2 = _ridge_design(X, ridge), _ridge_design(np.vstack([X, X]), 2.0 * ridge)
    bound = forward_error(A, _ridge_target(y, X), first) + forward_error(
        A2, _ridge_target(np.concatenate([y, y]), X), doubled
    )
    assert np.linalg.norm(first - doubled) <= bound


def _ridge_design(X: np.ndarray, ridge: float) -> np.ndarray:
    """Ridge as least squares: [X 1] over [sqrt(ridge) I 0], a matrix no worse conditioned."""
    A = design(X)
    penalty = np.hstack([math.sqrt(ridge) * np.eye(X.shape[1]), np.zeros((X.shape[1], 1))])
    return np.vstack([A, penalty])


def _ridge_target(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    return np.concatenate([y, np.zeros(X.shape[1])])


@given(problems(), st.integers(-20, 20))
def test_scaling_y_by_a_power_of_two_scales_the_solution_exactly(
    problem: tuple, power: int
) -> None:
    """Multiplying by 2^k is exact in binary floating point, so every rounding scales with it."""
    X, y = problem
    scale = 2.0**power
    w, b = regression.fit_least_squares(X, y)
    w_scaled, b_scaled = regression.fit_least_squares(X, scale * y)
    assert np.array_equal(w_scaled, scale * w)
    assert b_scaled == scale * b


@given(problems(), st.floats(-1e3, 1e3).filter(lambda c: abs(c) > 1e-3))
def test_scaling_y_scales_the_solution(problem: tuple, scale: float) -> None:
    """The solution is linear in y: fit(X, c y) = c fit(X, y), within both forward errors."""
    X, y = problem
    theta = theta_of(*regression.fit_least_squares(X, y))
    scaled = theta_of(*regression.fit_least_squares(X, scale * y))
    A = design(X)
    bound = forward_error(A, scale * y, scaled) + abs(scale) * forward_error(A, y, theta)
    assert np.linalg.norm(scaled - scale * theta) <= bound


@given(problems())
def test_ridge_tends_to_least_squares_at_the_rate_of_its_formula(problem: tuple) -> None:
    """lam/(sigma_max^2 + lam) |w0| <= |w(lam) - w0| <= lam/(sigma_min^2 + lam) |w0|."""
    X, y = problem
    w0, b0 = regression.fit_least_squares(X, y)
    sigma = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    mean_norm = np.linalg.norm(X.mean(axis=0))
    for relative in (1e-1, 1e-3, 1e-5, 1e-7, 1e-9):
        ridge = relative * sigma[-1] ** 2
        w, b = regression.fit_least_squares(X, y, ridge=ridge)
        rounding = forward_error(
            _ridge_design(X, ridge), _ridge_target(y, X), theta_of(w, b)
        ) + forward_error(design(X), y, theta_of(w0, b0))
        distance = np.linalg.norm(w - w0)
        assert distance <= ridge / (sigma[-1] ** 2 + ridge) * np.linalg.norm(w0) + rounding
        assert distance >= ridge / (sigma[0] ** 2 + ridge) * np.linalg.norm(w0) - rounding
        # b = mean(y) - mean(x) . w moves with w only
        assert abs(b - b0) <= mean_norm * distance + rounding


@given(nst.generators(), st.integers(1, 4), st.integers(8, 40))
def test_noise_free_data_are_fitted_exactly(
    rng: np.random.Generator, width: int, count: int
) -> None:
    """Data with no noise, y = X w* + b*, give back (w*, b*), up to the rounding of y itself."""
    X, _ = well_conditioned(rng, count, width)
    true_w, true_b = rng.standard_normal(width), float(rng.uniform(-5, 5))
    theta = theta_of(*regression.fit_least_squares(X, X @ true_w + true_b))
    bound = exact_data_error(X, true_w, true_b, theta)
    assert np.linalg.norm(theta - theta_of(true_w, true_b)) <= bound


@given(nst.generators(), st.integers(10, 40))
def test_a_rank_deficient_problem_gets_the_minimum_norm_solution(
    rng: np.random.Generator, count: int
) -> None:
    """With a feature repeated, the weight is shared equally: the smallest-norm minimiser."""
    X, y = well_conditioned(rng, count, 2)
    repeated = np.column_stack([X[:, 0], X[:, 0], X[:, 1]])
    w, b = regression.fit_least_squares(repeated, y)
    w_reduced, b_reduced = regression.fit_least_squares(X, y)
    bound = 2.0 * forward_error(design(X), y, theta_of(w_reduced, b_reduced))
    # the null space is spanned by (1, -1, 0): the minimum-norm solution is orthogonal to it
    assert abs(w[0] - w[1]) <= bound
    assert (
        np.linalg.norm(theta_of(np.array([w[0] + w[1], w[2]]), b) - theta_of(w_reduced, b_reduced))
        <= bound
    )


@given(nst.generators(), st.integers(4, 7))
def test_an_ill_conditioned_problem_keeps_the_accuracy_of_a_stable_solver(
    rng: np.random.Generator, digits: int
) -> None:
    """With kappa = 10^k and y in the range of A, the error is O(kappa u), not O(kappa^2 u).

    This is why the normal equation is not solved as written: forming A^T A squares
    the condition number. On a consistent problem (tan phi ~ 0) the LAPACK bound
    leaves no room for the kappa^2 term.
    """
    count, width = 40, 3
    left, _ = np.linalg.qr(rng.standard_normal((count, width)))
    right, _ = np.linalg.qr(rng.standard_normal((width, width)))
    X = left @ np.diag(np.logspace(0, -digits, width)) @ right + rng.uniform(-1, 1, width)
    true_w, true_b = rng.standard_normal(width), float(rng.uniform(-1, 1))
    theta = theta_of(*regression.fit_least_squares(X, X @ true_w + true_b))
    bound = exact_data_error(X, true_w, true_b, theta)
    assert np.linalg.norm(theta - theta_of(true_w, true_b)) <= bound


def test_the_classic_house_price_example() -> None:
    """Noise-free house prices give back the weights (2.5, -1.2) and the bias 30."""
    X, y = regression.house_prices(50, np.random.default_rng(7), noise=0.0)
    theta = theta_of(*regression.fit_least_squares(X, y))
    # y = 2.5 area - 1.2 age + 30: three roundings, as X w* + b* with two features
    bound = exact_data_error(X, np.array([2.5, -1.2]), 30.0, theta)
    assert np.linalg.norm(theta - np.array([2.5, -1.2, 30.0])) <= bound


# ----------------------------------------------------------------------------------------------
# gradients


@given(problems(), nst.generators())
def test_the_minibatch_gradient_kernel_is_the_gradient_of_the_minibatch_loss(
    problem: tuple, rng: np.random.Generator
) -> None:
    """The kernel SGD steps with passes the gradient check on (w, b)."""
    X, y = problem
    rows = rng.choice(len(y), size=int(rng.integers(1, len(y) + 1)), replace=False)

    def loss(w: np.ndarray, b: np.ndarray) -> float:
        return regression._batch_gradient(X, y, w, float(b), rows)[0]

    def loss_backward(d_loss: float, w: np.ndarray, b: np.ndarray) -> tuple:
        _, grad_w, grad_b = regression._batch_gradient(X, y, w, float(b), rows)
        return d_loss * grad_w, d_loss * grad_b

    assert_gradient(loss, loss_backward, [rng.standard_normal(X.shape[1]), rng.standard_normal()])


@given(problems(), nst.generators())
def test_the_sgd_gradient_is_the_chain_rule_through_linear_and_squared_loss(
    problem: tuple, rng: np.random.Generator
) -> None:
    """The gradient of squared_loss(linear(X, w, b), y) is linear_backward of its backward."""
    X, y = problem
    w, b = rng.standard_normal(X.shape[1]), float(rng.standard_normal())
    rows = np.arange(len(y))
    _, grad_w, grad_b = regression._batch_gradient(X, y, w, b, rows)
    d_prediction = losses.squared_loss_backward(1.0, regression.linear(X, w, b), y)
    _, dw, db = regression.linear_backward(d_prediction, X, w, b)
    # each gradient entry: a residual (n + 2 operations) times x over N, summed over N samples
    A, theta = design(X), theta_of(w, b)
    gauge = np.abs(A).T @ (np.abs(A) @ np.abs(theta) + np.abs(y)) / len(y)
    terms = 2 * (len(y) + A.shape[1] + 3)
    assert_close(np.append(grad_w, grad_b), np.append(dw, db), gauge=gauge, terms=terms)


# ----------------------------------------------------------------------------------------------
# gradient descent


def house_problem(count: int = 200, noise: float = 15.0, seed: int = 0) -> tuple:
    """Standardised house prices: the well-conditioned version of the classic example."""
    X, y = regression.house_prices(count, np.random.default_rng(seed), noise=noise)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def curvature(X: np.ndarray) -> np.ndarray:
    """The eigenvalues of the full-batch Hessian H = A^T A / N, ascending."""
    A = design(X)
    return np.linalg.eigvalsh(A.T @ A / len(A))


def rounding_per_step(
    X: np.ndarray, y: np.ndarray, theta_reach: np.ndarray, lr: float, batch: int
) -> float:
    """A bound on how far one computed step lands from the exact step.

    The gradient over a minibatch carries at most gamma_{B + n + 3} of its gauge
    (1/B) |A|^T (|A||theta| + |y|) per entry; the update theta - lr g two more
    roundings of |theta| + lr |g|. ``theta_reach`` bounds |theta| along the path.
    The gauge over the whole data set times N / B bounds every minibatch's.
    """
    A = design(X)
    gauge = np.abs(A).T @ (np.abs(A) @ theta_reach + np.abs(y)) / batch
    gradient = gamma(batch + A.shape[1] + 3) * np.linalg.norm(gauge)
    update = gamma(2) * (np.linalg.norm(theta_reach) + lr * np.linalg.norm(gauge))
    return lr * gradient + update


def test_gradient_descent_below_two_over_l_decreases_the_loss_at_every_step() -> None:
    """With lr < 2/L each full-batch step lowers the loss, up to the rounding of the loss itself."""
    X, y = house_problem()
    L = curvature(X)[-1]
    for lr in (0.5 / L, 1.0 / L, 1.9 / L):
        _, _, history = regression.fit_sgd(
            X, y, lr=lr, batch_size=len(y), epochs=300, rng=np.random.default_rng(1)
        )
        star = theta_of(*regression.fit_least_squares(X, y))
        # |theta_k| <= |theta*| + |theta_0 - theta*| entrywise: the error never grows
        reach = np.abs(star) + np.linalg.norm(star)
        A = design(X)
        loss_gauge = np.sum((np.abs(A) @ reach + np.abs(y)) ** 2) / (2 * len(y))
        slack = 2.0 * gamma(len(y) + A.shape[1] + 5) * loss_gauge
        assert np.all(np.diff(history) <= slack)
        best = losses.squared_loss(design(X) @ star, y)
        assert history[-1] - best < 1e-6 * (history[0] - best)


def test_gradient_descent_below_two_over_l_reaches_the_analytic_solution() -> None:
    """|theta_K - theta*| <= rho^K |theta*| + rounding / (1 - rho), rho = max |1 - lr lambda_i|."""
    X, y = house_problem()
    eigenvalues = curvature(X)
    lr, epochs = 1.0 / eigenvalues[-1], 200
    w, b, _ = regression.fit_sgd(
        X, y, lr=lr, batch_size=len(y), epochs=epochs, rng=np.random.default_rng(2)
    )
    star = theta_of(*regression.fit_least_squares(X, y))
    rho = np.max(np.abs(1.0 - lr * eigenvalues))
    reach = np.abs(star) + np.linalg.norm(star)
    bound = (
        rho**epochs * np.linalg.norm(star)
        + rounding_per_step(X, y, reach, lr, len(y)) / (1.0 - rho)
        + forward_error(design(X), y, star)
    )
    assert np.linalg.norm(theta_of(w, b) - star) <= bound


@pytest.mark.parametrize("factor", [2.2, 3.0, 10.0])
def test_gradient_descent_above_two_over_l_diverges_with_a_clear_error(factor: float) -> None:
    """Above 2/L the error grows by |1 - lr L| > 1 a step until the loss overflows: clear error."""
    X, y = house_problem()
    L = curvature(X)[-1]
    lr = float(factor / L)
    with pytest.raises(NonFiniteLossError) as caught:
        regression.fit_sgd(
            X, y, lr=lr, batch_size=len(y), epochs=100_000, rng=np.random.default_rng(3)
        )
    error = caught.value
    assert isinstance(error, FloatingPointError)
    assert error.lr == lr
    # the error grows like |1 - lr L|^k: overflow (1e308) within a few hundred steps of the estimate
    growth = abs(1.0 - lr * L)
    assert 0 < error.step <= math.log(1e308 / np.linalg.norm(y)) / math.log(growth) + 10
    message = str(error)
    assert f"after step {error.step} " in message
    assert f"lr={lr!r}" in message
    assert f"2/L = {2.0 / L:.6g}" in message


def test_the_boundary_is_two_over_l() -> None:
    """Just below 2/L the distance to the solution shrinks; just above, the loss blows up."""
    X, y = house_problem()
    L = curvature(X)[-1]
    star = theta_of(*regression.fit_least_squares(X, y))
    w, b, _ = regression.fit_sgd(
        X, y, lr=1.95 / L, batch_size=len(y), epochs=2000, rng=np.random.default_rng(4)
    )
    assert np.linalg.norm(theta_of(w, b) - star) < 1e-6 * np.linalg.norm(star)
    with pytest.raises(NonFiniteLossError):
        regression.fit_sgd(
            X, y, lr=2.05 / L, batch_size=len(y), epochs=100_000, rng=np.random.default_rng(4)
        )


def _epoch_contraction(X: np.ndarray, lr: float, batch: int) -> tuple[float, float]:
    """Rho and L_B for one epoch of m = N / B minibatch steps, whatever the shuffle.

    One epoch multiplies the error by P = prod_j (I - lr H_j). Expanding,
    P = I - lr sum_j H_j + R, with sum_j H_j = (N / B) H for batches of equal
    size and |R| <= (1 + lr L_B)^m - 1 - m lr L_B, L_B = max_n |a_n|^2 bounding
    every minibatch Hessian. So |P| <= |I - lr m H| + that remainder = rho.
    """
    A = design(X)
    batches = len(X) // batch
    eigenvalues = curvature(X)
    L_B = float(np.max(np.sum(A**2, axis=1)))
    linear = float(np.max(np.abs(1.0 - lr * batches * eigenvalues)))
    remainder = (1.0 + lr * L_B) ** batches - 1.0 - batches * lr * L_B
    return linear + remainder, L_B


@pytest.mark.parametrize("noise", [15.0, 0.0])
def test_minibatch_sgd_ends_within_the_derived_distance(noise: float) -> None:
    """Shuffled minibatch SGD ends within rho^E |e0| + nu / (1 - rho) of the solution.

    Over one epoch the error becomes P e + lr sum_j (Q_j - I) xi_j, where xi_j is
    the batch's gradient at the solution and Q_j the product of the later
    steps; the xi_j sum to zero by the normal equation, and
    |Q_j - I| <= (1 + lr L_B)^(m-1) - 1. So whatever the shuffle,
    nu = lr ((1 + lr L_B)^(m-1) - 1) (1/B) sum_n |a_n| |r_n|. With noise 0 the
    residuals vanish and SGD must reach the solution itself.
    """
    X, y = house_problem(count=200, noise=noise)
    lr, batch, epochs = 1e-3, 20, 5000
    rho, L_B = _epoch_contraction(X, lr, batch)
    assert rho < 1.0, "this step size must contract every epoch for the bound to hold"
    batches = len(y) // batch
    star = theta_of(*regression.fit_least_squares(X, y))
    A = design(X)
    residual = y - A @ star
    nu = (
        lr
        * ((1.0 + lr * L_B) ** (batches - 1) - 1.0)
        * np.sum(np.linalg.norm(A, axis=1) * np.abs(residual))
        / batch
        + lr * np.linalg.norm(A.T @ residual) / batch
    )  # the computed star's own residual
    reach = np.abs(star) + np.linalg.norm(star) + nu / (1.0 - rho)
    rounding = batches * rounding_per_step(X, y, reach, lr, batch)
    bound = (
        rho**epochs * np.linalg.norm(star)
        + (nu + rounding) / (1.0 - rho)
        + forward_error(A, y, star)
    )
    w, b, _history = regression.fit_sgd(
        X, y, lr=lr, batch_size=batch, epochs=epochs, rng=np.random.default_rng(5)
    )
    distance = np.linalg.norm(theta_of(w, b) - star)
    assert distance <= bound
    if noise == 0.0:
        assert bound < 1e-9 * np.linalg.norm(star)


def numpy_sgd(
    X: np.ndarray, y: np.ndarray, *, lr: float, batch: int, epochs: int, seed: int
) -> tuple[np.ndarray, float, int, bool]:
    """Minibatch SGD written again in plain NumPy, drawing the same shuffles.

    Returns w, b, the number of updates made, and whether a minibatch loss
    stopped being finite (the run stops there, before that step's update).
    """
    rng = np.random.default_rng(seed)
    w, b, updates = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch):
            rows = order[start : start + batch]
            residual = X[rows] @ w + b - y[rows]
            # each term r^2 / 2|B| on its own, as the kernel sums them: the mean of the squares
            # would overflow a little sooner, and the law is about the loss, not its rounding
            with np.errstate(over="ignore", invalid="ignore"):
                if not np.isfinite(np.sum(residual**2 / (2 * len(rows)))):
                    return w, b, updates, True
            w = w - lr * X[rows].T @ residual / len(rows)
            b = b - lr * float(np.mean(residual))
            updates += 1
    return w, b, updates, False


@pytest.mark.parametrize(("count", "batch"), [(60, 7), (50, 10), (13, 20), (31, 1)])
def test_sgd_agrees_with_a_plain_numpy_loop_over_the_same_shuffles(count: int, batch: int) -> None:
    """Same shuffles, same minibatches (the last one short), same updates: the same parameters.

    Both runs round differently; with lr L_B <= 1 every step is non-expansive, so the
    difference grows at most by the rounding of both runs at each of their steps.
    """
    X, y = house_problem(count=count)
    A = design(X)
    lr = 0.5 / float(np.max(np.sum(A**2, axis=1)))
    w, b, _ = regression.fit_sgd(
        X, y, lr=lr, batch_size=batch, epochs=5, rng=np.random.default_rng(8)
    )
    w_np, b_np, updates, diverged = numpy_sgd(X, y, lr=lr, batch=batch, epochs=5, seed=8)
    assert not diverged
    star = theta_of(*regression.fit_least_squares(X, y))
    reach = np.abs(star) + np.linalg.norm(star)
    bound = updates * 2.0 * rounding_per_step(X, y, reach, lr, min(batch, count))
    assert np.linalg.norm(theta_of(w, b) - theta_of(w_np, b_np)) <= bound


def test_the_divergence_error_names_the_first_step_whose_loss_is_not_finite() -> None:
    """Mid-epoch divergence is reported at the update after which a minibatch loss overflowed."""
    X, y = house_problem(count=40)
    lr, batch = 4.0, 3
    with pytest.raises(NonFiniteLossError) as caught:
        regression.fit_sgd(
            X, y, lr=lr, batch_size=batch, epochs=10_000, rng=np.random.default_rng(9)
        )
    _, _, updates, diverged = numpy_sgd(X, y, lr=lr, batch=batch, epochs=10_000, seed=9)
    assert diverged
    assert caught.value.step == updates
    assert updates % (-(-40 // batch)) != 0, "the example should diverge inside an epoch"


def test_every_epoch_visits_every_sample_exactly_once() -> None:
    """One-hot features give each sample its own weight: after one epoch each has moved once.

    With x_n = e_n and y = 1, only sample n moves w_n, by lr (1 - b) / |B| from w = 0.
    The N mod B samples of the short last minibatch move by more than lr / B, the
    others by less: every weight moves, and exactly N mod B of them by the larger step.
    """
    count, batch, lr = 23, 5, 1e-3
    X, y = np.eye(count), np.ones(count)
    w, _, _ = regression.fit_sgd(
        X, y, lr=lr, batch_size=batch, epochs=1, rng=np.random.default_rng(10)
    )
    assert np.all(w > 0)
    assert int(np.sum(w > lr / batch)) == count % batch


def test_sgd_is_reproducible_from_its_generator() -> None:
    """The same seed gives the same run, bit for bit; another seed another path."""
    X, y = house_problem(count=60)
    runs = [
        regression.fit_sgd(X, y, lr=0.01, batch_size=7, epochs=20, rng=np.random.default_rng(seed))
        for seed in (9, 9, 10)
    ]
    assert np.array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
    assert np.array_equal(runs[0][2], runs[1][2])
    assert not np.array_equal(runs[0][0], runs[2][0])


def test_the_loss_history_is_the_squared_loss_of_the_model() -> None:
    """losses[-1] is squared_loss(linear(X, w, b), y) of the returned parameters."""
    X, y = house_problem(count=50)
    w, b, history = regression.fit_sgd(
        X, y, lr=0.05, batch_size=8, epochs=30, rng=np.random.default_rng(6)
    )
    assert history.shape == (31,)
    gauge = losses.squared_loss(np.abs(X) @ np.abs(w) + abs(b) + np.abs(y), np.zeros_like(y))
    assert_close(
        history[-1],
        losses.squared_loss(regression.linear(X, w, b), y),
        gauge=gauge,
        terms=2 * (len(y) + X.shape[1] + 5),
    )
    assert history[0] == pytest.approx(losses.squared_loss(np.zeros_like(y), y), rel=1e-14)


def test_one_full_batch_step_is_the_textbook_update() -> None:
    """theta_1 = theta_0 - lr * gradient, with the gradient from linear_backward."""
    X, y = house_problem(count=30)
    w0, b0, lr = np.array([1.0, -2.0]), 0.5, 0.1
    w, b, _ = regression.fit_sgd(
        X, y, lr=lr, batch_size=len(y), epochs=1, rng=np.random.default_rng(0), w0=w0, b0=b0
    )
    d_prediction = losses.squared_loss_backward(1.0, regression.linear(X, w0, b0), y)
    _, dw, db = regression.linear_backward(d_prediction, X, w0, b0)
    reach = np.abs(theta_of(w0, b0))
    assert np.linalg.norm(
        theta_of(w, b) - (theta_of(w0, b0) - lr * np.append(dw, db))
    ) <= 2.0 * rounding_per_step(X, y, reach, lr, len(y))


# ----------------------------------------------------------------------------------------------
# bad input


GOOD_X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
GOOD_Y = np.array([1.0, 2.0, 4.0])


def _sgd(**changes: object) -> object:
    arguments: dict = {
        "X": GOOD_X,
        "y": GOOD_Y,
        "lr": 0.01,
        "batch_size": 2,
        "epochs": 2,
        "rng": np.random.default_rng(0),
    }
    arguments.update(changes)
    X, y = arguments.pop("X"), arguments.pop("y")
    return regression.fit_sgd(X, y, **arguments)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: regression.fit_least_squares(GOOD_X[0], GOOD_Y),
            ValueError,
            r"fit_least_squares: X must be a 2-D array of shape \(N, D\); got a 1-D array",
        ),
        (
            lambda: regression.fit_least_squares(GOOD_X, GOOD_Y[:2]),
            ValueError,
            r"fit_least_squares: X and y must hold the same number of samples; "
            r"got X of shape \(3, 2\)",
        ),
        (
            lambda: regression.fit_least_squares(GOOD_X.astype(int), GOOD_Y),
            TypeError,
            r"fit_least_squares: X must be a real floating-point array; got integer data",
        ),
        (
            lambda: regression.fit_least_squares(GOOD_X, GOOD_Y + 1j),
            TypeError,
            r"fit_least_squares: y must be a real floating-point array; got complex data",
        ),
        (
            lambda: regression.fit_least_squares(GOOD_X, np.array([1.0, np.nan, 2.0])),
            ValueError,
            r"fit_least_squares: y must be finite; got nan at index \(1,\)",
        ),
        (
            lambda: regression.fit_least_squares(np.array([[1.0, np.inf]]), np.ones(1)),
            ValueError,
            r"fit_least_squares: X must be finite; got inf at index \(0, 1\)",
        ),
        (
            lambda: regression.fit_least_squares(GOOD_X, GOOD_Y, ridge=-1.0),
            ValueError,
            r"fit_least_squares: ridge must be >= 0.0; got -1.0",
        ),
        (
            lambda: regression.fit_least_squares(np.empty((0, 2)), np.empty(0)),
            ValueError,
            r"fit_least_squares: X must hold at least one sample",
        ),
        (lambda: _sgd(X=GOOD_X[..., None]), ValueError, r"fit_sgd: X must be a 2-D array"),
        (lambda: _sgd(y=np.array([1.0, np.inf, 0.0])), ValueError, r"fit_sgd: y must be finite"),
        (lambda: _sgd(lr=0.0), ValueError, r"fit_sgd: lr must be > 0; got 0.0"),
        (lambda: _sgd(lr=np.inf), ValueError, r"fit_sgd: lr must be finite; got inf"),
        (lambda: _sgd(batch_size=0), ValueError, r"fit_sgd: batch_size must be a positive integer"),
        (
            lambda: _sgd(batch_size=2.0),
            TypeError,
            r"fit_sgd: batch_size must be a positive integer",
        ),
        (lambda: _sgd(epochs=-1), ValueError, r"fit_sgd: epochs must be a positive integer"),
        (lambda: _sgd(rng=0), TypeError, r"fit_sgd: rng must be a numpy.random.Generator"),
        (lambda: _sgd(w0=np.zeros(3)), ValueError, r"fit_sgd: w0 must have shape \(2,\)"),
        (
            lambda: regression.linear(GOOD_X, np.ones(3), 0.0),
            ValueError,
            r"linear: w must have shape \(D,\) = \(2,\) to match X of shape \(3, 2\); got \(3,\)",
        ),
        (
            lambda: regression.linear(GOOD_X, np.ones(2), "0"),
            TypeError,
            r"linear: b must be a real scalar; got str '0'",
        ),
        (
            lambda: regression.linear_backward(np.ones(2), GOOD_X, np.ones(2), 0.0),
            ValueError,
            r"linear_backward: dy must have shape \(N,\) = \(3,\) to match X of shape \(3, 2\)",
        ),
        (
            lambda: regression.house_prices(0, np.random.default_rng(0)),
            ValueError,
            r"house_prices: n must be a positive integer",
        ),
        (
            lambda: regression.house_prices(3, np.random.default_rng(0), noise=np.inf),
            ValueError,
            r"house_prices: noise must be finite; got inf",
        ),
        (lambda: _sgd(b0=np.nan), ValueError, r"fit_sgd: b0 must be finite; got nan"),
        (
            lambda: regression.fit_least_squares(GOOD_X, GOOD_Y, ridge=np.inf),
            ValueError,
            r"fit_least_squares: ridge must be finite; got inf",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call: Any, error: type, message: str) -> None:
    """Wrong rank, lengths that differ, integer or complex data, non-finite data, bad settings."""
    with pytest.raises(error, match=f"^{message}"):
        call()


def test_fits_never_mutate_their_inputs() -> None:
    """fit_least_squares and fit_sgd leave X, y and w0 as they were."""
    X, y = house_problem(count=40)
    w0 = np.array([0.3, -0.2])
    copies = [X.copy(), y.copy(), w0.copy()]
    regression.fit_least_squares(X, y, ridge=0.1)
    regression.fit_sgd(X, y, lr=0.01, batch_size=8, epochs=3, rng=np.random.default_rng(0), w0=w0)
    for before, after in zip(copies, (X, y, w0), strict=True):
        assert np.array_equal(before, after)


def test_fits_accept_views_and_single_precision() -> None:
    """A transposed view or float32 data is converted, not refused."""
    X, y = house_problem(count=40)
    w, b = regression.fit_least_squares(X, y)
    w_view, b_view = regression.fit_least_squares(np.asfortranarray(X), y[::-1][::-1])
    assert np.array_equal(w, w_view)
    assert b == b_view
    w32, b32 = regression.fit_least_squares(X.astype(np.float32), y.astype(np.float32))
    w64, b64 = regression.fit_least_squares(
        X.astype(np.float32).astype(np.float64), y.astype(np.float32).astype(np.float64)
    )
    assert np.array_equal(w32, w64)
    assert b32 == b64


def test_features_near_the_largest_float_are_fitted_without_overflow() -> None:
    """A constant feature of 1e308 carries nothing: w = 0 and b = mean(y), not NaN.

    Its mean is 1e308 although its sum overflows; the curvature of such data is reported as
    infinite (it is beyond the largest float) without an overflow on the way.
    """
    w, b = regression.fit_least_squares(np.full((3, 1), 1e308), np.array([3.0, 5.0, 7.0]))
    assert w.tolist() == [0.0]
    assert b == 5.0
    with np.errstate(over="raise"):
        assert regression.largest_curvature(np.array([[1e160], [-2e160]])) == np.inf


def test_divergence_on_features_near_the_largest_float_is_reported_plainly() -> None:
    """Features of 1e160 square past the largest float: the error says L = inf, without a warning.

    (Before, it said "converges only for lr < 2/L = nan (L = nan ...)" after NumPy's overflow
    warning.)
    """
    X = np.array([[1e160], [2e160], [3e160]])
    with pytest.raises(NonFiniteLossError, match=r"2/L = 0 \(L = inf is the largest eigenvalue"):
        regression.fit_sgd(
            X,
            np.array([1.0, 2.0, 3.0]),
            lr=0.1,
            batch_size=3,
            epochs=3,
            rng=np.random.default_rng(0),
        )
