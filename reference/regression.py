r"""Linear regression: a weighted sum of the features plus a bias, fitted to data.

A house's price is predicted from its floor area and its age as
$\hat y = x_1 w_1 + x_2 w_2 + b$. The weights that make the squared loss smallest
come either in one step from the normal equation (:func:`fit_least_squares`) or
little by little from minibatch stochastic gradient descent (:func:`fit_sgd`).
The page [Linear regression][linear-regression] tells the whole story; the loss itself is
:func:`reference.losses.squared_loss`.

Set ``NUMBA_DISABLE_JIT=1`` to run the kernels below as plain Python, in a
debugger or under coverage.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import ArrayLike

from reference import _stable
from reference._validation import (
    NonFiniteLossError,
    as_float_array,
    as_positive_int,
    as_real,
    require_finite,
    require_generator,
)
from reference.optim import optimizer, train_minibatch

__all__ = [
    "fit_least_squares",
    "fit_sgd",
    "house_prices",
    "largest_curvature",
    "linear",
    "linear_backward",
]


def linear(X: ArrayLike, w: ArrayLike, b: float) -> np.ndarray:
    r"""The linear model, $\hat y = X w + b$.

    Parameters
    ----------
    X : array_like, shape (N, D)
        One sample per row, one feature per column.
    w : array_like, shape (D,)
        One weight per feature.
    b : float
        The bias (intercept), shared by every sample.

    Returns
    -------
    numpy.ndarray, shape (N,)
        $\hat y_n = \sum_d x_{nd} w_d + b$.

    Raises
    ------
    TypeError
        If an argument is not real floating-point data.
    ValueError
        If ``X`` is not 2-D or ``w`` does not have one entry per column of ``X``.

    Examples
    --------
    >>> linear([[100.0, 10.0], [50.0, 30.0]], [2.5, -1.2], 30.0)
    array([268., 119.])
    """
    X, w, b = _check_model("linear", X, w, b)
    return _linear_kernel(X, w, b)


def linear_backward(
    dy: ArrayLike, X: ArrayLike, w: ArrayLike, b: float
) -> tuple[np.ndarray, np.ndarray, float]:
    r"""Gradients of :func:`linear` with respect to ``X``, ``w`` and ``b``.

    Parameters
    ----------
    dy : array_like, shape (N,)
        The gradient of the objective with respect to the output $\hat y$.
    X, w, b
        The arguments of the forward call.

    Returns
    -------
    dX : numpy.ndarray, shape (N, D)
        $\partial/\partial x_{nd} = \mathrm{dy}_n\, w_d$.
    dw : numpy.ndarray, shape (D,)
        $\partial/\partial w_d = \sum_n x_{nd}\, \mathrm{dy}_n$, that is $X^\top \mathrm{dy}$.
    db : float
        $\partial/\partial b = \sum_n \mathrm{dy}_n$.

    Examples
    --------
    >>> dX, dw, db = linear_backward([1.0, -1.0], [[100.0, 10.0], [50.0, 30.0]], [2.5, -1.2], 30.0)
    >>> dw, db
    (array([ 50., -20.]), 0.0)
    """
    X, w, b = _check_model("linear_backward", X, w, b)
    gradient = as_float_array(dy, "linear_backward", "dy", ndim=1, layout="(N,)")
    if gradient.shape[0] != X.shape[0]:
        raise ValueError(
            f"linear_backward: dy must have shape (N,) = ({X.shape[0]},) to match X of shape "
            f"{X.shape}; got {gradient.shape}"
        )
    dX, dw, db = _linear_backward_kernel(gradient, X, w)
    return dX, dw, float(db)


def fit_least_squares(
    X: ArrayLike, y: ArrayLike, *, ridge: float = 0.0
) -> tuple[np.ndarray, float]:
    r"""The weights and bias that minimise the squared error, in closed form.

    Minimises $\lVert X w + b - y\rVert^2 + \lambda \lVert w\rVert^2$ with
    $\lambda$ = ``ridge`` (the bias is not penalised: the convention of
    scikit-learn's ``Ridge(alpha=ridge)``).

    Parameters
    ----------
    X : array_like, shape (N, D)
        Features, one sample per row.
    y : array_like, shape (N,)
        Targets.
    ridge : float, default 0.0
        $\lambda \ge 0$. With $\lambda = 0$ this is ordinary least squares.

    Returns
    -------
    w : numpy.ndarray, shape (D,)
        The weights. When ``ridge`` is 0 and $X$ (centred) is rank deficient,
        every $w$ in an affine subspace fits equally well; this returns the one
        of smallest norm $\lVert w\rVert$ (the bias does not count in the norm).
    b : float
        The bias, $\bar y - \bar x^\top w$.

    Raises
    ------
    TypeError
        If ``X`` or ``y`` is not real floating-point data.
    ValueError
        If the shapes do not fit, a value is not finite, or ``ridge`` < 0.

    Notes
    -----
    Setting the gradient to zero gives, after centring ($X_c = X - \bar x^\top$,
    $y_c = y - \bar y$), the **normal equation**
    $(X_c^\top X_c + \lambda I)\, w = X_c^\top y_c$ and $b = \bar y - \bar x^\top w$.

    It is not solved as written. Forming $X_c^\top X_c$ squares the condition
    number, so half of the significant digits can be lost before the solve
    starts. Instead, with the thin singular value decomposition
    $X_c = U \Sigma V^\top$,

    $$w = V\, \operatorname{diag}\!\Big(\frac{\sigma_i}{\sigma_i^2 + \lambda}\Big)\, U^\top y_c,$$

    which is backward stable: the computed $w$ is the exact solution for data
    perturbed by a few units of round-off. With $\lambda = 0$ the factor is
    $1/\sigma_i$, and singular values below $\max(N, D)\,\varepsilon\,\sigma_{\max}$
    (the cut-off of ``numpy.linalg.lstsq``) count as zero, which gives the
    minimum-norm solution of a rank-deficient problem.

    References
    ----------
    N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
    SIAM, 2002, chapter 20 (the least squares problem).

    Examples
    --------
    >>> X = [[1.0], [2.0], [3.0]]
    >>> w, b = fit_least_squares(X, [3.0, 5.0, 7.0])
    >>> np.round(w, 12), round(b, 12)
    (array([2.]), 1.0)
    """
    func = "fit_least_squares"
    X, y = _check_data(func, X, y)
    penalty = as_real(ridge, func, "ridge", minimum=0.0, finite=True)
    # x̄ and ȳ: with the bias unpenalised, centring removes it from the problem
    x_mean = _stable.mean(X, 0)
    y_mean = float(_stable.mean(y, 0))
    # X_c = U Σ Vᵀ
    U, sigma, Vt = np.linalg.svd(X - x_mean, full_matrices=False)
    if penalty == 0.0:
        # 1/σ_i, with σ_i below the rank cut-off counted as zero
        cutoff = max(X.shape) * np.finfo(np.float64).eps * (sigma[0] if sigma.size else 0.0)
        safe = np.where(sigma > cutoff, sigma, 1.0)
        factor = np.where(sigma > cutoff, 1.0 / safe, 0.0)
    else:
        # σ_i / (σ_i² + λ)
        factor = sigma / (sigma * sigma + penalty)
    # w = V diag(factor) Uᵀ y_c
    w = Vt.T @ (factor * (U.T @ (y - y_mean)))
    # b = ȳ − x̄ᵀ w
    b = float(y_mean - x_mean @ w)
    return w, b


def fit_sgd(
    X: ArrayLike,
    y: ArrayLike,
    *,
    lr: float,
    batch_size: int,
    epochs: int,
    rng: np.random.Generator,
    w0: ArrayLike | None = None,
    b0: float = 0.0,
) -> tuple[np.ndarray, float, np.ndarray]:
    r"""Fit the linear model by minibatch stochastic gradient descent.

    Each epoch visits the samples in a fresh random order drawn from ``rng``,
    cut into consecutive minibatches $B$ of ``batch_size`` samples (the last one
    holds the remaining $N \bmod |B|$ samples, if any). Each minibatch takes one
    step on its half mean squared error
    $L_B = \frac{1}{2|B|}\sum_{n\in B} (x_n^\top w + b - y_n)^2$:

    $$\begin{aligned}
    w &\leftarrow w - \eta\, \frac{1}{|B|}\sum_{n\in B} r_n x_n,\\
    b &\leftarrow b - \eta\, \frac{1}{|B|}\sum_{n\in B} r_n,
    \end{aligned}$$

    with $r_n = x_n^\top w + b - y_n$ and $\eta$ = ``lr``.

    Parameters
    ----------
    X : array_like, shape (N, D)
        Features. Standardised features make the problem far better conditioned.
    y : array_like, shape (N,)
        Targets.
    lr : float
        The learning rate $\eta > 0$.
    batch_size : int
        Samples per minibatch; ``batch_size >= N`` gives full-batch gradient descent.
    epochs : int
        Passes over the data.
    rng : numpy.random.Generator
        The source of the shuffles, so that a run can be reproduced.
    w0 : array_like, shape (D,), optional
        The starting weights (zeros by default). It is not modified.
    b0 : float, default 0.0
        The starting bias.

    Returns
    -------
    w : numpy.ndarray, shape (D,)
    b : float
    losses : numpy.ndarray, shape (epochs + 1,)
        The half mean squared error on the whole data set at the start and after
        each epoch (:func:`reference.losses.squared_loss` of the predictions).

    Raises
    ------
    NonFiniteLossError
        (a ``FloatingPointError``) if a minibatch loss stops being finite: the
        message names the step and the learning rate and says below which rate
        full-batch gradient descent converges on this data.
    TypeError, ValueError
        For data of the wrong kind or shape, non-finite data, or settings out of range.

    Notes
    -----
    On the full batch, the loss is a quadratic whose Hessian
    $H = \frac1N A^\top A$ ($A = [X\ \mathbf 1]$) has largest eigenvalue $L$.
    Gradient descent then converges for $\eta < 2/L$ and diverges for $\eta > 2/L$.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> w, b, losses = fit_sgd(X, 2.0 * X[:, 0] + 1.0, lr=0.1, batch_size=2, epochs=200,
    ...                        rng=np.random.default_rng(0))
    >>> np.round(w, 6), round(b, 6), bool(losses[-1] < 1e-12)
    (array([2.]), 1.0, True)
    """
    func = "fit_sgd"
    X, y = _check_data(func, X, y)
    rate = as_real(lr, func, "lr", strictly_positive=True, finite=True)
    batch = as_positive_int(batch_size, func, "batch_size")
    n_epochs = as_positive_int(epochs, func, "epochs")
    require_generator(rng, func)
    count, width = X.shape
    if w0 is None:
        w = np.zeros(width)
    else:
        w = as_float_array(w0, func, "w0", ndim=1, layout="(D,)").copy()
        if w.shape != (width,):
            raise ValueError(f"{func}: w0 must have shape ({width},) to match X; got {w.shape}")
        require_finite(w, func, "w0")
    bias = np.array([as_real(b0, func, "b0", finite=True)])
    every_sample = np.arange(count)

    def batch_gradient(
        params: list[np.ndarray], rows: np.ndarray
    ) -> tuple[float, list[np.ndarray]]:
        loss, grad_w, grad_b = _batch_gradient(X, y, params[0], params[1][0], rows)
        return loss, [grad_w, np.array([grad_b])]

    def whole_loss(params: list[np.ndarray]) -> float:
        return _batch_gradient(X, y, params[0], params[1][0], every_sample)[0]

    try:
        (w, bias), losses = train_minibatch(
            [w, bias],
            batch_gradient,
            samples=count,
            batch_size=batch,
            epochs=n_epochs,
            rng=rng,
            step=optimizer("sgd", lr=rate),
            evaluate=whole_loss,
            func=func,
        )
    except NonFiniteLossError as error:
        if error.epoch == 0:
            raise NonFiniteLossError(
                f"{func}: the loss is not finite before the first step; the data or the "
                f"starting point are too large to square",
                step=0,
                lr=rate,
                epoch=0,
            ) from None
        curvature = largest_curvature(X)
        steps_per_epoch = -(-count // batch)
        raise NonFiniteLossError(
            f"{func}: the loss stopped being finite after step {error.step} "
            f"(epoch {error.epoch} of {n_epochs}, {steps_per_epoch} steps per epoch) with "
            f"lr={rate!r}; on this data full-batch gradient descent converges only for "
            f"lr < 2/L = {2.0 / curvature:.6g} (L = {curvature:.6g} is the largest eigenvalue "
            f"of the loss's Hessian): lower lr, or standardise the features",
            step=error.step,
            lr=rate,
            epoch=error.epoch,
        ) from None
    return w, float(bias[0]), losses


def largest_curvature(X: ArrayLike) -> float:
    r"""$L$, the largest eigenvalue of the half mean squared error's Hessian $\frac1N A^\top A$.

    $A = [X\ \mathbf 1]$ is the design matrix with the bias column. Full-batch
    gradient descent on :func:`fit_sgd`'s loss converges for ``lr`` $< 2/L$
    and diverges above it.

    Parameters
    ----------
    X : array_like, shape (N, D)

    Examples
    --------
    >>> largest_curvature(np.array([[1.0], [-1.0]]))
    1.0
    """
    features = as_float_array(X, "largest_curvature", "X", ndim=2, layout="(N, D)")
    if features.shape[0] == 0:
        raise ValueError("largest_curvature: X must have at least one row")
    design = np.column_stack([features, np.ones(features.shape[0])])
    # L(A) = s² L(A / s) with s a power of two: the product AᵀA cannot overflow on the way
    s = float(_stable.power_of_two_scale(design, (0, 1)).ravel()[0])
    scaled = design / s
    with np.errstate(over="ignore"):  # an L beyond the largest float is inf
        return float(np.linalg.eigvalsh(scaled.T @ scaled / features.shape[0])[-1] * s * s)


def house_prices(
    n: int, rng: np.random.Generator, *, noise: float = 15.0
) -> tuple[np.ndarray, np.ndarray]:
    r"""A synthetic data set: house prices from floor area and age.

    Floor areas are uniform in [40, 200] m², ages uniform in [0, 60] years, and

    $$\begin{aligned}
    \text{price} &= 2.5\cdot\text{area} - 1.2\cdot\text{age} + 30 + \varepsilon,\\
    \varepsilon &\sim \mathcal N(0, \text{noise}^2),
    \end{aligned}$$

    in thousands. The true weights are (2.5, -1.2) and the true bias 30.

    Parameters
    ----------
    n : int
        Number of houses.
    rng : numpy.random.Generator
        The source of randomness.
    noise : float, default 15.0
        Standard deviation of the price noise, in thousands (0 for exact data).

    Returns
    -------
    X : numpy.ndarray, shape (n, 2)
        Columns: floor area (m²), age (years).
    y : numpy.ndarray, shape (n,)
        Prices (thousands).

    Examples
    --------
    >>> X, y = house_prices(3, np.random.default_rng(0), noise=0.0)
    >>> bool(np.allclose(y, X @ [2.5, -1.2] + 30.0))
    True
    """
    func = "house_prices"
    count = as_positive_int(n, func, "n")
    sigma = as_real(noise, func, "noise", minimum=0.0, finite=True)
    require_generator(rng, func)
    area = rng.uniform(40.0, 200.0, size=count)
    age = rng.uniform(0.0, 60.0, size=count)
    price = 2.5 * area - 1.2 * age + 30.0 + sigma * rng.standard_normal(count)
    return np.column_stack([area, age]), price


def _check_model(
    func: str, X: ArrayLike, w: ArrayLike, b: float
) -> tuple[np.ndarray, np.ndarray, float]:
    X = as_float_array(X, func, "X", ndim=2, layout="(N, D)")
    w = as_float_array(w, func, "w", ndim=1, layout="(D,)")
    if w.shape[0] != X.shape[1]:
        raise ValueError(
            f"{func}: w must have shape (D,) = ({X.shape[1]},) to match X of shape {X.shape}; "
            f"got {w.shape}"
        )
    return X, w, as_real(b, func, "b")


def _check_data(func: str, X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    X = as_float_array(X, func, "X", ndim=2, layout="(N, D)")
    y = as_float_array(y, func, "y", ndim=1, layout="(N,)")
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"{func}: X and y must hold the same number of samples; "
            f"got X of shape {X.shape} and y of shape {y.shape}"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{func}: X must hold at least one sample; got shape {X.shape}")
    require_finite(X, func, "X")
    require_finite(y, func, "y")
    return X, y


@numba.njit(cache=True)
def _linear_kernel(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    count, width = X.shape
    y = np.empty(count)
    for n in range(count):
        total = 0.0
        for d in range(width):
            # Σ_d x_nd w_d
            total += X[n, d] * w[d]
        # ŷ_n = Σ_d x_nd w_d + b
        y[n] = total + b
    return y


@numba.njit(cache=True)
def _linear_backward_kernel(
    dy: np.ndarray, X: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    count, width = X.shape
    dX = np.empty((count, width))
    dw = np.zeros(width)
    db = 0.0
    for n in range(count):
        for d in range(width):
            # ∂/∂x_nd = dy_n w_d
            dX[n, d] = dy[n] * w[d]
            # ∂/∂w_d = Σ_n x_nd dy_n
            dw[d] += X[n, d] * dy[n]
        # ∂/∂b = Σ_n dy_n
        db += dy[n]
    return dX, dw, db


@numba.njit(cache=True)
def _batch_gradient(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, rows: np.ndarray
) -> tuple[float, np.ndarray, float]:
    """Loss and gradient of ½ mean (xᵀw + b − y)² over the samples ``rows``."""
    width = X.shape[1]
    size = rows.size
    loss = 0.0
    grad_w = np.zeros(width)
    grad_b = 0.0
    for n in rows:
        prediction = 0.0
        for d in range(width):
            # Σ_d x_nd w_d
            prediction += X[n, d] * w[d]
        # r_n = x_nᵀ w + b − y_n
        residual = prediction + b - y[n]
        # L_B = Σ r_n² / (2|B|)
        loss += residual * residual / (2.0 * size)
        for d in range(width):
            # ∂L_B/∂w_d = Σ r_n x_nd / |B|
            grad_w[d] += residual * X[n, d] / size
        # ∂L_B/∂b = Σ r_n / |B|
        grad_b += residual / size
    return loss, grad_w, grad_b
