r"""The dense (fully connected) layer: every output unit weighs every input.

A layer of $F_{out}$ units, each with $F_{in}$ weights and a bias, applied to
a batch of $N$ inputs at once is one matrix product:

$$\begin{aligned}
y &= x W + b,\\
x &\in \mathbb R^{N\times F_{in}},\ W \in \mathbb R^{F_{in}\times F_{out}},\
b \in \mathbb R^{F_{out}}.
\end{aligned}$$

Column $j$ of $W$ holds the weights of unit $j$. (PyTorch's ``nn.Linear``
stores the transpose, ``weight`` of shape (fan_out, fan_in), and computes
$x W^\top + b$.) Its backward, by the chain rule on each entry
$y_{nj} = \sum_i x_{ni} W_{ij} + b_j$:

$$\begin{aligned}
\frac{\partial L}{\partial x} &= \frac{\partial L}{\partial y} W^\top,\\
\frac{\partial L}{\partial W} &= x^\top \frac{\partial L}{\partial y},\\
\frac{\partial L}{\partial b} &= \sum_n \frac{\partial L}{\partial y_{n\cdot}}.
\end{aligned}$$

The products run in BLAS, through Numba's ``np.dot``: this is where a network
spends its time, and a reference that is slow here is not used.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import ArrayLike

from reference._validation import as_float_array, require_output_shape

__all__ = ["dense", "dense_backward"]


def dense(x: ArrayLike, W: ArrayLike, b: ArrayLike) -> np.ndarray:
    r"""The dense layer, $y = x W + b$.

    Parameters
    ----------
    x : array_like, shape (N, fan_in)
        One input per row.
    W : array_like, shape (fan_in, fan_out)
        Column $j$ holds the weights of output unit $j$.
    b : array_like, shape (fan_out,)
        One bias per output unit.

    Returns
    -------
    numpy.ndarray, shape (N, fan_out)

    Raises
    ------
    TypeError
        If an argument is not real floating-point data.
    ValueError
        If a rank is wrong or the shapes do not chain.

    Examples
    --------
    >>> dense([[1.0, 2.0]], [[1.0, 0.0, -1.0], [0.5, 1.0, 2.0]], [0.0, 0.0, 1.0])
    array([[2., 2., 4.]])
    """
    inputs, weights, bias = _check("dense", x, W, b)
    return _dense_kernel(inputs, weights, bias)


def dense_backward(
    dy: ArrayLike, x: ArrayLike, W: ArrayLike, b: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of :func:`dense`: ``(dx, dW, db)``.

    $dx = dy\,W^\top$ (shape of ``x``), $dW = x^\top dy$ (shape of ``W``),
    $db = \sum_n dy_n$ (shape of ``b``).

    Parameters
    ----------
    dy : array_like, shape (N, fan_out)
        The gradient of the loss with respect to the layer's output.
    x, W, b : array_like
        The arguments of the forward call.
    """
    inputs, weights, _bias = _check("dense_backward", x, W, b)
    upstream = require_output_shape(
        dy, "dense_backward", (inputs.shape[0], weights.shape[1]), "(N, fan_out)"
    )
    return _dense_backward_kernel(upstream, inputs, weights)


def _check(
    func: str, x: ArrayLike, W: ArrayLike, b: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    inputs = as_float_array(x, func, "x", ndim=2, layout="(N, fan_in)")
    weights = as_float_array(W, func, "W", ndim=2, layout="(fan_in, fan_out)")
    bias = as_float_array(b, func, "b", ndim=1, layout="(fan_out,)")
    if weights.shape[0] != inputs.shape[1]:
        raise ValueError(
            f"{func}: W must have {inputs.shape[1]} rows, one per column (input "
            f"feature) of x of shape {inputs.shape}; got W of shape {weights.shape}"
        )
    if bias.shape[0] != weights.shape[1]:
        raise ValueError(
            f"{func}: b must have shape ({weights.shape[1]},), one bias per column "
            f"(output unit) of W; got shape {bias.shape}"
        )
    return inputs, weights, bias


@numba.njit(cache=True)
def _dense_kernel(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    # y = x W  (BLAS)
    y = np.dot(x, W)
    count, fan_out = y.shape
    for n in range(count):
        for j in range(fan_out):
            # y_nj += b_j
            y[n, j] += b[j]
    return y


@numba.njit(cache=True)
def _dense_backward_kernel(
    dy: np.ndarray, x: np.ndarray, W: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # dx = dy Wᵀ
    dx = np.dot(dy, W.T)
    # dW = xᵀ dy
    dW = np.dot(x.T, dy)
    count, fan_out = dy.shape
    db = np.zeros(fan_out)
    for n in range(count):
        for j in range(fan_out):
            # db_j = Σ_n dy_nj
            db[j] += dy[n, j]
    return dx, dW, db
