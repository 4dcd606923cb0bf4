r"""The multilayer perceptron, and backpropagation written out by the chain rule.

An MLP is dense layers, each followed by an activation:

$$\begin{aligned}
a^{(0)} &= x,\\
z^{(l)} &= a^{(l-1)} W_l + b_l,\\
a^{(l)} &= f_l(z^{(l)}),\qquad l = 1, \dots, L,
\end{aligned}$$

and its output is $a^{(L)}$. **Backpropagation** is the chain rule applied
from the output back, one layer at a time. Given $\delta a^{(L)} =
\partial \ell / \partial a^{(L)}$:

$$\begin{aligned}
\delta z^{(l)} &= f_l'(z^{(l)}) \odot \delta a^{(l)},\\
\delta W_l &= a^{(l-1)\top} \delta z^{(l)},\\
\delta b_l &= \textstyle\sum_n \delta z^{(l)}_n,\\
\delta a^{(l-1)} &= \delta z^{(l)} W_l^\top .
\end{aligned}$$

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

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from reference import activations as act
from reference._validation import (
    as_class_targets,
    as_float_array,
    as_layers,
    as_real,
    describe,
    require_finite,
    require_generator,
    require_output_shape,
)
from reference.dense import _dense_backward_kernel, _dense_kernel
from reference.losses import (
    cross_entropy_with_logits,
    cross_entropy_with_logits_backward,
    squared_error,
    squared_error_backward,
)
from reference.optim import OPTIMIZERS, train_minibatch
from reference.optim import optimizer as make_optimizer
from reference.regularization import dropout as inverted_dropout
from reference.regularization import dropout_backward

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
ACTIVATIONS: dict[
    str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray, np.ndarray], np.ndarray]]
] = {
    "identity": (_identity, _identity_backward),
    "sigmoid": (act.sigmoid, act.sigmoid_backward),
    "tanh": (act.tanh, act.tanh_backward),
    "relu": (act.relu, act.relu_backward),
    "leaky_relu": (act.leaky_relu, act.leaky_relu_backward),
    "softmax": (act.softmax, act.softmax_backward),
    "log_softmax": (act.log_softmax, act.log_softmax_backward),
}


def mlp_forward(
    x: ArrayLike, params: Sequence[tuple[ArrayLike, ArrayLike]], activations: Sequence[str]
) -> np.ndarray:
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


def mlp_forward_cache(
    x: ArrayLike, params: Sequence[tuple[ArrayLike, ArrayLike]], activations: Sequence[str]
) -> list[tuple[np.ndarray, np.ndarray]]:
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
    # a copy where as_float_array handed back the caller's own array
    return _forward_pass(inputs.copy() if inputs is x else inputs, layers, names)


def mlp_backward(
    dy: ArrayLike,
    x: ArrayLike,
    params: Sequence[tuple[ArrayLike, ArrayLike]],
    activations: Sequence[str],
) -> list[tuple[np.ndarray, np.ndarray]]:
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
    upstream = require_output_shape(
        dy, "mlp_backward", (inputs.shape[0], layers[-1][0].shape[1]), "(N, fan_out)"
    )
    return _backward_pass(upstream, _forward_pass(inputs, layers, names), layers, names)


def _output(x: np.ndarray, layers: Params, names: list[str]) -> np.ndarray:
    activity = x
    for (weights, bias), name in zip(layers, names, strict=True):
        # a = f(a W + b)
        activity = ACTIVATIONS[name][0](_dense_kernel(activity, weights, bias))
    return activity


def _forward_pass(
    x: np.ndarray, layers: Params, names: list[str], drop: Dropout | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    cache = []
    activity = x
    for index, ((weights, bias), name) in enumerate(zip(layers, names, strict=True)):
        # z = a W + b
        pre_activation = _dense_kernel(activity, weights, bias)
        cache.append((activity, pre_activation))
        # a = f(z)
        activity = ACTIVATIONS[name][0](pre_activation)
        if drop is not None and index < len(layers) - 1:
            # a = f(z) ⊙ mask / (1 − p)  (inverted dropout on the hidden layers)
            activity = inverted_dropout(activity, drop.p, mask=drop.masks[index])[0]
    return cache


def _backward_pass(
    dy: np.ndarray,
    cache: list[tuple[np.ndarray, np.ndarray]],
    layers: Params,
    names: list[str],
    drop: Dropout | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    gradients = []
    d_activity = dy
    for index in reversed(range(len(layers))):
        (previous, pre_activation), (weights, _), name = cache[index], layers[index], names[index]
        if drop is not None and index < len(layers) - 1:
            # δa ← δa ⊙ mask / (1 − p)  (the dropped units pass no gradient)
            d_activity = dropout_backward(d_activity, drop.masks[index], drop.p)
        # δz = f'(z) ⊙ δa
        d_pre_activation = ACTIVATIONS[name][1](d_activity, pre_activation)
        # δa_prev = δz Wᵀ,  δW = a_prevᵀ δz,  δb = Σ_n δz_n
        d_activity, d_weights, d_bias = _dense_backward_kernel(d_pre_activation, previous, weights)
        gradients.append((d_weights, d_bias))
    return gradients[::-1]


class Dropout(NamedTuple):
    """Inverted dropout on every hidden layer's output: the rate and this minibatch's masks."""

    p: float
    masks: list[np.ndarray]


def _check(
    func: str,
    x: ArrayLike,
    params: Sequence[tuple[ArrayLike, ArrayLike]],
    activations: Sequence[str],
    *,
    x_name: str = "x",
) -> tuple[np.ndarray, Params, list[str]]:
    inputs = as_float_array(x, func, x_name, ndim=2, layout="(N, fan_in)")
    layers = as_layers(params, func, "params", inputs.shape[1])
    if (
        isinstance(activations, str)
        or not isinstance(activations, (list, tuple))
        or len(activations) != len(layers)
    ):
        raise ValueError(
            f"{func}: activations must be a list of {len(layers)} names, one per "
            f"layer of params; got {activations!r}"
        )
    for index, name in enumerate(activations):
        if not isinstance(name, str) or name not in ACTIVATIONS:
            raise ValueError(
                f"{func}: activations[{index}] must be one of {sorted(ACTIVATIONS)}; got {name!r}"
            )
    return inputs, layers, list(activations)


def train_classifier(
    X: ArrayLike,
    labels: ArrayLike,
    params: Sequence[tuple[ArrayLike, ArrayLike]],
    activations: Sequence[str],
    *,
    lr: float,
    batch_size: int,
    epochs: int,
    rng: np.random.Generator,
    optimizer: str = "sgd",
    optimizer_options: Mapping[str, float] | None = None,
    weight_decay: float = 0.0,
    dropout: float = 0.0,
    validation: tuple[ArrayLike, ArrayLike] | None = None,
) -> tuple[Params, np.ndarray]:
    r"""Train an MLP classifier by minibatch gradient descent on the softmax cross-entropy.

    The network's last layer outputs logits (its activation must be
    ``"identity"``); :func:`reference.losses.cross_entropy_with_logits` applies
    the softmax. Each epoch shuffles the examples with ``rng`` and takes one
    step per minibatch of ``batch_size`` (the last one may be shorter), by
    :func:`reference.optim.train_minibatch`; with the defaults, plain SGD:

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
        Draws the order of each epoch (and then the dropout masks).
    optimizer : str, default "sgd"
        The update rule, one of :data:`reference.optim.OPTIMIZERS` (``"adam"``, ...).
    optimizer_options : dict, optional
        Its settings besides ``lr`` (``{"beta": 0.9}`` for momentum).
    weight_decay : float, default 0
        $\lambda$: the gradient of $\frac\lambda2\lVert\theta\rVert^2$ is added to every
        parameter's (biases included).
    dropout : float in [0, 1), default 0
        The rate of inverted dropout on every hidden layer's output during
        training (never when the losses are recorded).
    validation : (X_val, labels_val), optional
        Held-out data whose loss is recorded too.

    Returns
    -------
    (params, losses)
        The trained parameters (new arrays) and the cross-entropy on the whole
        of ``X`` before training and after each epoch (``epochs + 1`` values);
        with ``validation``, shape (epochs + 1, 2), the validation loss second.

    Raises
    ------
    reference.NonFiniteLossError
        If the loss stops being finite (a learning rate too large).
    """
    func = "train_classifier"
    inputs, layers, names = _check(func, X, params, activations, x_name="X")
    if names[-1] != "identity":
        raise ValueError(
            f"{func}: the last layer must output logits (activation 'identity'; "
            f"the loss applies the softmax); got {names[-1]!r}"
        )
    targets = as_class_targets(
        labels, func, "labels", inputs.shape[0], layers[-1][0].shape[1], scores="X's outputs"
    )
    held_out = None
    if validation is not None:
        held, held_labels = _pair(func, validation)
        held_x = as_float_array(held, func, "validation X", ndim=2, layout="(M, fan_in)")
        held_out = (
            held_x,
            as_class_targets(
                held_labels,
                func,
                "validation labels",
                held_x.shape[0],
                targets.shape[1],
                scores="validation X's outputs",
            ),
        )
    return _train(
        func,
        inputs,
        targets,
        layers,
        names,
        cross_entropy_with_logits,
        cross_entropy_with_logits_backward,
        lr=lr,
        batch_size=batch_size,
        epochs=epochs,
        rng=rng,
        optimizer=optimizer,
        optimizer_options=optimizer_options,
        weight_decay=weight_decay,
        dropout=dropout,
        held_out=held_out,
    )


def train_regressor(
    X: ArrayLike,
    Y: ArrayLike,
    params: Sequence[tuple[ArrayLike, ArrayLike]],
    activations: Sequence[str],
    *,
    lr: float,
    batch_size: int,
    epochs: int,
    rng: np.random.Generator,
    optimizer: str = "sgd",
    optimizer_options: Mapping[str, float] | None = None,
    weight_decay: float = 0.0,
    dropout: float = 0.0,
    validation: tuple[ArrayLike, ArrayLike] | None = None,
) -> tuple[Params, np.ndarray]:
    r"""Train an MLP to fit real targets by minibatch gradient descent on the mean squared error.

    The same loop as :func:`train_classifier`, with
    :func:`reference.losses.squared_error` (the mean over the batch and the
    outputs) in place of the cross-entropy.

    Parameters
    ----------
    X : array_like, shape (N, fan_in)
    Y : array_like, shape (N, fan_out of the last layer)
    params, activations, lr, batch_size, epochs, rng
        As for :func:`train_classifier` (any last activation).
    optimizer, optimizer_options, weight_decay, dropout, validation
        As for :func:`train_classifier`; ``validation`` is ``(X_val, Y_val)``.

    Returns
    -------
    (params, losses)
        The trained parameters and the mean squared error on the whole of
        ``X`` before training and after each epoch (with ``validation``, two
        columns: training and validation).
    """
    func = "train_regressor"
    inputs, layers, names = _check(func, X, params, activations, x_name="X")
    width = layers[-1][0].shape[1]
    targets = _real_targets(func, "Y", Y, inputs.shape[0], width)
    held_out = None
    if validation is not None:
        held, held_y = _pair(func, validation)
        held_x = as_float_array(held, func, "validation X", ndim=2, layout="(M, fan_in)")
        held_out = (held_x, _real_targets(func, "validation Y", held_y, held_x.shape[0], width))
    return _train(
        func,
        inputs,
        targets,
        layers,
        names,
        squared_error,
        squared_error_backward,
        lr=lr,
        batch_size=batch_size,
        epochs=epochs,
        rng=rng,
        optimizer=optimizer,
        optimizer_options=optimizer_options,
        weight_decay=weight_decay,
        dropout=dropout,
        held_out=held_out,
    )


def _pair(func: str, validation: Any) -> tuple[Any, Any]:
    if not isinstance(validation, (tuple, list)) or len(validation) != 2:
        raise TypeError(
            f"{func}: validation must be a pair (X_val, targets); got {describe(validation)}"
        )
    return validation[0], validation[1]


def _real_targets(func: str, name: str, Y: ArrayLike, count: int, width: int) -> np.ndarray:
    targets = as_float_array(Y, func, name, ndim=2, layout="(N, fan_out)")
    require_finite(targets, func, name)
    if targets.shape != (count, width):
        raise ValueError(
            f"{func}: {name} must have shape {(count, width)}, one row of outputs "
            f"per row of X; got shape {targets.shape}"
        )
    return targets


def _train(
    func: str,
    inputs: np.ndarray,
    targets: np.ndarray,
    layers: Params,
    names: list[str],
    loss: Callable[[np.ndarray, np.ndarray], float],
    loss_backward: Callable[[float, np.ndarray, np.ndarray], np.ndarray],
    *,
    lr: float,
    batch_size: int,
    epochs: int,
    rng: np.random.Generator,
    optimizer: str,
    optimizer_options: Mapping[str, float] | None,
    weight_decay: float,
    dropout: float,
    held_out: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[Params, np.ndarray]:
    """The model's side of the training loop: its minibatch gradient and what is recorded."""
    rate = as_real(lr, func, "lr", strictly_positive=True, finite=True)
    if optimizer not in OPTIMIZERS:
        raise ValueError(
            f"{func}: optimizer must be one of {sorted(OPTIMIZERS)}; got {optimizer!r}"
        )
    step = make_optimizer(optimizer, lr=rate, **dict(optimizer_options or {}))
    drop_rate = as_real(dropout, func, "dropout", minimum=0.0, finite=True)
    if drop_rate >= 1.0:
        raise ValueError(f"{func}: dropout must be in [0, 1); got {drop_rate!r}")
    require_generator(rng, func)
    # (class targets are checked to lie in [0, 1] already, real targets by the regressor)
    require_finite(inputs, func, "X")
    if held_out is not None:
        require_finite(held_out[0], func, "validation X")

    def unpack(flat: list[np.ndarray]) -> Params:
        return [(flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2)]

    def batch_gradient(flat: list[np.ndarray], rows: np.ndarray) -> tuple[float, list[np.ndarray]]:
        network = unpack(flat)
        drop = None
        if drop_rate:
            masks = [
                inverted_dropout(np.ones((rows.size, w.shape[1])), drop_rate, rng)[1]
                for w, _ in network[:-1]
            ]
            drop = Dropout(drop_rate, masks)
        cache = _forward_pass(inputs[rows], network, names, drop)
        output = ACTIVATIONS[names[-1]][0](cache[-1][1])
        # the minibatch's loss, so that a diverging run is named at its first non-finite step
        batch_loss = loss(output, targets[rows])
        d_output = loss_backward(1.0, output, targets[rows])
        grads = _backward_pass(d_output, cache, network, names, drop)
        return batch_loss, [g for pair in grads for g in pair]

    def evaluate(flat: list[np.ndarray]) -> float | tuple[float, float]:
        network = unpack(flat)
        training = loss(_output(inputs, network, names), targets)
        if held_out is None:
            return training
        return training, loss(_output(held_out[0], network, names), held_out[1])

    flat, history = train_minibatch(
        [p for layer in layers for p in layer],
        batch_gradient,
        samples=inputs.shape[0],
        batch_size=batch_size,
        epochs=epochs,
        rng=rng,
        step=step,
        evaluate=evaluate,
        weight_decay=weight_decay,
        func=func,
    )
    return unpack(flat), history
