r"""Batch normalisation: each feature standardised over the batch, then scaled and shifted.

During training, a layer's inputs change their distribution as the layers
before it learn ("internal covariate shift", in the words of Ioffe and
Szegedy). Batch normalisation standardises each feature over the batch, so
that it has mean 0 and variance 1 whatever the layers before did, and then
gives the layer back a scale $\gamma$ and a shift $\beta$ of its own to learn:

$$\begin{aligned}
\mu &= \frac1m\sum_i x_i,\\
\sigma^2 &= \frac1m\sum_i (x_i - \mu)^2,\\
\hat x_i &= \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}},\\
y_i &= \gamma\hat x_i + \beta,
\end{aligned}$$

per feature of an (N, F) input ($m = N$) or per channel of an (N, C, H, W)
input ($m = NHW$). $\sigma^2$ is the **biased** batch variance (divided by
$m$), as in the paper, PyTorch and ONNX. At inference there may be no batch;
the layer uses running averages of the statistics seen in training instead
(:func:`update_running_stats`, :func:`batchnorm_infer`).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import ArrayLike

from reference import _stable
from reference._validation import as_float_array, as_real, by_channel

__all__ = ["batchnorm_backward", "batchnorm_infer", "batchnorm_train", "update_running_stats"]


def _as_channels(func: str, x: ArrayLike) -> np.ndarray:
    values = as_float_array(x, func, "x")
    if values.ndim not in (2, 4):
        raise ValueError(
            f"{func}: x must be a 2-D array (N, F) or a 4-D array (N, C, H, W); got "
            f"a {values.ndim}-D array of shape {values.shape}"
        )
    return values


def _parameter(func: str, name: str, value: ArrayLike, channels: int) -> np.ndarray:
    array = as_float_array(value, func, name, ndim=1, layout="(C,)")
    if array.shape != (channels,):
        raise ValueError(
            f"{func}: {name} must have shape ({channels},), one entry per feature "
            f"(axis 1 of x); got shape {array.shape}"
        )
    return array


def _check(
    func: str, x: ArrayLike, gamma: ArrayLike, beta: ArrayLike, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    values = _as_channels(func, x)
    channels = values.shape[1]
    scale = _parameter(func, "gamma", gamma, channels)
    shift = _parameter(func, "beta", beta, channels)
    epsilon = as_real(eps, func, "eps", strictly_positive=True, finite=True)
    if channels == 0 or values.size // channels < 2:
        raise ValueError(
            f"{func}: training needs more than one value per feature to compute a "
            f"batch variance; got x of shape {values.shape} (use batchnorm_infer "
            f"with running statistics for a single example)"
        )
    return values, scale, shift, epsilon


def batchnorm_train(
    x: ArrayLike, gamma: ArrayLike, beta: ArrayLike, *, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Batch normalisation with the batch's own statistics: ``(y, batch_mean, batch_var)``.

    Parameters
    ----------
    x : array_like, shape (N, F) or (N, C, H, W)
    gamma, beta : array_like, shape (F,) or (C,)
        The learned scale and shift.
    eps : float, default 1e-5
        Added to the variance before the square root (PyTorch's default).

    Returns
    -------
    y : numpy.ndarray, shape of x
    batch_mean, batch_var : numpy.ndarray, shape (F,) or (C,)
        The statistics used: the mean and the **biased** variance (divided by
        the number $m$ of values per feature), for :func:`update_running_stats`.

    Raises
    ------
    ValueError
        If there is only one value per feature (a batch of one (N, F) example):
        its variance is 0 and carries no information.

    Examples
    --------
    >>> y, mean, var = batchnorm_train([[1.0, 10.0], [3.0, 10.0]], [1.0, 1.0], [0.0, 0.0])
    >>> y.round(4), mean, var
    (array([[-1.,  0.],
           [ 1.,  0.]]), array([ 2., 10.]), array([1., 0.]))
    """
    values, scale, shift, epsilon = _check("batchnorm_train", x, gamma, beta, eps)
    # an overflow here is caught below (the plain-Python run would also warn of it)
    with np.errstate(over="ignore", invalid="ignore"):
        y, mean, var = _train(by_channel(values), scale, shift, epsilon, rows=values.ndim == 2)
    suspect = ~np.isfinite(mean) | ~np.isfinite(var)
    # a channel with a non-finite statistic: overflowed, unless its input was not finite
    # (the pass over x that tells them apart runs only then: the common case pays nothing)
    overflowed = (
        suspect & np.all(np.isfinite(by_channel(values)), axis=(0, 2)) if suspect.any() else suspect
    )
    for channel in np.flatnonzero(overflowed):
        # a channel of finite values whose mean or variance overflowed: the same computation
        # on x / s with eps / s² (s a power of two, so exact), then the statistics scaled back
        part = by_channel(values)[:, channel : channel + 1]
        s = float(_stable.power_of_two_scale(part, (0, 1, 2)).ravel()[0])
        y_c, mean_c, var_c = _train(
            np.ascontiguousarray(part / s),
            scale[channel : channel + 1],
            shift[channel : channel + 1],
            # eps / s² may underflow to 0; the smallest positive float keeps a constant
            # channel's 0 / sqrt(eps) at 0 (and is negligible beside any other variance)
            max(epsilon / (s * s), float(np.finfo(np.float64).smallest_subnormal)),
            rows=values.ndim == 2,
        )
        y.reshape(by_channel(values).shape)[:, channel] = y_c[:, 0]
        with np.errstate(over="ignore"):  # a variance beyond the largest float is inf
            mean[channel], var[channel] = mean_c[0] * s, var_c[0] * s * s
    return y.reshape(values.shape), mean, var


def _train(
    planes: np.ndarray, scale: np.ndarray, shift: np.ndarray, eps: float, *, rows: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The training kernels on (N, C, S) planes: the (N, F) one where S = 1 came from rows."""
    if rows:
        y, mean, var = _batchnorm_train_rows_kernel(
            np.ascontiguousarray(planes[:, :, 0]), scale, shift, eps
        )
        return y[:, :, None], mean, var
    return _batchnorm_train_kernel(planes, scale, shift, eps)


def batchnorm_backward(
    dy: ArrayLike, x: ArrayLike, gamma: ArrayLike, beta: ArrayLike, *, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of :func:`batchnorm_train`'s ``y``: ``(dx, dgamma, dbeta)``.

    Through the batch statistics, every $x_i$ of a feature affects every $y_j$:

    $$\begin{aligned}
    d\beta &= \sum_i dy_i,\qquad d\gamma = \sum_i dy_i\,\hat x_i,\\
    dx_i &= \frac{\gamma}{m\sqrt{\sigma^2 + \epsilon}}
    \Big(m\,dy_i - d\beta - \hat x_i\, d\gamma\Big).
    \end{aligned}$$

    So $\sum_i dx_i = 0$ and $\sum_i dx_i\hat x_i = 0$ per feature
    (using $\sum_i\hat x_i = 0$, $\sum_i\hat x_i^2 = m\sigma^2/(\sigma^2+\epsilon)$):
    the gradient cannot move the batch's mean, nor, with $\epsilon \to 0$, its scale.
    """
    func = "batchnorm_backward"
    values, scale, _, epsilon = _check(func, x, gamma, beta, eps)
    upstream = as_float_array(dy, func, "dy")
    if upstream.shape != values.shape:
        raise ValueError(
            f"{func}: dy must have the shape of x, {values.shape}; got shape {upstream.shape}"
        )
    if values.ndim == 2:
        return _batchnorm_backward_rows_kernel(upstream, values, scale, epsilon)
    dx, dgamma, dbeta = _batchnorm_backward_kernel(
        by_channel(upstream), by_channel(values), scale, epsilon
    )
    return dx.reshape(values.shape), dgamma, dbeta


def batchnorm_infer(
    x: ArrayLike,
    gamma: ArrayLike,
    beta: ArrayLike,
    running_mean: ArrayLike,
    running_var: ArrayLike,
    *,
    eps: float = 1e-5,
) -> np.ndarray:
    r"""Batch normalisation at inference, with running statistics in place of the batch's.

    $y = \gamma(x - \bar\mu)/\sqrt{\bar\sigma^2 + \epsilon} + \beta$. Each example is
    normalised alone (a batch of one is fine), and the layer is an affine map per feature.
    """
    func = "batchnorm_infer"
    values = _as_channels(func, x)
    channels = values.shape[1]
    scale = _parameter(func, "gamma", gamma, channels)
    shift = _parameter(func, "beta", beta, channels)
    mean = _parameter(func, "running_mean", running_mean, channels)
    var = _parameter(func, "running_var", running_var, channels)
    epsilon = as_real(eps, func, "eps", strictly_positive=True, finite=True)
    if np.any(var < 0.0):
        raise ValueError(f"{func}: running_var must not be negative; got {var}")
    return _batchnorm_infer_kernel(by_channel(values), scale, shift, mean, var, epsilon).reshape(
        values.shape
    )


def update_running_stats(
    running_mean: ArrayLike,
    running_var: ArrayLike,
    batch_mean: ArrayLike,
    batch_var: ArrayLike,
    n: int,
    *,
    momentum: float,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Exponential moving averages of the batch statistics: ``(new_mean, new_var)``.

    The convention here: ``momentum`` $\rho$ is the weight of the **old** value,

    $$\begin{aligned}
    \bar\mu &\leftarrow \rho\,\bar\mu + (1 - \rho)\,\mu_B,\\
    \bar\sigma^2 &\leftarrow \rho\,\bar\sigma^2 + (1 - \rho)\,\frac{n}{n - 1}\sigma_B^2,
    \end{aligned}$$

    keeping the **unbiased** variance ($n$ values per feature, $n \ge 2$), the
    estimate of the population's.

    * **ONNX** ``BatchNormalization`` uses the same convention (its default
      momentum 0.9 is ours as it is) but keeps the biased variance: to match it,
      pass ``batch_var * (n - 1) / n``.
    * **PyTorch** weighs the *new* value, as
      ``running = (1 - momentum) * running + momentum * batch``, with default
      momentum 0.1, which is ours 0.9; it keeps the unbiased variance, as here.

    Inputs are not modified; new arrays are returned.
    """
    func = "update_running_stats"
    mean = as_float_array(running_mean, func, "running_mean", ndim=1, layout="(C,)")
    channels = mean.shape[0]
    var = _parameter(func, "running_var", running_var, channels)
    new_mean = _parameter(func, "batch_mean", batch_mean, channels)
    new_var = _parameter(func, "batch_var", batch_var, channels)
    for name, values in (("running_var", var), ("batch_var", new_var)):
        negative = np.flatnonzero(~(values >= 0.0))
        if negative.size:
            raise ValueError(
                f"{func}: {name} must be a variance, >= 0; got "
                f"{float(values[negative[0]])!r} at index {int(negative[0])}"
            )
    # the annotation promises an int; a caller may still pass a bool or a float
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:  # type: ignore[redundant-expr]
        raise ValueError(
            f"{func}: n must be an integer of at least 2 (values per feature, for "
            f"the unbiased variance); got {n!r}"
        )
    weight = as_real(momentum, func, "momentum", minimum=0.0, finite=True)
    if weight > 1.0:
        raise ValueError(
            f"{func}: momentum must be in [0, 1] (the weight of the old value); got {weight!r}"
        )
    unbiased = new_var * (n / (n - 1))
    return weight * mean + (1.0 - weight) * new_mean, weight * var + (1.0 - weight) * unbiased


@numba.njit(cache=True)
def _channel_statistics(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and biased variance of each channel of an (N, C, S) array, in two passes."""
    batch, channels, spatial = x.shape
    count = batch * spatial
    mean = np.zeros(channels)
    var = np.zeros(channels)
    for n in range(batch):
        for c in range(channels):
            for s in range(spatial):
                # Σ x
                mean[c] += x[n, c, s]
    # μ = Σ x / m
    mean /= count
    for n in range(batch):
        for c in range(channels):
            for s in range(spatial):
                # Σ (x − μ)²  (the second pass: no cancellation)
                centred = x[n, c, s] - mean[c]
                var[c] += centred * centred
    # σ² = Σ (x − μ)² / m  (biased)
    var /= count
    return mean, var


@numba.njit(cache=True)
def _batchnorm_train_kernel(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    batch, channels, spatial = x.shape
    mean, var = _channel_statistics(x)
    # γ / √(σ² + ε)
    scale = gamma / np.sqrt(var + eps)
    y = np.empty_like(x)
    for n in range(batch):
        for c in range(channels):
            for s in range(spatial):
                # y = γ (x − μ) / √(σ² + ε) + β
                y[n, c, s] = (x[n, c, s] - mean[c]) * scale[c] + beta[c]
    return y, mean, var


@numba.njit(cache=True)
def _batchnorm_backward_kernel(
    dy: np.ndarray, x: np.ndarray, gamma: np.ndarray, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    batch, channels, spatial = x.shape
    count = batch * spatial
    mean, var = _channel_statistics(x)
    # 1 / √(σ² + ε)
    inv_std = 1.0 / np.sqrt(var + eps)
    dbeta = np.zeros(channels)
    dgamma = np.zeros(channels)
    for n in range(batch):
        for c in range(channels):
            for s in range(spatial):
                # dβ = Σ dy
                dbeta[c] += dy[n, c, s]
                # dγ = Σ dy x̂,  x̂ = (x − μ) / √(σ² + ε)
                dgamma[c] += dy[n, c, s] * (x[n, c, s] - mean[c]) * inv_std[c]
    dx = np.empty_like(x)
    for n in range(batch):
        for c in range(channels):
            for s in range(spatial):
                normalised = (x[n, c, s] - mean[c]) * inv_std[c]
                # dx = γ / (m √(σ² + ε)) · (m dy − dβ − x̂ dγ)
                dx[n, c, s] = (gamma[c] * inv_std[c] / count) * (
                    count * dy[n, c, s] - dbeta[c] - normalised * dgamma[c]
                )
    return dx, dgamma, dbeta


# The same formulas for (N, F) input, with the features innermost: the loops run along
# memory, and the compiler vectorises them.


@numba.njit(cache=True)
def _row_statistics(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and biased variance of each column of an (N, F) array, in two passes."""
    count, features = x.shape
    mean = np.zeros(features)
    for n in range(count):
        for f in range(features):
            # Σ x
            mean[f] += x[n, f]
    # μ = Σ x / m
    mean /= count
    var = np.zeros(features)
    for n in range(count):
        for f in range(features):
            # Σ (x − μ)²
            centred = x[n, f] - mean[f]
            var[f] += centred * centred
    # σ² = Σ (x − μ)² / m
    var /= count
    return mean, var


@numba.njit(cache=True)
def _batchnorm_train_rows_kernel(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    count, features = x.shape
    mean, var = _row_statistics(x)
    # γ / √(σ² + ε)
    scale = gamma / np.sqrt(var + eps)
    y = np.empty_like(x)
    for n in range(count):
        for f in range(features):
            # y = γ (x − μ) / √(σ² + ε) + β
            y[n, f] = (x[n, f] - mean[f]) * scale[f] + beta[f]
    return y, mean, var


@numba.njit(cache=True)
def _batchnorm_backward_rows_kernel(
    dy: np.ndarray, x: np.ndarray, gamma: np.ndarray, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    count, features = x.shape
    mean, var = _row_statistics(x)
    # 1 / √(σ² + ε)
    inv_std = 1.0 / np.sqrt(var + eps)
    dbeta = np.zeros(features)
    dgamma = np.zeros(features)
    for n in range(count):
        for f in range(features):
            # dβ = Σ dy,  dγ = Σ dy x̂
            dbeta[f] += dy[n, f]
            dgamma[f] += dy[n, f] * (x[n, f] - mean[f]) * inv_std[f]
    dx = np.empty_like(x)
    for n in range(count):
        for f in range(features):
            normalised = (x[n, f] - mean[f]) * inv_std[f]
            # dx = γ / (m √(σ² + ε)) · (m dy − dβ − x̂ dγ)
            dx[n, f] = (gamma[f] * inv_std[f] / count) * (
                count * dy[n, f] - dbeta[f] - normalised * dgamma[f]
            )
    return dx, dgamma, dbeta


@numba.njit(cache=True)
def _batchnorm_infer_kernel(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    eps: float,
) -> np.ndarray:
    batch, channels, spatial = x.shape
    scale = np.empty(channels)
    for c in range(channels):
        # γ / √(σ̄² + ε)
        scale[c] = gamma[c] / np.sqrt(var[c] + eps)
    y = np.empty_like(x)
    for n in range(batch):
        for c in range(channels):
            for s in range(spatial):
                # y = γ (x − μ̄) / √(σ̄² + ε) + β
                y[n, c, s] = (x[n, c, s] - mean[c]) * scale[c] + beta[c]
    return y
