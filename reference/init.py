r"""Initialisation: how to draw the starting weights so that signals neither vanish nor explode.

A unit sums $n$ = fan_in inputs times weights. If the inputs have variance
$v$ and the weights, independent with mean 0, variance $\sigma^2$, the sum has
variance $n\sigma^2 v$: each layer multiplies the variance of the signal by
$n\sigma^2$ (times what the activation does to it). Through 50 layers a
factor of 2 becomes $2^{50}$, a factor of $\tfrac12$ becomes $2^{-50}$. So the
weights are drawn with $\sigma^2 \approx 1/n$:

* **LeCun**: $\sigma^2 = 1/\text{fan\_in}$ (the forward signal keeps its variance
  through linear or tanh-like units near 0);
* **Glorot (Xavier)**: $\sigma^2 = 2/(\text{fan\_in} + \text{fan\_out})$, a
  compromise between the forward condition ($1/\text{fan\_in}$) and the
  backward one ($1/\text{fan\_out}$, for the gradients);
* **He (Kaiming)**: $\sigma^2 = 2/\text{fan\_in}$: a ReLU zeroes half its
  inputs and halves the second moment, so the weights make up for it;
* **orthogonal**: a random orthogonal matrix keeps every vector's norm, the
  choice for recurrent networks, where the same matrix is applied many times.

A uniform distribution on $[-a, a]$ has variance $a^2/3$, so the uniform
versions use $a = \sqrt{3\sigma^2}$: $\sqrt{6/(\text{fan\_in} + \text{fan\_out})}$
for Glorot, $\sqrt{6/\text{fan\_in}}$ for He.

Every function takes the shape and a ``numpy.random.Generator`` and returns a
new float64 array: the same seed gives the same weights.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from reference._validation import INT64_MAX, as_positive_int, as_real, describe, require_generator

__all__ = [
    "Propagation",
    "fan_in_fan_out",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "orthogonal",
    "propagate",
    "uniform",
]


def _shape(func: str, shape: Any) -> tuple[int, ...]:
    sides = (shape,) if isinstance(shape, numbers.Integral) else shape
    if (
        not isinstance(sides, (tuple, list))
        or not sides
        or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in sides)
    ):
        raise TypeError(f"{func}: shape must be a tuple of ints; got {describe(shape)}")
    if min(sides) < 1:
        raise ValueError(f"{func}: shape must have sides of at least 1; got {tuple(sides)}")
    if math.prod(int(s) for s in sides) > INT64_MAX:
        raise ValueError(f"{func}: shape {tuple(sides)} holds more than 2**63 - 1 weights")
    return tuple(int(s) for s in sides)


def fan_in_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    r"""How many inputs each unit of a layer sums (fan_in), and how many units each input feeds.

    * a dense weight of shape (fan_in, fan_out), as in :func:`reference.dense.dense`:
      (fan_in, fan_out);
    * a convolution weight OIHW (C_out, C_in, kH, kW), or any rank above 2: each output
      sums $C_{in} k_H k_W$ inputs and each input feeds $C_{out} k_H k_W$ outputs
      (the receptive field counts).

    (PyTorch's ``nn.Linear`` stores its weight transposed, (fan_out, fan_in).)

    Raises
    ------
    ValueError
        For a shape of rank 0 or 1, which has no fan-in.

    Examples
    --------
    >>> fan_in_fan_out((256, 128))
    (256, 128)
    >>> fan_in_fan_out((32, 16, 3, 3))
    (144, 288)
    """
    return _fans("fan_in_fan_out", _shape("fan_in_fan_out", shape))


def _fans(func: str, sides: tuple[int, ...]) -> tuple[int, int]:
    """fan_in_fan_out's counting, its errors named for the initialiser that asked."""
    if len(sides) < 2:
        raise ValueError(
            f"{func}: shape must have at least 2 axes (a weight); got {sides}, which has no fan-in"
        )
    if len(sides) == 2:
        return sides[0], sides[1]
    receptive = math.prod(sides[2:])
    return sides[1] * receptive, sides[0] * receptive


def uniform(shape: tuple[int, ...], rng: np.random.Generator, *, scale: float) -> np.ndarray:
    r"""Weights uniform on $[-\text{scale}, \text{scale}]$: variance $\text{scale}^2/3$.

    Examples
    --------
    >>> w = uniform((2, 3), np.random.default_rng(0), scale=0.1)
    >>> w.shape, bool(np.all(np.abs(w) <= 0.1))
    ((2, 3), True)
    """
    sides = _shape("uniform", shape)
    bound = as_real(scale, "uniform", "scale", minimum=0.0, finite=True)
    generator = require_generator(rng, "uniform")
    if bound > np.finfo(np.float64).max / 2.0:
        # the interval's width 2 scale would overflow: draw on [-1, 1) and scale (exact: the
        # draw is a multiple of 2^-53)
        return bound * generator.uniform(-1.0, 1.0, sides)
    return generator.uniform(-bound, bound, sides)


def _normal(func: str, shape: Any, rng: Any, variance: Any) -> np.ndarray:
    sides = _shape(func, shape)
    generator = require_generator(rng, func)
    fan_in, fan_out = _fans(func, sides)
    return generator.standard_normal(sides) * math.sqrt(variance(fan_in, fan_out))


def _uniform(func: str, shape: Any, rng: Any, variance: Any) -> np.ndarray:
    sides = _shape(func, shape)
    generator = require_generator(rng, func)
    fan_in, fan_out = _fans(func, sides)
    # U(-a, a) has variance a^2 / 3
    bound = math.sqrt(3.0 * variance(fan_in, fan_out))
    return generator.uniform(-bound, bound, sides)


def glorot_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    r"""Glorot (Xavier) uniform: $U(-a, a)$ with $a = \sqrt{6/(\text{fan\_in} + \text{fan\_out})}$.

    Variance $2/(\text{fan\_in} + \text{fan\_out})$.
    """
    return _uniform("glorot_uniform", shape, rng, lambda fan_in, fan_out: 2.0 / (fan_in + fan_out))


def glorot_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    r"""Glorot (Xavier) normal: $\mathcal N(0, 2/(\text{fan\_in} + \text{fan\_out}))$."""
    return _normal("glorot_normal", shape, rng, lambda fan_in, fan_out: 2.0 / (fan_in + fan_out))


def lecun_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    r"""LeCun normal: $\mathcal N(0, 1/\text{fan\_in})$, i.e. ``randn / sqrt(fan_in)``."""
    return _normal("lecun_normal", shape, rng, lambda fan_in, fan_out: 1.0 / fan_in)


def he_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    r"""He (Kaiming) normal, for ReLU: $\mathcal N(0, 2/\text{fan\_in})$.

    That is ``randn * sqrt(2 / n)`` with $n$ = fan_in.
    """
    return _normal("he_normal", shape, rng, lambda fan_in, fan_out: 2.0 / fan_in)


def he_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    r"""He (Kaiming) uniform, for ReLU: $U(-a, a)$ with $a = \sqrt{6/\text{fan\_in}}$.

    Variance $2/\text{fan\_in}$.
    """
    return _uniform("he_uniform", shape, rng, lambda fan_in, fan_out: 2.0 / fan_in)


def orthogonal(
    shape: tuple[int, ...], rng: np.random.Generator, *, gain: float = 1.0
) -> np.ndarray:
    r"""A random orthogonal matrix, times ``gain``: $W^\top W = g^2 I$ (or $W W^\top$ if wide).

    A Gaussian matrix $A$ is factored $A = QR$ and the columns of $Q$ multiplied
    by the signs of $R$'s diagonal: without that step the distribution of $Q$
    depends on the QR routine's sign convention; with it, $Q$ is distributed
    uniformly (by Haar measure) over the orthogonal matrices (Mezzadri, 2007).
    A shape of rank above 2 is flattened to (shape[0], the rest), as in PyTorch.

    Examples
    --------
    >>> W = orthogonal((4, 3), np.random.default_rng(0))
    >>> bool(np.allclose(W.T @ W, np.eye(3)))
    True
    """
    sides = _shape("orthogonal", shape)
    generator = require_generator(rng, "orthogonal")
    scale = as_real(gain, "orthogonal", "gain", finite=True)
    if len(sides) < 2:
        raise ValueError(f"orthogonal: shape must have at least 2 axes; got {sides}")
    rows, cols = sides[0], math.prod(sides[1:])
    gaussian = generator.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(gaussian)
    # fix the signs: Q diag(sign(diag R)) is Haar-distributed
    q = q * np.where(np.diag(r) < 0.0, -1.0, 1.0)
    matrix = q if rows >= cols else q.T
    return (scale * matrix).reshape(sides)


class Propagation(NamedTuple):
    """What :func:`propagate` measures, layer by layer."""

    forward: np.ndarray
    """E[a^2] of the activations: the input's, then after each layer (depth + 1 values)."""
    backward: np.ndarray
    """E[g^2] of the gradient with respect to each layer's activations, the output's last."""
    output: np.ndarray
    """The last layer's activations."""


def propagate(
    initialiser: Callable[[tuple[int, ...], np.random.Generator], np.ndarray],
    activation: Callable[[np.ndarray], np.ndarray],
    activation_backward: Callable[[np.ndarray, np.ndarray], np.ndarray],
    rng: np.random.Generator,
    *,
    depth: int = 50,
    width: int = 256,
    batch: int = 512,
    scale: float = 1.0,
) -> Propagation:
    r"""Send standard normal inputs through ``depth`` square layers, and a gradient back.

    Each layer is $a \leftarrow f(a W)$ with $W$ = ``scale`` times a fresh draw of
    ``initialiser`` (no bias). Then a standard normal gradient at the output goes back
    by the chain rule, $g \leftarrow (f'(z) \odot g)\,W^\top$. The mean squares of the
    activations and of the gradients, layer by layer, show whether the signal keeps its
    size, vanishes or explodes: the experiment of Glorot and Bengio, and of He et al.
    ``rng`` draws the inputs, the weights and the output gradient, in that order.

    Examples
    --------
    >>> run = propagate(he_normal, np.tanh, lambda dy, z: dy / np.cosh(z) ** 2,
    ...                 np.random.default_rng(0), depth=3, width=8, batch=16)
    >>> run.forward.shape, run.backward.shape, run.output.shape
    ((4,), (4,), (16, 8))
    """
    func = "propagate"
    generator = require_generator(rng, func)
    depth = as_positive_int(depth, func, "depth")
    width = as_positive_int(width, func, "width")
    batch = as_positive_int(batch, func, "batch")
    scale = as_real(scale, func, "scale", strictly_positive=True, finite=True)
    # the annotations promise callables; a caller may still pass anything
    if not all(callable(f) for f in (initialiser, activation, activation_backward)):
        raise TypeError(
            f"{func}: initialiser, activation and activation_backward must be callables"
        )
    activity = generator.standard_normal((batch, width))
    forward, weights, sums = [float(np.mean(activity**2))], [], []
    for _ in range(depth):
        W = scale * initialiser((width, width), generator)
        # z = a W, a ← f(z)
        sums.append(activity @ W)
        weights.append(W)
        activity = activation(sums[-1])
        forward.append(float(np.mean(activity**2)))
    gradient = generator.standard_normal(activity.shape)
    backward = [float(np.mean(gradient**2))]
    for W, z in zip(reversed(weights), reversed(sums), strict=True):
        # g ← (f'(z) ⊙ g) Wᵀ
        gradient = activation_backward(gradient, z) @ W.T
        backward.append(float(np.mean(gradient**2)))
    return Propagation(np.array(forward), np.array(backward[::-1]), activity)
