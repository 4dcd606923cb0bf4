r"""The multilayer perceptron, and backpropagation written out by the chain rule.

An MLP is dense layers, each followed by an activation:

$$a^{(0)} = x,\qquad z^{(l)} = a^{(l-1)} W_l + b_l,\qquad a^{(l)} = f_l(z^{(l)}),
\qquad l = 1, \dots, L,$$

and its output is $a^{(L)}$. **Backpropagation** is the chain rule applied
from the output back, one layer at a time. Given $\delta a^{(L)} =
\partial \ell / \partial a^{(L)}$:

$$\delta z^{(l)} = f_l'(z^{(l)}) \odot \delta a^{(l)},\quad
\delta W_l = a^{(l-1)\top} \delta z^{(l)},\quad
\delta b_l = \textstyle\sum_n \delta z^{(l)}_n,\quad
\delta a^{(l-1)} = \delta z^{(l)} W_l^\top .$$

(For softmax, "$f' \odot$" is the product with its Jacobian, which
:func:`reference.activations.softmax_backward` computes.) Each step needs
the layer's input $a^{(l-1)}$ and pre-activation $z^{(l)}$ from the forward
pass: training keeps every layer's activations until the backward pass has
used them, where prediction can drop each one as soon as the next exists.
:func:`mlp_forward_cache` returns exactly what training keeps.

There is no autodiff engine here: :func:`mlp_backward` is the four lines
above in a loop, as the classic texts derive it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from reference import activations as act
from reference._validation import (
    NonFiniteLossError,
    as_float_array,
    as_positive_int,
    as_real,
    describe,
)
from reference.dense import _dense_backward_kernel, _dense_kernel
from reference.losses import (
    cross_entropy_with_logits,
    cross_entropy_with_logits_backward,
    squared_error,
    squared_error_backward,
)

__all__ = [
    "ACTIVATIONS",
    "mlp_backward",
    "mlp_forward",
    "mlp_forward_cache",
    "train_classifier",
    "train_regressor",
]

Params = list[tuple[np.ndarray, np.ndarray]]


def _identity(z: np.ndarray) -> np.ndarray:
    return z


def _identity_backward(dy: np.ndarray, z: np.ndarray) -> np.ndarray:
    return dy


#: The activations an MLP layer can use, by name: ``(forward, backward)`` with
#: ``backward(dy, z)``; ``"identity"`` leaves the layer linear (use it for logits).
ACTIVATIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray],
                             Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    "identity": (_identity, _identity_backward),
    "sigmoid": (act.sigmoid, act.sigmoid_backward),
    "tanh": (act.tanh, act.tanh_backward),
    "relu": (act.relu, act.relu_backward),
    "leaky_relu": (act.leaky_relu, act.leaky_relu_backward),
    "softmax": (act.softmax, act.softmax_backward),
    "log_softmax": (act.log_softmax, act.log_softmax_backward),
}


def mlp_forward(x: ArrayLike, params: Sequence[tuple[ArrayLike, ArrayLike]],
                activations: Sequence[str]) -> np.ndarray:
    r"""The network's output $a^{(L)}$ for a batch.

    Parameters
    ----------
    x : array_like, shape (N, fan_in)
    params : list of (W, b)
        Layer $l$'s weights of shape (fan_in, fan_out) and bias of shape
        (fan_out,), as for :func:`reference.dense.dense`; each layer's fan_in
        is the previous layer's fan_out.
    activations : list of str
        One name of :data:`ACTIVATIONS` per layer.

    Returns
    -------
    numpy.ndarray, shape (N, fan_out of the last layer)

    Examples
    --------
    >>> params = [(np.array([[1.0, -1.0]]), np.zeros(2)), (np.array([[1.0], [1.0]]), np.zeros(1))]
    >>> mlp_forward([[-2.0], [3.0]], params, ["relu", "identity"])  # |x| from two ReLUs
    array([[2.],
           [3.]])
    """
    return _output(*_check("mlp_forward", x, params, activations))


def mlp_forward_cache(x: ArrayLike, params: Sequence[tuple[ArrayLike, ArrayLike]],
                      activations: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    r"""What training keeps from the forward pass: each layer's $(a^{(l-1)}, z^{(l)})$.

    The backward pass of layer $l$ needs its input $a^{(l-1)}$ (for
    $\delta W_l$) and its pre-activation $z^{(l)}$ (for $f_l'$), so all of
    them stay in memory until the backward reaches layer $l$: about
    $N\sum_l (F_{l-1} + F_l)$ numbers, growing with the batch size and the
    depth. Prediction alone needs only the current layer's arrays.

    Returns
    -------
    list of (a_prev, z)
        One pair per layer, in order.
    """
    inputs, layers, names = _check("mlp_forward_cache", x, params, activations)
    return _forward_pass(inputs, layers, names)


def mlp_backward(dy: ArrayLike, x: ArrayLike, params: Sequence[tuple[ArrayLike, ArrayLike]],
                 activations: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    r"""The gradients of every layer: one $(\delta W_l, \delta b_l)$ per layer.

    Of $\langle dy, \text{mlp\_forward}(x)\rangle$ with respect to each $W_l$ and $b_l$.

    Runs the forward pass keeping the cache, then walks back through the
    layers by the chain rule (see the module's docstring).

    Parameters
    ----------
    dy : array_like, shape of the output
        The gradient of the loss with respect to the network's output.
    x, params, activations
        As for :func:`mlp_forward`.

    Returns
    -------
    list of (dW, db)
        Shaped like ``params``.
    """
    inputs, layers, names = _check("mlp_backward", x, params, activations)
    upstream = as_float_array(dy, "mlp_backward", "dy", ndim=2, layout="(N, fan_out)")
    wanted = (inputs.shape[0], layers[-1][0].shape[1])
    if upstream.shape != wanted:
        raise ValueError(f"mlp_backward: dy must have the output's shape {wanted}; got shape "
                         f"{upstream.shape}")
    return _backward_pass(upstream, _forward_pass(inputs, layers, names), layers, names)


def _output(x: np.ndarray, layers: Params, names: list[str]) -> np.ndarray:
    activity = x
    for (weights, bias), name in zip(layers, names, strict=True):
        # a = f(a W + b)
        activity = ACTIVATIONS[name][0](_dense_kernel(activity, weights, bias))
    return activity


def _forward_pass(x: np.ndarray, layers: Params,
                  names: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    cache = []
    activity = x
    for (weights, bias), name in zip(layers, names, strict=True):
        # z = a W + b
        pre_activation = _dense_kernel(activity, weights, bias)
        cache.append((activity, pre_activation))
        # a = f(z)
        activity = ACTIVATIONS[name][0](pre_activation)
    return cache


def _backward_pass(dy: np.ndarray, cache: list[tuple[np.ndarray, np.ndarray]], layers: Params,
                   names: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    gradients = []
    d_activity = dy
    for (previous, pre_activation), (weights, _), name in zip(
            reversed(cache), reversed(layers), reversed(names), strict=True):
        # δz = f'(z) ⊙ δa
        d_pre_activation = ACTIVATIONS[name][1](d_activity, pre_activation)
        # δa_prev = δz Wᵀ,  δW = a_prevᵀ δz,  δb = Σ_n δz_n
        d_activity, d_weights, d_bias = _dense_backward_kernel(d_pre_activation, previous,
                                                               weights)
        gradients.append((d_weights, d_bias))
    return gradients[::-1]


def _check(func: str, x: ArrayLike, params: Sequence[tuple[ArrayLike, ArrayLike]],
           activations: Sequence[str]) -> tuple[np.ndarray, Params, list[str]]:
    inputs = as_float_array(x, func, "x", ndim=2, layout="(N, fan_in)")
    if not isinstance(params, (list, tuple)) or not params:
        raise ValueError(f"{func}: params must be a non-empty list of (W, b); got "
                         f"{describe(params)}")
    if isinstance(activations, str) or not isinstance(activations, (list, tuple)) \
            or len(activations) != len(params):
        raise ValueError(f"{func}: activations must be a list of {len(params)} names, one per "
                         f"layer of params; got {activations!r}")
    layers: Params = []
    fan_in = inputs.shape[1]
    for index, (layer, name) in enumerate(zip(params, activations, strict=True)):
        if name not in ACTIVATIONS:
            raise ValueError(f"{func}: activations[{index}] must be one of "
                             f"{sorted(ACTIVATIONS)}; got {name!r}")
        if not isinstance(layer, (list, tuple)) or len(layer) != 2:
            raise ValueError(f"{func}: params[{index}] must be a pair (W, b); got "
                             f"{describe(layer)}")
        weights = as_float_array(layer[0], func, f"params[{index}] W", ndim=2,
                                 layout="(fan_in, fan_out)")
        bias = as_float_array(layer[1], func, f"params[{index}] b", ndim=1,
                              layout="(fan_out,)")
        if weights.shape[0] != fan_in or bias.shape != (weights.shape[1],):
            raise ValueError(
                f"{func}: params[{index}] must take {fan_in} inputs: W of shape ({fan_in}, "
                f"fan_out) and b of shape (fan_out,); got W {weights.shape} and b {bias.shape}")
        layers.append((weights, bias))
        fan_in = weights.shape[1]
    return inputs, layers, list(activations)


def train_classifier(X: ArrayLike, labels: ArrayLike, params: Sequence[tuple[ArrayLike, ArrayLike]],
                     activations: Sequence[str], *, lr: float, batch_size: int, epochs: int,
                     rng: np.random.Generator) -> tuple[Params, np.ndarray]:
    r"""Train an MLP classifier by minibatch SGD on the softmax cross-entropy.

    The network's last layer outputs logits (its activation must be
    ``"identity"``); :func:`reference.losses.cross_entropy_with_logits` applies
    the softmax. Each epoch shuffles the examples with ``rng`` and takes one
    step per minibatch of ``batch_size`` (the last one may be shorter):

    $$\theta \leftarrow \theta - \eta\,\nabla_\theta\,
    \frac{1}{|B|}\sum_{n\in B} \ell(\text{mlp}(x_n;\theta), c_n).$$

    Parameters
    ----------
    X : array_like, shape (N, fan_in)
    labels : array_like of int, shape (N,)
        Classes in $[0, K)$, $K$ the output width (one-hot rows of shape
        (N, K) are accepted too).
    params : list of (W, b)
        The starting point (not modified): random, so that units differ.
    activations : list of str
        One per layer; the last must be ``"identity"``.
    lr : float
        The learning rate $\eta > 0$.
    batch_size : int
    epochs : int
    rng : numpy.random.Generator
        Draws the order of each epoch.

    Returns
    -------
    (params, losses)
        The trained parameters (new arrays) and the cross-entropy on the whole
        of ``X`` before training and after each epoch (``epochs + 1`` values).

    Raises
    ------
    reference._validation.NonFiniteLossError
        If the loss stops being finite (a learning rate too large).
    """
    func = "train_classifier"
    inputs, layers, names = _check(func, X, params, activations)
    if names[-1] != "identity":
        raise ValueError(f"{func}: the last layer must output logits (activation 'identity'; "
                         f"the loss applies the softmax); got {names[-1]!r}")
    targets = _targets(func, labels, inputs.shape[0], layers[-1][0].shape[1])
    return _minibatch_sgd(func, inputs, targets, layers, names, cross_entropy_with_logits,
                          cross_entropy_with_logits_backward, lr=lr, batch_size=batch_size,
                          epochs=epochs, rng=rng)


def train_regressor(X: ArrayLike, Y: ArrayLike, params: Sequence[tuple[ArrayLike, ArrayLike]],
                    activations: Sequence[str], *, lr: float, batch_size: int, epochs: int,
                    rng: np.random.Generator) -> tuple[Params, np.ndarray]:
    r"""Train an MLP to fit real targets by minibatch SGD on the mean squared error.

    The same loop as :func:`train_classifier`, with
    :func:`reference.losses.squared_error` (the mean over the batch and the
    outputs) in place of the cross-entropy.

    Parameters
    ----------
    X : array_like, shape (N, fan_in)
    Y : array_like, shape (N, fan_out of the last layer)
    params, activations, lr, batch_size, epochs, rng
        As for :func:`train_classifier` (any last activation).

    Returns
    -------
    (params, losses)
        The trained parameters and the mean squared error on the whole of
        ``X`` before training and after each epoch.
    """
    func = "train_regressor"
    inputs, layers, names = _check(func, X, params, activations)
    targets = as_float_array(Y, func, "Y", ndim=2, layout="(N, fan_out)")
    if targets.shape != (inputs.shape[0], layers[-1][0].shape[1]):
        raise ValueError(f"{func}: Y must have shape {(inputs.shape[0], layers[-1][0].shape[1])}, "
                         f"one row of outputs per row of X; got shape {targets.shape}")
    return _minibatch_sgd(func, inputs, targets, layers, names, squared_error,
                          squared_error_backward, lr=lr, batch_size=batch_size, epochs=epochs,
                          rng=rng)


def _minibatch_sgd(func: str, inputs: np.ndarray, targets: np.ndarray, layers: Params,
                   names: list[str], loss: Callable[[np.ndarray, np.ndarray], float],
                   loss_backward: Callable[[float, np.ndarray, np.ndarray], np.ndarray], *,
                   lr: float, batch_size: int, epochs: int,
                   rng: np.random.Generator) -> tuple[Params, np.ndarray]:
    """The training loop shared by the classifier and the regressor."""
    rate = as_real(lr, func, "lr", strictly_positive=True, finite=True)
    size = as_positive_int(batch_size, func, "batch_size")
    count = as_positive_int(epochs, func, "epochs")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{func}: rng must be a numpy.random.Generator; got {describe(rng)}")

    layers = [(weights.copy(), bias.copy()) for weights, bias in layers]
    # A diverging run overflows; that is reported below as NonFiniteLossError, not as
    # NumPy's warnings (which only plain-Python runs, NUMBA_DISABLE_JIT=1, would emit).
    with np.errstate(over="ignore", invalid="ignore"):
        return _sgd_epochs(func, inputs, targets, layers, names, loss, loss_backward,
                           rate=rate, size=size, count=count, rng=rng)


def _sgd_epochs(func: str, inputs: np.ndarray, targets: np.ndarray, layers: Params,
                names: list[str], loss: Callable[[np.ndarray, np.ndarray], float],
                loss_backward: Callable[[float, np.ndarray, np.ndarray], np.ndarray], *,
                rate: float, size: int, count: int,
                rng: np.random.Generator) -> tuple[Params, np.ndarray]:
    history = [loss(_output(inputs, layers, names), targets)]
    steps = 0
    for _ in range(count):
        order = rng.permutation(inputs.shape[0])
        for start in range(0, inputs.shape[0], size):
            batch = order[start:start + size]
            cache = _forward_pass(inputs[batch], layers, names)
            output = ACTIVATIONS[names[-1]][0](cache[-1][1])
            d_output = loss_backward(1.0, output, targets[batch])
            for (weights, bias), (d_weights, d_bias) in zip(
                    layers, _backward_pass(d_output, cache, layers, names), strict=True):
                # θ ← θ − η ∇θ (in place on the private copies)
                weights -= rate * d_weights
                bias -= rate * d_bias
            steps += 1
        history.append(loss(_output(inputs, layers, names), targets))
        if not np.isfinite(history[-1]):
            raise NonFiniteLossError(
                f"{func}: the loss became {history[-1]!r} after {steps} steps with lr = "
                f"{rate!r}; try a smaller learning rate", step=steps, lr=rate)
    return layers, np.array(history)


def _targets(func: str, labels: Any, count: int, classes: int) -> np.ndarray:
    given = np.asarray(labels)
    if given.dtype.kind in "iu":
        if given.shape != (count,):
            raise ValueError(f"{func}: labels must have shape ({count},), one per row of X; got "
                             f"shape {given.shape}")
        return given.astype(np.int64)
    return as_float_array(given, func, "labels", ndim=2, layout=f"({count}, {classes})")
