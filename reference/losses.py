r"""Loss functions: how far a prediction is from its target, as one number.

A loss turns a batch of predictions $\hat y$ and targets $y$ into the scalar that
training makes small. Each loss comes with its backward, the gradient with
respect to the prediction; targets are data and get no gradient. The page
`losses` of the documentation tells the story; `regression` shows where the
squared loss comes from.

Every loss here is a **mean**: over the batch, and over every element for the
element-wise losses. The docstring of each says so again, because libraries
differ (a sum, or a mean over the batch only) and a factor of $N$ is the most
common disagreement between two implementations.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import ArrayLike

from reference._validation import as_float_array, as_real

__all__ = ["squared_loss", "squared_loss_backward"]


def squared_loss(y_hat: ArrayLike, y: ArrayLike) -> float:
    r"""Half the mean squared error, $L = \frac{1}{2N}\sum_n (\hat y_n - y_n)^2$.

    Parameters
    ----------
    y_hat : array_like, any shape
        Predictions.
    y : array_like, same shape as ``y_hat``
        Targets.

    Returns
    -------
    float
        The loss. The mean runs over **every element** ($N$ is ``y_hat.size``),
        and the factor $\tfrac12$ makes the gradient the plain residual.

    Raises
    ------
    TypeError
        If either argument is not real floating-point data.
    ValueError
        If the shapes differ or the arrays are empty.

    Notes
    -----
    If each target is the prediction plus Gaussian noise of a fixed variance
    $\sigma^2$, the negative log-likelihood of the data is
    $\frac{N}{2}\log(2\pi\sigma^2) + \frac{1}{2\sigma^2}\sum_n(\hat y_n - y_n)^2$,
    so minimising this loss is maximum likelihood.

    Examples
    --------
    >>> squared_loss([1.0, 2.0, 4.0], [1.0, 2.0, 2.0])
    0.6666666666666666
    """
    prediction, target = _check_pair("squared_loss", y_hat, y)
    return float(_squared_loss_kernel(prediction.reshape(-1), target.reshape(-1)))


def squared_loss_backward(d_loss: float, y_hat: ArrayLike, y: ArrayLike) -> np.ndarray:
    r"""Gradient of :func:`squared_loss` with respect to the prediction.

    Parameters
    ----------
    d_loss : float
        The gradient flowing into the loss (1.0 when the loss is the objective).
    y_hat, y : array_like, same shape
        The arguments of the forward call.

    Returns
    -------
    numpy.ndarray, shape of ``y_hat``
        $\partial L / \partial \hat y_n = \text{d\_loss}\cdot(\hat y_n - y_n)/N$.

    Examples
    --------
    >>> squared_loss_backward(1.0, [1.0, 2.0, 4.0], [1.0, 2.0, 2.0])
    array([0.        , 0.        , 0.66666667])
    """
    prediction, target = _check_pair("squared_loss_backward", y_hat, y)
    scale = as_real(d_loss, "squared_loss_backward", "d_loss")
    gradient = _squared_loss_backward_kernel(scale, prediction.reshape(-1), target.reshape(-1))
    return gradient.reshape(prediction.shape)


def _check_pair(func: str, y_hat: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    prediction = as_float_array(y_hat, func, "y_hat")
    target = as_float_array(y, func, "y")
    if prediction.shape != target.shape:
        raise ValueError(
            f"{func}: y_hat and y must have the same shape; "
            f"got {prediction.shape} and {target.shape}"
        )
    if prediction.size == 0:
        raise ValueError(
            f"{func}: y_hat must hold at least one element; got shape {prediction.shape}")
    return prediction, target


@numba.njit(cache=True)
def _squared_loss_kernel(prediction: np.ndarray, target: np.ndarray) -> float:
    count = prediction.size
    total = 0.0
    for n in range(count):
        # r_n = ŷ_n − y_n
        residual = prediction[n] - target[n]
        # Σ r_n²
        total += residual * residual
    # L = Σ r_n² / (2N)
    return total / (2.0 * count)


@numba.njit(cache=True)
def _squared_loss_backward_kernel(d_loss: float, prediction: np.ndarray,
                                  target: np.ndarray) -> np.ndarray:
    count = prediction.size
    gradient = np.empty(count)
    for n in range(count):
        # ∂L/∂ŷ_n = d_loss · (ŷ_n − y_n) / N
        gradient[n] = d_loss * (prediction[n] - target[n]) / count
    return gradient
