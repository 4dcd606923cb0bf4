r"""Loss functions: how far a prediction is from its target, as one number.

A loss turns a batch of predictions $\hat y$ and targets $y$ into the scalar that
training makes small. Each loss comes with its backward,
``<name>_backward(d_loss, prediction, target)``, the gradient with respect to
the prediction; targets are data and get no gradient. The page [Losses][losses]
tells the story; [Linear regression][linear-regression] shows where the squared
loss comes from.

Regression losses compare numbers with numbers: :func:`squared_loss` (half
the mean squared error, the form of the regression page),
:func:`squared_error`, :func:`absolute_error`. Classification losses compare
predicted probabilities or scores with classes: :func:`zero_one_loss` (the
error rate, what we care about but cannot differentiate),
:func:`binary_cross_entropy` and :func:`cross_entropy_with_logits` (its
smooth surrogates), and :func:`binary_cross_entropy_with_logits`.

Every loss here is a **mean**: over the batch, and over every element for the
element-wise losses. The docstring of each says so again, because libraries
differ (a sum, or a mean over the batch only) and a factor of $N$ is the most
common disagreement between two implementations.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import ArrayLike

from reference._validation import (
    as_class_targets,
    as_float_array,
    as_real,
    require_unit_interval,
)
from reference.activations import _log_softmax_kernel, _softmax_kernel

__all__ = [
    "absolute_error",
    "absolute_error_backward",
    "binary_cross_entropy",
    "binary_cross_entropy_backward",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_backward",
    "cross_entropy_with_logits",
    "cross_entropy_with_logits_backward",
    "squared_error",
    "squared_error_backward",
    "squared_loss",
    "squared_loss_backward",
    "zero_one_loss",
    "zero_one_loss_backward",
]


def squared_loss(y_hat: ArrayLike, y: ArrayLike) -> float:
    r"""Half the mean squared error, $L = \frac{1}{2N}\sum_n (\hat y_n - y_n)^2$.

    Parameters
    ----------
    y_hat : array_like, any shape
        Predictions.
    y : array_like, same shape as y_hat
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
    numpy.ndarray, shape of y_hat
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


def squared_error(y_hat: ArrayLike, y: ArrayLike) -> float:
    r"""The mean squared error, $L = \frac1N\sum_n (\hat y_n - y_n)^2$.

    The mean runs over **every element** ($N$ is ``y_hat.size``), with no
    factor $\tfrac12$: this is PyTorch's ``MSELoss()`` and twice
    :func:`squared_loss`. Minimising it is maximum likelihood under Gaussian
    noise (see :func:`squared_loss`).

    Examples
    --------
    >>> squared_error([1.0, 2.0, 4.0], [1.0, 2.0, 2.0])
    1.3333333333333333
    """
    prediction, target = _check_pair("squared_error", y_hat, y)
    return float(2.0 * _squared_loss_kernel(prediction.reshape(-1), target.reshape(-1)))


def squared_error_backward(d_loss: float, y_hat: ArrayLike, y: ArrayLike) -> np.ndarray:
    r"""Gradient of :func:`squared_error`: $2\,\text{d\_loss}\,(\hat y_n - y_n)/N$."""
    prediction, target = _check_pair("squared_error_backward", y_hat, y)
    scale = as_real(d_loss, "squared_error_backward", "d_loss")
    gradient = _squared_loss_backward_kernel(
        2.0 * scale, prediction.reshape(-1), target.reshape(-1)
    )
    return gradient.reshape(prediction.shape)


def absolute_error(y_hat: ArrayLike, y: ArrayLike) -> float:
    r"""The mean absolute error, $L = \frac1N\sum_n |\hat y_n - y_n|$, over every element.

    Maximum likelihood under Laplace noise; less swayed by outliers than the
    squared error (a residual counts once, not squared). PyTorch's ``L1Loss()``.

    Examples
    --------
    >>> absolute_error([1.0, 2.0, 4.0], [1.0, 2.0, 2.0])
    0.6666666666666666
    """
    prediction, target = _check_pair("absolute_error", y_hat, y)
    return float(_absolute_error_kernel(prediction.reshape(-1), target.reshape(-1)))


def absolute_error_backward(d_loss: float, y_hat: ArrayLike, y: ArrayLike) -> np.ndarray:
    r"""A subgradient of :func:`absolute_error`.

    $\text{d\_loss}\cdot\operatorname{sign}(\hat y_n - y_n)/N$.

    Where $\hat y_n = y_n$ the loss has a kink and every value in
    $[-1, 1]/N$ is a subgradient; we return 0 there, the smallest one (and
    PyTorch's choice).
    """
    prediction, target = _check_pair("absolute_error_backward", y_hat, y)
    scale = as_real(d_loss, "absolute_error_backward", "d_loss")
    gradient = _absolute_error_backward_kernel(scale, prediction.reshape(-1), target.reshape(-1))
    return gradient.reshape(prediction.shape)


def zero_one_loss(y_hat: ArrayLike, y: ArrayLike) -> float:
    r"""The error rate: the fraction of the $N$ rows whose predicted class is wrong.

    $L = \frac1N\sum_n [\arg\max_k \hat y_{nk} \ne c_n]$, the mean over the
    batch. The predicted class is the first largest score (scores,
    probabilities or logits: the arg-max is the same).

    Parameters
    ----------
    y_hat : array_like, shape (N, K)
        Scores of $K$ classes for $N$ examples.
    y : array_like
        The classes: integers in $[0, K)$ of shape (N,), or one-hot rows of
        shape (N, K) (their arg-max is the class).

    Examples
    --------
    >>> zero_one_loss([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]], [0, 0, 0])
    0.3333333333333333
    """
    scores, targets = _check_classes("zero_one_loss", y_hat, y, names=("y_hat", "y"))
    predicted = np.argmax(scores, axis=1)
    wanted = np.argmax(targets, axis=1)
    return float(np.count_nonzero(predicted != wanted) / scores.shape[0])


def zero_one_loss_backward(d_loss: float, y_hat: ArrayLike, y: ArrayLike) -> np.ndarray:
    r"""The derivative of :func:`zero_one_loss`: zero wherever it exists.

    The error rate is piecewise constant in the scores: it jumps where two
    scores tie and is flat everywhere else, so its gradient is zero almost
    everywhere (and 0 is returned at the ties too). Gradient descent cannot
    use it, which is why classifiers are trained on a cross-entropy.
    """
    scores, _ = _check_classes("zero_one_loss_backward", y_hat, y, names=("y_hat", "y"))
    as_real(d_loss, "zero_one_loss_backward", "d_loss")
    return np.zeros_like(scores)


def binary_cross_entropy(p: ArrayLike, y: ArrayLike) -> float:
    r"""Binary cross-entropy of probabilities, the mean over every element.

    $L = -\frac1N\sum_n \big[y_n \log p_n + (1 - y_n)\log(1 - p_n)\big]$, with
    $0\log 0 = 0$. The negative log-likelihood of Bernoulli targets $y_n$
    (or soft targets in $[0, 1]$) under predicted probabilities $p_n$.

    It is $+\infty$ where a target is certain and its probability is 0
    (PyTorch instead clamps each log at $-100$). Computing $1 - p$ loses the
    digits of a $p$ near 1: prefer :func:`binary_cross_entropy_with_logits`
    on the logit, which never does.

    Raises
    ------
    ValueError
        If a probability or a target lies outside $[0, 1]$.

    Examples
    --------
    >>> binary_cross_entropy([0.5, 0.9], [1.0, 1.0])  # (log 2 + log(1/0.9)) / 2
    0.39925384810888576
    """
    probability, target = _check_probabilities("binary_cross_entropy", p, y)
    with np.errstate(divide="ignore"):  # log 0 = -inf is the answer (plain-Python runs warn)
        return float(_binary_cross_entropy_kernel(probability.reshape(-1), target.reshape(-1)))


def binary_cross_entropy_backward(d_loss: float, p: ArrayLike, y: ArrayLike) -> np.ndarray:
    r"""Gradient of :func:`binary_cross_entropy` with respect to ``p``.

    $\text{d\_loss}\,\big(\frac{1 - y_n}{1 - p_n} - \frac{y_n}{p_n}\big)/N$.

    Each term is left out where its weight ($y_n$ or $1 - y_n$) is 0, as in
    the forward; the gradient is infinite where the loss is.
    """
    probability, target = _check_probabilities("binary_cross_entropy_backward", p, y)
    scale = as_real(d_loss, "binary_cross_entropy_backward", "d_loss")
    with np.errstate(divide="ignore"):  # y / 0 = ±inf is the answer (plain-Python runs warn)
        gradient = _binary_cross_entropy_backward_kernel(
            scale, probability.reshape(-1), target.reshape(-1)
        )
    return gradient.reshape(probability.shape)


def binary_cross_entropy_with_logits(z: ArrayLike, y: ArrayLike) -> float:
    r"""Binary cross-entropy of $\sigma(z)$, computed from the logit $z$; mean over every element.

    $L = \frac1N\sum_n \big[(1 - y_n)\max(z_n, 0) + y_n\max(-z_n, 0) + \log(1 + e^{-|z_n|})\big]$,
    which equals ``binary_cross_entropy(sigmoid(z), y)`` (it is $\mathrm{softplus}(z) - yz$)
    but is finite and accurate for every finite $z$: the log never sees a 0, the
    exponential never overflows, and the three terms are non-negative, so nothing
    cancels (``softplus(z) - y z`` as written loses the digits of a small loss at
    large $z$). PyTorch's ``BCEWithLogitsLoss()``.

    Raises
    ------
    ValueError
        If a target lies outside $[0, 1]$.

    Examples
    --------
    >>> binary_cross_entropy_with_logits([-1e4, 0.0], [1.0, 1.0])  # (1e4 + log 2) / 2
    5000.346573590279
    """
    logits, target = _check_pair("binary_cross_entropy_with_logits", z, y, names=("z", "y"))
    require_unit_interval(target, "binary_cross_entropy_with_logits", "y")
    return float(_binary_cross_entropy_with_logits_kernel(logits.reshape(-1), target.reshape(-1)))


def binary_cross_entropy_with_logits_backward(
    d_loss: float, z: ArrayLike, y: ArrayLike
) -> np.ndarray:
    r"""Gradient of :func:`binary_cross_entropy_with_logits` with respect to the logits.

    $\text{d\_loss}\,(\sigma(z_n) - y_n)/N$.
    """
    func = "binary_cross_entropy_with_logits_backward"
    logits, target = _check_pair(func, z, y, names=("z", "y"))
    require_unit_interval(target, func, "y")
    scale = as_real(d_loss, func, "d_loss")
    gradient = _binary_cross_entropy_with_logits_backward_kernel(
        scale, logits.reshape(-1), target.reshape(-1)
    )
    return gradient.reshape(logits.shape)


def cross_entropy_with_logits(z: ArrayLike, labels: ArrayLike) -> float:
    r"""Softmax cross-entropy of logits against classes, the mean over the batch.

    $L = -\frac1N\sum_n \sum_k t_{nk}\,\log\operatorname{softmax}(z_n)_k$,
    where $t_n$ is the one-hot row of class $c_n$, so
    $L = \frac1N\sum_n \big(\log\sum_k e^{z_{nk}} - z_{n c_n}\big)$: the
    negative log-likelihood of the classes. The log-sum-exp is shifted by the
    row's largest logit, so it is finite for every finite $z$, and its log is
    taken by ``log1p`` of the other classes' share, so a confident prediction
    keeps its small loss to full relative accuracy. PyTorch's
    ``CrossEntropyLoss()``.

    Parameters
    ----------
    z : array_like, shape (N, K)
        Logits (unnormalised log-probabilities) of $K$ classes.
    labels : array_like
        Integer classes in $[0, K)$ of shape (N,), or rows of shape (N, K) that
        are one-hot (or any probabilities: entries in $[0, 1]$, each row
        summing to 1).

    Raises
    ------
    ValueError
        If a class is out of range, a row is not a probability distribution,
        or the shapes do not match.

    Examples
    --------
    >>> cross_entropy_with_logits([[0.0, 0.0], [1000.0, 0.0]], [1, 0])  # (log 2 + 0) / 2
    0.34657359027997264
    """
    logits, targets = _check_classes("cross_entropy_with_logits", z, labels)
    return float(_cross_entropy_kernel(logits, targets))


def cross_entropy_with_logits_backward(
    d_loss: float, z: ArrayLike, labels: ArrayLike
) -> np.ndarray:
    r"""Gradient of :func:`cross_entropy_with_logits` with respect to the logits.

    $\text{d\_loss}\,(\operatorname{softmax}(z_n) - t_n)/N$.
    """
    logits, targets = _check_classes("cross_entropy_with_logits_backward", z, labels)
    scale = as_real(d_loss, "cross_entropy_with_logits_backward", "d_loss")
    return _cross_entropy_backward_kernel(scale, logits, targets)


def _check_pair(
    func: str, y_hat: ArrayLike, y: ArrayLike, *, names: tuple[str, str] = ("y_hat", "y")
) -> tuple[np.ndarray, np.ndarray]:
    prediction = as_float_array(y_hat, func, names[0])
    target = as_float_array(y, func, names[1])
    if prediction.shape != target.shape:
        raise ValueError(
            f"{func}: {names[0]} and {names[1]} must have the same shape; "
            f"got {prediction.shape} and {target.shape}"
        )
    if prediction.size == 0:
        raise ValueError(
            f"{func}: {names[0]} must hold at least one element; got shape {prediction.shape}"
        )
    return prediction, target


def _check_probabilities(func: str, p: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    probability, target = _check_pair(func, p, y, names=("p", "y"))
    require_unit_interval(probability, func, "p")
    require_unit_interval(target, func, "y")
    return probability, target


def _check_classes(
    func: str, z: ArrayLike, labels: ArrayLike, *, names: tuple[str, str] = ("z", "labels")
) -> tuple[np.ndarray, np.ndarray]:
    """Scores of shape (N, K) and the targets as (N, K) probability rows."""
    scores = as_float_array(z, func, names[0], ndim=2, layout="(N, K)")
    count, classes = scores.shape
    if count == 0 or classes == 0:
        raise ValueError(
            f"{func}: {names[0]} must have at least one row and one class; got shape {scores.shape}"
        )
    return scores, as_class_targets(labels, func, names[1], count, classes, scores=names[0])


# ---------------------------------------------------------------------------------------------
# Kernels


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
def _squared_loss_backward_kernel(
    d_loss: float, prediction: np.ndarray, target: np.ndarray
) -> np.ndarray:
    count = prediction.size
    gradient = np.empty(count)
    for n in range(count):
        # ∂L/∂ŷ_n = d_loss · (ŷ_n − y_n) / N
        gradient[n] = d_loss * (prediction[n] - target[n]) / count
    return gradient


@numba.njit(cache=True)
def _absolute_error_kernel(prediction: np.ndarray, target: np.ndarray) -> float:
    total = 0.0
    for n in range(prediction.size):
        # Σ |ŷ_n − y_n|
        total += abs(prediction[n] - target[n])
    # L = Σ |r_n| / N
    return total / prediction.size


@numba.njit(cache=True)
def _absolute_error_backward_kernel(
    d_loss: float, prediction: np.ndarray, target: np.ndarray
) -> np.ndarray:
    count = prediction.size
    gradient = np.empty(count)
    for n in range(count):
        # ∂L/∂ŷ_n = d_loss · sign(ŷ_n − y_n) / N, with sign(0) = 0
        gradient[n] = d_loss * np.sign(prediction[n] - target[n]) / count
    return gradient


@numba.njit(cache=True)
def _binary_cross_entropy_kernel(p: np.ndarray, y: np.ndarray) -> float:
    total = 0.0
    for n in range(p.size):
        if y[n] > 0.0:
            # − y log p  (left out when y = 0: 0 log 0 = 0)
            total -= y[n] * np.log(p[n])
        if y[n] < 1.0:
            # − (1 − y) log(1 − p)  (left out when y = 1)
            total -= (1.0 - y[n]) * np.log(1.0 - p[n])
    # L = Σ / N
    return total / p.size


# error_model="numpy": y / 0 is ±inf as in IEEE arithmetic, not Python's ZeroDivisionError
@numba.njit(cache=True, error_model="numpy")
def _binary_cross_entropy_backward_kernel(
    d_loss: float, p: np.ndarray, y: np.ndarray
) -> np.ndarray:
    count = p.size
    gradient = np.zeros(count)
    for n in range(count):
        if y[n] > 0.0:
            # ∂/∂p of − y log p = − y / p
            gradient[n] -= y[n] / p[n]
        if y[n] < 1.0:
            # ∂/∂p of − (1 − y) log(1 − p) = (1 − y) / (1 − p)
            gradient[n] += (1.0 - y[n]) / (1.0 - p[n])
        # times d_loss / N
        gradient[n] *= d_loss / count
    return gradient


@numba.njit(cache=True)
def _binary_cross_entropy_with_logits_kernel(z: np.ndarray, y: np.ndarray) -> float:
    total = 0.0
    for n in range(z.size):
        # − y log σ(z) − (1 − y) log σ(−z) = softplus(z) − y z
        #   = (1 − y) max(z, 0) + y max(−z, 0) + log(1 + e^{−|z|}): three non-negative terms,
        #   so a confident right answer keeps its small loss (no cancellation)
        # (a term whose weight is 0 is 0, also for an infinite logit: the loss of a right
        # answer tends to 0 as its logit grows)
        wrong_positive = (1.0 - y[n]) * max(z[n], 0.0) if y[n] != 1.0 else 0.0
        wrong_negative = y[n] * max(-z[n], 0.0) if y[n] != 0.0 else 0.0
        total += wrong_positive + wrong_negative + np.log1p(np.exp(-abs(z[n])))
    # L = Σ / N
    return total / z.size


@numba.njit(cache=True)
def _binary_cross_entropy_with_logits_backward_kernel(
    d_loss: float, z: np.ndarray, y: np.ndarray
) -> np.ndarray:
    count = z.size
    gradient = np.empty(count)
    for n in range(count):
        # σ(−|z|) = e^{−|z|} / (1 + e^{−|z|}) ≤ ½, accurate in the tail
        decay = np.exp(-abs(z[n]))
        small = decay / (1.0 + decay)
        # σ(z) − y: as (1 − y) − σ(−z) for z ≥ 0 (no cancellation when y = 1 and z is large),
        # as σ(−|z|) − y for z < 0
        difference = (1.0 - y[n]) - small if z[n] >= 0.0 else small - y[n]
        # ∂L/∂z_n = d_loss · (σ(z_n) − y_n) / N
        gradient[n] = d_loss * difference / count
    return gradient


@numba.njit(cache=True)
def _cross_entropy_kernel(z: np.ndarray, targets: np.ndarray) -> float:
    count, classes = z.shape
    # log softmax(z_n)_k = (z_nk − m) − log1p(Σ_{k ≠ top} e^{z_nk − m}), accurate for confident rows
    log_probabilities = _log_softmax_kernel(z)
    total = 0.0
    for n in range(count):
        for k in range(classes):
            if targets[n, k] != 0.0:
                # − t_nk log softmax(z_n)_k
                total -= targets[n, k] * log_probabilities[n, k]
    # L = Σ / N
    return total / count


@numba.njit(cache=True)
def _cross_entropy_backward_kernel(d_loss: float, z: np.ndarray, targets: np.ndarray) -> np.ndarray:
    count, classes = z.shape
    probabilities = _softmax_kernel(z)
    gradient = np.empty_like(z)
    for n in range(count):
        for k in range(classes):
            if targets[n, k] > 0.5:
                # s_k − t_k = (1 − t_k) − Σ_{j ≠ k} s_j: a confident right class keeps the
                # digits of its small gradient (s_k − 1 would cancel)
                others = 0.0
                for j in range(classes):
                    if j != k:
                        others += probabilities[n, j]
                difference = (1.0 - targets[n, k]) - others
            else:
                # s_k − t_k
                difference = probabilities[n, k] - targets[n, k]
            # ∂L/∂z_nk = d_loss · (softmax(z_n)_k − t_nk) / N
            gradient[n, k] = d_loss * difference / count
    return gradient
