r"""The threshold unit and Rosenblatt's perceptron: AND, the impossibility of XOR, and the lift.

A **threshold unit** weighs its inputs, adds a bias and fires when the sum
is above zero: $y = H(w\cdot x + b)$, with $H$ the step of
:func:`reference.activations.step`. One unit draws a line (a hyperplane) and
answers 1 on one side of it. That is enough for AND, and provably not for
XOR; a hidden unit that computes AND lifts the four points of XOR into three
dimensions, where a plane separates them.

**Rosenblatt's rule** learns the weights of one unit from examples: when the
unit is wrong on $(x, y)$, add $(y - \hat y)\,x$ to $w$ and $y - \hat y$ to
$b$. On data that a hyperplane separates with margin $\gamma$, inside a ball
of radius $R$, it stops after at most $(R/\gamma)^2$ mistakes (Novikoff,
1962); on XOR it never stops.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
from numpy.typing import ArrayLike

from reference._validation import (
    as_float_array,
    as_layers,
    as_positive_int,
    as_real,
    require_generator,
)

__all__ = [
    "PerceptronResult",
    "and_neuron",
    "perceptron_learn",
    "threshold_network",
    "threshold_unit",
    "xor_network",
]


def threshold_unit(x: ArrayLike, w: ArrayLike, b: float) -> np.ndarray:
    r"""One threshold unit: $y_n = H(x_n\cdot w + b)$, 1 when the sum is above 0, else 0.

    Parameters
    ----------
    x : array_like, shape (N, D)
        One input per row.
    w : array_like, shape (D,)
        The weights.
    b : float
        The bias (minus the threshold: the unit fires when $x\cdot w > -b$).

    Returns
    -------
    numpy.ndarray, shape (N,)
        Zeros and ones; NaN where the sum is NaN (one rule for NaN through a threshold,
        the same as :func:`reference.activations.step`'s).

    Examples
    --------
    >>> w, b = and_neuron()
    >>> threshold_unit([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], w, b)
    array([0., 0., 0., 1.])
    """
    inputs = as_float_array(x, "threshold_unit", "x", ndim=2, layout="(N, D)")
    weights = as_float_array(w, "threshold_unit", "w", ndim=1, layout="(D,)")
    bias = as_real(b, "threshold_unit", "b", finite=True)
    if weights.shape[0] != inputs.shape[1]:
        raise ValueError(
            f"threshold_unit: w must have shape ({inputs.shape[1]},), one weight "
            f"per column of x; got shape {weights.shape}"
        )
    return _threshold_layer_kernel(inputs, weights.reshape(-1, 1), np.array([bias]))[:, 0]


def and_neuron() -> tuple[np.ndarray, float]:
    r"""The classic AND unit: $w = (0.5, 0.5)$, $b = -0.8$.

    The sum $0.5x_1 + 0.5x_2$ exceeds the threshold 0.8 only when both
    inputs are 1 (it is 0, 0.5, 0.5 or 1).

    Returns
    -------
    (numpy.ndarray, float)
        The weights, shape (2,), and the bias.
    """
    return np.array([0.5, 0.5]), -0.8


def xor_network() -> list[tuple[np.ndarray, np.ndarray]]:
    r"""The classic two-layer threshold network for XOR.

    Layer 1 has three units. Two pass the inputs through (a threshold at 0.5
    gives back a 0/1 input unchanged); the third is an AND unit with
    threshold 1.5, $h = H(x_1 + x_2 - 1.5)$. Its outputs $(x_1, x_2, h)$ lift
    the four points into three dimensions. The output unit, threshold 0.5,
    fires when $x_1 + x_2 - 2h > 0.5$: the plane $x_1 + x_2 - 2h = 0.5$
    separates the lifted points that no line in the plane $(x_1, x_2)$ could.

    Returns
    -------
    list of (W, b)
        ``W`` of shape (fan_in, fan_out) and ``b`` of shape (fan_out,), as in
        :func:`reference.dense.dense`: for :func:`threshold_network`.

    Examples
    --------
    >>> threshold_network([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], xor_network())
    array([[0.],
           [1.],
           [1.],
           [0.]])
    """
    hidden = (np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]), np.array([-0.5, -0.5, -1.5]))
    output = (np.array([[1.0], [1.0], [-2.0]]), np.array([-0.5]))
    return [hidden, output]


def threshold_network(x: ArrayLike, layers: list[tuple[ArrayLike, ArrayLike]]) -> np.ndarray:
    r"""Evaluate layers of threshold units: $h^{(l)} = H(h^{(l-1)} W_l + b_l)$, $h^{(0)} = x$.

    Parameters
    ----------
    x : array_like, shape (N, D)
    layers : list of (W, b)
        ``W`` of shape (fan_in, fan_out), ``b`` of shape (fan_out,); each
        layer's fan_in is the previous layer's fan_out.

    Returns
    -------
    numpy.ndarray, shape (N, fan_out of the last layer)
        Zeros and ones (NaN where a sum is NaN).
    """
    func = "threshold_network"
    activity = as_float_array(x, func, "x", ndim=2, layout="(N, D)")
    for weights, bias in as_layers(layers, func, "layers", activity.shape[1]):
        activity = _threshold_layer_kernel(activity, weights, bias)
    return activity


class PerceptronResult(NamedTuple):
    """What :func:`perceptron_learn` returns (a tuple: ``w, b, mistakes, converged = ...``)."""

    weights: np.ndarray
    """The learned weights, shape (D,)."""
    bias: float
    """The learned bias."""
    mistakes: int
    """How many updates were made in all (one per misclassified example seen)."""
    converged: bool
    """Whether an epoch passed without a mistake (every example is classified right)."""


def perceptron_learn(
    X: ArrayLike, y: ArrayLike, *, max_epochs: int, rng: np.random.Generator
) -> PerceptronResult:
    r"""Rosenblatt's perceptron rule, from $w = 0$, $b = 0$.

    Each epoch visits the examples in a fresh random order. On each example
    the unit predicts $\hat y = H(x\cdot w + b)$; when it is wrong it moves
    toward the example:

    $$w \leftarrow w + (y - \hat y)\,x, \qquad b \leftarrow b + (y - \hat y).$$

    There is no learning rate: from $w = 0$ a rate would only scale $w$ and
    $b$ together, which changes no prediction. Training stops after the
    first epoch without a mistake, or after ``max_epochs``.

    Parameters
    ----------
    X : array_like, shape (N, D)
    y : array_like, shape (N,)
        Targets 0 or 1.
    max_epochs : int
        The most passes over the data.
    rng : numpy.random.Generator
        Draws the order of each epoch.

    Returns
    -------
    PerceptronResult
        ``(weights, bias, mistakes, converged)``.

    Notes
    -----
    **Novikoff's bound.** If some unit vector $(w^*, b^*)$ gives every
    example a margin $y^\pm\,(x\cdot w^* + b^*) \ge \gamma > 0$ (with
    $y^\pm = 2y - 1$) and every $\|(x, 1)\| \le R$, the rule makes at most
    $(R/\gamma)^2$ mistakes in all, whatever the order: each mistake raises
    $(w, b)\cdot(w^*, b^*)$ by at least $\gamma$ and
    $\|(w, b)\|^2$ by at most $R^2$, and the first cannot outgrow the
    square root of the second.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> result = perceptron_learn(X, np.array([0.0, 0.0, 0.0, 1.0]), max_epochs=100,
    ...                           rng=np.random.default_rng(0))
    >>> result.converged, threshold_unit(X, result.weights, result.bias)
    (True, array([0., 0., 0., 1.]))
    """
    func = "perceptron_learn"
    inputs = as_float_array(X, func, "X", ndim=2, layout="(N, D)")
    targets = as_float_array(y, func, "y", ndim=1, layout="(N,)")
    if targets.shape[0] != inputs.shape[0] or inputs.shape[0] == 0:
        raise ValueError(
            f"{func}: y must have shape ({inputs.shape[0]},), one target per row "
            f"of X, and X at least one row; got X {inputs.shape} and y "
            f"{targets.shape}"
        )
    if not np.all((targets == 0.0) | (targets == 1.0)):
        raise ValueError(
            f"{func}: y must hold targets 0 or 1; got "
            f"{np.unique(targets[(targets != 0.0) & (targets != 1.0)])[:5]}"
        )
    if not np.all(np.isfinite(inputs)):
        raise ValueError(f"{func}: X must be finite")
    epochs = as_positive_int(max_epochs, func, "max_epochs")
    require_generator(rng, func)

    weights = np.zeros(inputs.shape[1])
    bias = np.zeros(1)
    mistakes = 0
    for _ in range(epochs):
        order = rng.permutation(inputs.shape[0])
        new_mistakes = _perceptron_epoch(inputs, targets, weights, bias, order)
        mistakes += new_mistakes
        if new_mistakes == 0:
            return PerceptronResult(weights, float(bias[0]), mistakes, True)
    return PerceptronResult(weights, float(bias[0]), mistakes, False)


# ---------------------------------------------------------------------------------------------
# Kernels


@numba.njit(cache=True)
def _threshold_layer_kernel(x: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    count, fan_in = x.shape
    fan_out = weights.shape[1]
    y = np.empty((count, fan_out))
    for n in range(count):
        for j in range(fan_out):
            # z = b_j + Σ_i x_i W_ij
            total = bias[j]
            for i in range(fan_in):
                total += x[n, i] * weights[i, j]
            # y = H(z): fire when z > 0 (a NaN sum stays NaN, as through activations.step)
            y[n, j] = 1.0 if total > 0.0 else (0.0 if total == total else np.nan)
    return y


@numba.njit(cache=True)
def _perceptron_epoch(
    X: np.ndarray, y: np.ndarray, weights: np.ndarray, bias: np.ndarray, order: np.ndarray
) -> int:
    """One pass in the given order; updates ``weights`` and ``bias`` (private copies) in place."""
    mistakes = 0
    for n in order:
        # z = x·w + b
        total = bias[0]
        for i in range(X.shape[1]):
            total += X[n, i] * weights[i]
        # ŷ = H(z)
        predicted = 1.0 if total > 0.0 else 0.0
        if predicted != y[n]:
            # the error y − ŷ is +1 or −1
            error = y[n] - predicted
            for i in range(X.shape[1]):
                # w ← w + (y − ŷ) x
                weights[i] += error * X[n, i]
            # b ← b + (y − ŷ)
            bias[0] += error
            mistakes += 1
    return mistakes
