r"""Activation functions: the nonlinearity each unit applies to its weighted sum.

A unit computes $z = w\cdot x + b$ and passes it through an activation
$a = f(z)$. The first neurons used the **step** $f(z) = [z > 0]$; gradient
descent needs a derivative, so the step was smoothed into the **sigmoid**
and **tanh**, and later straightened into the **ReLU** family. **Softmax**
turns a vector of scores into probabilities.

Every function accepts an array of any rank (softmax and log-softmax along
any axis) and returns a new float64 array of the same shape. Each
differentiable one has ``<name>_backward(dy, x, ...)``: given the gradient
``dy`` of some loss with respect to the output, it returns the gradient with
respect to ``x`` (vector-Jacobian product), taking the same attributes.

All of them are exact or correctly scaled for $|x|$ up to $10^4$ and beyond:
no overflow, no NaN, and no infinity where the true value is finite. Where a
textbook formula would overflow ($1/(1 + e^{-x})$ at $x = -1000$) the kernel
uses an equal formula that cannot. NaN in gives NaN out.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import ArrayLike

from reference._validation import (
    as_axis,
    as_float_array,
    as_real,
    by_channel,
    require_finite,
    require_same_shape,
)

__all__ = [
    "leaky_relu",
    "leaky_relu_backward",
    "log_softmax",
    "log_softmax_backward",
    "prelu",
    "prelu_backward",
    "relu",
    "relu_backward",
    "sigmoid",
    "sigmoid_backward",
    "softmax",
    "softmax_backward",
    "step",
    "step_backward",
    "tanh",
    "tanh_backward",
]


def step(x: ArrayLike) -> np.ndarray:
    r"""The Heaviside step, $H(x) = 1$ if $x > 0$ and $0$ otherwise.

    The activation of the threshold unit (the perceptron): the unit fires when
    its weighted sum is strictly above zero, so $H(0) = 0$.

    Parameters
    ----------
    x : array_like, any shape
        Real floating-point input.

    Returns
    -------
    numpy.ndarray, shape of x
        Zeros and ones (NaN where ``x`` is NaN).

    Examples
    --------
    >>> step([-1.0, 0.0, 0.3])
    array([0., 0., 1.])
    """
    values = _input("step", x)
    return _step_kernel(values.reshape(-1)).reshape(values.shape)


def step_backward(dy: ArrayLike, x: ArrayLike) -> np.ndarray:
    r"""The derivative of :func:`step`: zero wherever it exists.

    $H'(x) = 0$ for every $x \neq 0$; at $0$ the step jumps and has no
    derivative (we return 0 there as well). A gradient that is zero almost
    everywhere carries no information about which way to move the weights,
    which is why the perceptron is trained by its own rule and not by
    gradient descent.

    Returns
    -------
    numpy.ndarray, shape of x
        Zeros (NaN where ``dy`` or ``x`` is NaN).
    """
    upstream, values = _input_and_gradient("step_backward", dy, x)
    return np.where(np.isnan(upstream) | np.isnan(values), np.nan, 0.0)


def sigmoid(x: ArrayLike) -> np.ndarray:
    r"""The logistic sigmoid, $\sigma(x) = 1 / (1 + e^{-x})$.

    A smooth step from 0 to 1 with $\sigma(0) = \tfrac12$ and
    $\sigma(-x) = 1 - \sigma(x)$. For $x < 0$ the kernel computes the equal
    $e^{x} / (1 + e^{x})$, so $e^{-x}$ never overflows: $\sigma(-1000)$ is
    $0$ without a warning, and $\sigma(-700) \approx 10^{-304}$ keeps its
    relative accuracy.

    Parameters
    ----------
    x : array_like, any shape
        Real floating-point input.

    Returns
    -------
    numpy.ndarray, shape of x
        Values in $[0, 1]$.

    Examples
    --------
    >>> sigmoid([-1000.0, 0.0, 2.0])
    array([0.        , 0.5       , 0.88079708])
    """
    values = _input("sigmoid", x)
    return _sigmoid_kernel(values.reshape(-1)).reshape(values.shape)


def sigmoid_backward(dy: ArrayLike, x: ArrayLike) -> np.ndarray:
    r"""Gradient of :func:`sigmoid`: $dx = dy\cdot\sigma(x)\,\sigma(-x)$.

    $\sigma'(x) = \sigma(x)(1 - \sigma(x)) = \sigma(x)\sigma(-x)$, written with
    $e = e^{-|x|}$ as $e / (1 + e)^2$, which neither overflows nor loses its
    relative accuracy in the tails. Its largest value is $\tfrac14$, at 0: a
    gradient passing back through $L$ sigmoid layers is scaled by at most
    $4^{-L}$, the vanishing gradient of deep sigmoid networks.

    Returns
    -------
    numpy.ndarray, shape of x
    """
    upstream, values = _input_and_gradient("sigmoid_backward", dy, x)
    return _sigmoid_backward_kernel(upstream.reshape(-1), values.reshape(-1)).reshape(values.shape)


def tanh(x: ArrayLike) -> np.ndarray:
    r"""The hyperbolic tangent, $\tanh(x) = (e^{x} - e^{-x}) / (e^{x} + e^{-x})$.

    A sigmoid stretched to $(-1, 1)$ and centred on 0:
    $\tanh(x) = 2\sigma(2x) - 1$. Computed by the C library's ``tanh``, which
    is accurate to within an ulp or so and saturates to $\pm 1$ without overflow.

    Examples
    --------
    >>> tanh([-1e4, 0.0, 0.5])
    array([-1.        ,  0.        ,  0.46211716])
    """
    values = _input("tanh", x)
    return _tanh_kernel(values.reshape(-1)).reshape(values.shape)


def tanh_backward(dy: ArrayLike, x: ArrayLike) -> np.ndarray:
    r"""Gradient of :func:`tanh`: $dx = dy\,(1 - \tanh^2 x)$.

    $1 - \tanh^2 x = \operatorname{sech}^2 x$ is computed as $4e / (1 + e)^2$
    with $e = e^{-2|x|}$: the textbook $1 - \tanh^2$ cancels to 0 for
    $|x| > 19$ where the true value is still $10^{-16}$ or more.
    """
    upstream, values = _input_and_gradient("tanh_backward", dy, x)
    return _tanh_backward_kernel(upstream.reshape(-1), values.reshape(-1)).reshape(values.shape)


def relu(x: ArrayLike) -> np.ndarray:
    r"""The rectified linear unit, $\mathrm{relu}(x) = \max(x, 0)$.

    It does not saturate for $x > 0$ (slope 1), which is why deep ReLU
    networks train where deep sigmoid networks do not. NaN stays NaN.

    Examples
    --------
    >>> relu([-2.0, 0.0, 3.0])
    array([0., 0., 3.])
    """
    values = _input("relu", x)
    return _leaky_relu_kernel(values.reshape(-1), 0.0).reshape(values.shape)


def relu_backward(dy: ArrayLike, x: ArrayLike) -> np.ndarray:
    r"""Gradient of :func:`relu`: $dx = dy$ where $x > 0$, else 0.

    At the kink $x = 0$ the derivative does not exist; like PyTorch we use
    the left slope, 0 (any value in $[0, 1]$ is a subgradient).
    """
    upstream, values = _input_and_gradient("relu_backward", dy, x)
    return _leaky_relu_backward_kernel(upstream.reshape(-1), values.reshape(-1), 0.0).reshape(
        values.shape
    )


def leaky_relu(x: ArrayLike, *, alpha: float = 0.01) -> np.ndarray:
    r"""The leaky ReLU, $x$ for $x > 0$ and $\alpha x$ otherwise.

    The small slope $\alpha$ keeps a gradient flowing through units whose
    input is negative. $\alpha = 0$ is :func:`relu`; $\alpha = 1$ is the identity.

    Parameters
    ----------
    x : array_like, any shape
    alpha : float, default 0.01
        The slope for $x \le 0$ (any finite real).

    Examples
    --------
    >>> leaky_relu([-2.0, 3.0], alpha=0.1)
    array([-0.2,  3. ])
    """
    values = _input("leaky_relu", x)
    slope = as_real(alpha, "leaky_relu", "alpha", finite=True)
    return _leaky_relu_kernel(values.reshape(-1), slope).reshape(values.shape)


def leaky_relu_backward(dy: ArrayLike, x: ArrayLike, *, alpha: float = 0.01) -> np.ndarray:
    r"""Gradient of :func:`leaky_relu`: $dx = dy$ where $x > 0$, else $\alpha\,dy$ (also at 0)."""
    upstream, values = _input_and_gradient("leaky_relu_backward", dy, x)
    slope = as_real(alpha, "leaky_relu_backward", "alpha", finite=True)
    return _leaky_relu_backward_kernel(upstream.reshape(-1), values.reshape(-1), slope).reshape(
        values.shape
    )


def prelu(x: ArrayLike, alpha: ArrayLike) -> np.ndarray:
    r"""The parametric ReLU: a leaky ReLU whose slope $\alpha_c$ is learned per channel.

    $y = x$ for $x > 0$ and $\alpha_c x$ otherwise, where $c$ is the channel:
    axis 1 of an (N, C, ...) input, as in PyTorch. An input with fewer than
    two axes has one channel.

    Parameters
    ----------
    x : array_like, any shape
    alpha : array_like, shape (C,) or (1,)
        One slope per channel, or one slope shared by all.

    Examples
    --------
    >>> prelu([[-1.0, -1.0], [2.0, -3.0]], [0.1, 0.5])
    array([[-0.1, -0.5],
           [ 2. , -1.5]])
    """
    values, slopes = _prelu_input("prelu", x, alpha)
    return _prelu_kernel(by_channel(values), _per_channel(slopes, values)).reshape(values.shape)


def prelu_backward(dy: ArrayLike, x: ArrayLike, alpha: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    r"""Gradients of :func:`prelu`: ``(dx, dalpha)``.

    $dx = dy$ where $x > 0$, else $\alpha_c\,dy$; and
    $d\alpha_c = \sum dy\cdot x$ over the entries of channel $c$ with $x \le 0$
    (summed over all channels when ``alpha`` has shape (1,)).
    """
    values, slopes = _prelu_input("prelu_backward", x, alpha)
    upstream = as_float_array(dy, "prelu_backward", "dy")
    require_same_shape("prelu_backward", "dy", upstream, "x", values)
    dx, dalpha = _prelu_backward_kernel(
        by_channel(upstream), by_channel(values), _per_channel(slopes, values)
    )
    if slopes.size == 1:
        dalpha = np.array([dalpha.sum()])
    return dx.reshape(values.shape), dalpha


def softmax(x: ArrayLike, *, axis: int = -1) -> np.ndarray:
    r"""Softmax along ``axis``: $s_k = e^{x_k} / \sum_j e^{x_j}$.

    Turns scores into probabilities: positive, summing to one along ``axis``,
    and unchanged by adding a constant to every score, which is how it is
    computed: $e^{x_k - m} / \sum_j e^{x_j - m}$ with $m = \max_j x_j$, so
    no exponential exceeds 1 and the sum is at least 1.

    Parameters
    ----------
    x : array_like, at least 1-D
    axis : int, default -1
        The axis that sums to one.

    Examples
    --------
    >>> softmax([1000.0, 1000.0, -1000.0])
    array([0.5, 0.5, 0. ])
    """
    values, position = _softmax_input("softmax", x, axis)
    rows = _softmax_kernel(_rows(values, position))
    return _unrows(rows, values.shape, position)


def softmax_backward(dy: ArrayLike, x: ArrayLike, *, axis: int = -1) -> np.ndarray:
    r"""Gradient of :func:`softmax`: $dx_k = s_k\,(dy_k - \sum_j dy_j s_j)$.

    The Jacobian is $\partial s_k / \partial x_j = s_k(\delta_{kj} - s_j)$;
    its product with ``dy`` needs no matrix.
    """
    upstream, values = _input_and_gradient("softmax_backward", dy, x)
    _, position = _softmax_input("softmax_backward", values, axis)
    rows = _softmax_backward_kernel(_rows(upstream, position), _rows(values, position))
    return _unrows(rows, values.shape, position)


def log_softmax(x: ArrayLike, *, axis: int = -1) -> np.ndarray:
    r"""Log of :func:`softmax` along ``axis``: $x_k - m - \log\sum_j e^{x_j - m}$, $m = \max_j x_j$.

    Finite wherever ``x`` is, even where softmax underflows to 0
    (``log(softmax(x))`` would be $-\infty$ there): the form that losses use.
    The sum is $1 + \sum_{j \ne j^*} e^{x_j - m}$ ($j^*$ the first largest), and
    its log is taken by ``log1p`` of the second part, so the largest entry keeps
    its relative accuracy when the others are far below it
    ($\log(1 + 10^{-9})$ would otherwise keep only seven digits).

    Examples
    --------
    >>> log_softmax([0.0, 1000.0])
    array([-1000.,     0.])
    """
    values, position = _softmax_input("log_softmax", x, axis)
    rows = _log_softmax_kernel(_rows(values, position))
    return _unrows(rows, values.shape, position)


def log_softmax_backward(dy: ArrayLike, x: ArrayLike, *, axis: int = -1) -> np.ndarray:
    r"""Gradient of :func:`log_softmax`: $dx_k = dy_k - s_k \sum_j dy_j$."""
    upstream, values = _input_and_gradient("log_softmax_backward", dy, x)
    _, position = _softmax_input("log_softmax_backward", values, axis)
    rows = _log_softmax_backward_kernel(_rows(upstream, position), _rows(values, position))
    return _unrows(rows, values.shape, position)


def _input(func: str, x: ArrayLike) -> np.ndarray:
    return as_float_array(x, func, "x")


def _input_and_gradient(func: str, dy: ArrayLike, x: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    values = as_float_array(x, func, "x")
    upstream = as_float_array(dy, func, "dy")
    require_same_shape(func, "dy", upstream, "x", values)
    return upstream, values


def _rows(values: np.ndarray, axis: int) -> np.ndarray:
    """``values`` with ``axis`` moved last, as a C-contiguous (rows, length) matrix."""
    moved = np.moveaxis(values, axis, -1)
    return np.ascontiguousarray(moved).reshape(-1, moved.shape[-1])


def _unrows(rows: np.ndarray, shape: tuple[int, ...], axis: int) -> np.ndarray:
    """Undo :func:`_rows` for an array of the original ``shape``."""
    moved_shape = (*shape[:axis], *shape[axis + 1 :], shape[axis])
    return np.ascontiguousarray(np.moveaxis(rows.reshape(moved_shape), -1, axis))


def _softmax_input(func: str, x: ArrayLike, axis: int) -> tuple[np.ndarray, int]:
    values = _input(func, x)
    if values.ndim == 0:
        raise ValueError(f"{func}: x must have at least one axis; got a 0-D array")
    position = as_axis(axis, values.ndim, func)
    if values.shape[position] == 0:
        raise ValueError(f"{func}: axis {axis} of x must not be empty; got shape {values.shape}")
    return values, position


def _prelu_input(func: str, x: ArrayLike, alpha: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    values = _input(func, x)
    slopes = as_float_array(alpha, func, "alpha", ndim=1, layout="(C,) or (1,)")
    require_finite(slopes, func, "alpha")
    channels = values.shape[1] if values.ndim >= 2 else 1
    if slopes.shape not in ((channels,), (1,)):
        raise ValueError(
            f"{func}: alpha must have shape ({channels},) (one slope per channel, axis 1 of x) "
            f"or (1,); got shape {slopes.shape} for x of shape {values.shape}"
        )
    return values, slopes


def _per_channel(slopes: np.ndarray, values: np.ndarray) -> np.ndarray:
    channels = values.shape[1] if values.ndim >= 2 else 1
    # a copy: the view np.broadcast_to returns is read-only, a type of its own to Numba
    return np.broadcast_to(slopes, (channels,)).copy()


# ---------------------------------------------------------------------------------------------
# Kernels


@numba.njit(cache=True)
def _step_kernel(x: np.ndarray) -> np.ndarray:
    y = np.empty_like(x)
    for i in range(x.size):
        if x[i] > 0.0:
            # H(x) = 1 above the threshold
            y[i] = 1.0
        elif x[i] <= 0.0:
            # H(x) = 0 at or below it
            y[i] = 0.0
        else:
            # NaN is neither: it passes through
            y[i] = x[i]
    return y


@numba.njit(cache=True)
def _sigmoid_kernel(x: np.ndarray) -> np.ndarray:
    y = np.empty_like(x)
    for i in range(x.size):
        if x[i] >= 0.0:
            # σ(x) = 1 / (1 + e^{−x}), with e^{−x} ≤ 1
            y[i] = 1.0 / (1.0 + np.exp(-x[i]))
        else:
            # σ(x) = e^{x} / (1 + e^{x}), with e^{x} < 1 (NaN goes this way and stays NaN)
            exp_x = np.exp(x[i])
            y[i] = exp_x / (1.0 + exp_x)
    return y


@numba.njit(cache=True)
def _sigmoid_backward_kernel(dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    dx = np.empty_like(x)
    for i in range(x.size):
        # e = e^{−|x|} ≤ 1
        decay = np.exp(-abs(x[i]))
        # σ'(x) = σ(x) σ(−x) = e / (1 + e)²
        slope = decay / ((1.0 + decay) * (1.0 + decay))
        # dx = dy · σ'(x)
        dx[i] = dy[i] * slope
    return dx


@numba.njit(cache=True)
def _tanh_kernel(x: np.ndarray) -> np.ndarray:
    y = np.empty_like(x)
    for i in range(x.size):
        # tanh(x) from the C library
        y[i] = np.tanh(x[i])
    return y


@numba.njit(cache=True)
def _tanh_backward_kernel(dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    dx = np.empty_like(x)
    for i in range(x.size):
        # e = e^{−2|x|} ≤ 1
        decay = np.exp(-2.0 * abs(x[i]))
        # tanh'(x) = sech²(x) = 4e / (1 + e)²
        slope = 4.0 * decay / ((1.0 + decay) * (1.0 + decay))
        # dx = dy · tanh'(x)
        dx[i] = dy[i] * slope
    return dx


@numba.njit(cache=True)
def _leaky_relu_kernel(x: np.ndarray, alpha: float) -> np.ndarray:
    y = np.empty_like(x)
    for i in range(x.size):
        if x[i] > 0.0 or x[i] != x[i]:
            # y = x on the positive side (and NaN passes through)
            y[i] = x[i]
        elif alpha == 0.0:
            # y = 0 for the ReLU, even at −∞ (where α x would be 0 · ∞)
            y[i] = 0.0
        else:
            # y = α x on the other side
            y[i] = alpha * x[i]
    return y


@numba.njit(cache=True)
def _leaky_relu_backward_kernel(dy: np.ndarray, x: np.ndarray, alpha: float) -> np.ndarray:
    dx = np.empty_like(x)
    for i in range(x.size):
        # dx = dy · (1 if x > 0 else α)
        dx[i] = dy[i] if x[i] > 0.0 else alpha * dy[i]
    return dx


@numba.njit(cache=True)
def _prelu_kernel(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    batch, channels, spatial = x.shape
    y = np.empty_like(x)
    for n in range(batch):
        for c in range(channels):
            for s in range(spatial):
                value = x[n, c, s]
                # y = x if x > 0 else α_c x
                y[n, c, s] = value if value > 0.0 else alpha[c] * value
    return y


@numba.njit(cache=True)
def _prelu_backward_kernel(
    dy: np.ndarray, x: np.ndarray, alpha: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    batch, channels, spatial = x.shape
    dx = np.empty_like(x)
    dalpha = np.zeros(channels)
    for n in range(batch):
        for c in range(channels):
            for s in range(spatial):
                if x[n, c, s] > 0.0:
                    # ∂y/∂x = 1
                    dx[n, c, s] = dy[n, c, s]
                else:
                    # ∂y/∂x = α_c
                    dx[n, c, s] = alpha[c] * dy[n, c, s]
                    # ∂y/∂α_c = x, summed over the channel
                    dalpha[c] += dy[n, c, s] * x[n, c, s]
    return dx, dalpha


@numba.njit(cache=True)
def _softmax_kernel(x: np.ndarray) -> np.ndarray:
    count, length = x.shape
    s = np.empty_like(x)
    for row in range(count):
        # m = max_j x_j
        largest = x[row, 0]
        for k in range(1, length):
            largest = max(largest, x[row, k])
        total = 0.0
        for k in range(length):
            # e_k = e^{x_k − m} ≤ 1
            s[row, k] = np.exp(x[row, k] - largest)
            # Z = Σ_j e_j ≥ 1
            total += s[row, k]
        for k in range(length):
            # s_k = e_k / Z
            s[row, k] /= total
    return s


@numba.njit(cache=True)
def _log_softmax_kernel(x: np.ndarray) -> np.ndarray:
    count, length = x.shape
    y = np.empty_like(x)
    for row in range(count):
        # m = x_top = max_j x_j
        top = 0
        for k in range(1, length):
            if x[row, k] > x[row, top]:
                top = k
        largest = x[row, top]
        rest = 0.0
        for k in range(length):
            if k != top:
                # Z − 1 = Σ_{j ≠ top} e^{x_j − m}
                rest += np.exp(x[row, k] - largest)
        # log Z = log1p(Z − 1): accurate even when Z − 1 is tiny
        log_total = np.log1p(rest)
        for k in range(length):
            # y_k = (x_k − m) − log Z
            y[row, k] = (x[row, k] - largest) - log_total
    return y


@numba.njit(cache=True)
def _softmax_backward_kernel(dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    s = _softmax_kernel(x)
    count, length = x.shape
    dx = np.empty_like(x)
    for row in range(count):
        inner = 0.0
        for k in range(length):
            # ⟨dy, s⟩
            inner += dy[row, k] * s[row, k]
        for k in range(length):
            # dx_k = s_k (dy_k − ⟨dy, s⟩)
            dx[row, k] = s[row, k] * (dy[row, k] - inner)
    return dx


@numba.njit(cache=True)
def _log_softmax_backward_kernel(dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    s = _softmax_kernel(x)
    count, length = x.shape
    dx = np.empty_like(x)
    for row in range(count):
        total = 0.0
        for k in range(length):
            # Σ_j dy_j
            total += dy[row, k]
        for k in range(length):
            # dx_k = dy_k − s_k Σ_j dy_j
            dx[row, k] = dy[row, k] - s[row, k] * total
    return dx
