r"""The recurrent network: a hidden state that carries what the sequence said so far.

A feed-forward network sees each input alone. A recurrent one reads a sequence
$x_0, x_1, \dots, x_{T-1}$ one step at a time and keeps a state $h_t$ that
depends on every step before: "the behaviour of a hidden neuron depends on
earlier activations". With the weights shared across steps,

$$a_t = x_t W_x + h_{t-1} W_h + b, \qquad h_t = f(a_t),$$

$x_t \in \mathbb R^{N\times F}$ (a batch of $N$ sequences of $F$ features),
$h_t \in \mathbb R^{N\times H}$, $W_x \in \mathbb R^{F\times H}$,
$W_h \in \mathbb R^{H\times H}$, $b \in \mathbb R^H$, $f = \tanh$ by default.

**Backpropagation through time** (BPTT) is the chain rule on the unrolled
loop: the gradient reaching $h_t$ comes from the output at $t$ and from the
step after, $\bar h_t = \partial L / \partial h_t|_{\text{out}} + \bar a_{t+1}
W_h^\top$, and then $\bar a_t = \bar h_t \odot f'(a_t)$. The weights, shared by
every step, sum their gradients over the steps:

$$\begin{aligned}
\bar W_x &= \sum_t x_t^\top \bar a_t,\\
\bar W_h &= \sum_t h_{t-1}^\top \bar a_t,\\
\bar b &= \sum_{t,n} \bar a_{t,n}.
\end{aligned}$$

The gradient reaching $h_0$ from $h_T$ is a product of $T$ Jacobians
$\operatorname{diag}(f'(a_t)) W_h^\top$: its norm shrinks or grows geometrically
with $T$, the vanishing and exploding gradients of Bengio et al. (1994) and
Pascanu et al. (2013).

Shapes are time-major, as in PyTorch's default and ONNX's ``layout=0``; the
activations, ``clip``, ``reverse`` and ``lengths`` are ONNX's and are explained
in :mod:`reference._recurrent`'s docstring (shown on the page). PyTorch's
``nn.RNN`` and ONNX's ``RNN`` store each weight transposed and keep two biases;
:func:`from_torch`, :func:`to_torch` and :func:`from_onnx` convert.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import ArrayLike

from reference import _recurrent, gru, lstm, optim
from reference._recurrent import apply, time_index
from reference._validation import (
    as_float_array,
    as_positive_int,
    require_finite,
    require_flag,
    require_generator,
    require_output_shape,
)

__all__ = [
    "ACTIVATIONS",
    "CELLS",
    "adding_problem",
    "from_onnx",
    "from_torch",
    "init_sequence_regressor",
    "onnx_rnn",
    "predict_sequence_regressor",
    "rnn",
    "rnn_backward",
    "to_torch",
    "train_sequence_regressor",
]

#: The activations the recurrent layers take, by name (ONNX's eleven; see the table above).
ACTIVATIONS: tuple[str, ...] = tuple(_recurrent.ACTIVATIONS)


def rnn(
    x: ArrayLike,
    h0: ArrayLike,
    w_x: ArrayLike,
    w_h: ArrayLike,
    b: ArrayLike,
    *,
    activation: str = "tanh",
    activation_alpha: float | None = None,
    activation_beta: float | None = None,
    clip: float | None = None,
    reverse: bool = False,
    lengths: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Run the recurrence $h_t = f(x_t W_x + h_{t-1} W_h + b)$ over a batch of sequences.

    Parameters
    ----------
    x : array_like, shape (T, N, F)
        The sequences, time first.
    h0 : array_like, shape (N, H)
        The state before the first step.
    w_x : array_like, shape (F, H)
        Input-to-state weights: column $j$ feeds state unit $j$.
    w_h : array_like, shape (H, H)
        State-to-state weights.
    b : array_like, shape (H,)
        The bias (PyTorch's and ONNX's two biases, summed).
    activation : str, default "tanh"
        $f$, by name (the table of :mod:`reference._recurrent`).
    activation_alpha, activation_beta : float, optional
        $f$'s parameters, for the activations that take them (None: the default).
    clip : float, optional
        Bound the input of $f$ to [-clip, clip] (None: no bound).
    reverse : bool, default False
        Read each sequence from its last valid step to its first.
    lengths : array_like of int, shape (N,), optional
        Each sequence's length, in [1, T] (None: all T).

    Returns
    -------
    hs : numpy.ndarray, shape (T, N, H)
        The state after each step, at that step's time index; 0 past a sequence's length.
    h_last : numpy.ndarray, shape (N, H)
        Each sequence's state after its last step.

    Examples
    --------
    >>> hs, h_last = rnn([[[1.0]], [[0.5]]], [[0.0]], [[1.0]], [[0.5]], [0.0],
    ...                  activation="relu")
    >>> hs[:, 0, 0], h_last
    (array([1., 1.]), array([[1.]]))
    """
    call = _check(
        "rnn",
        x,
        h0,
        w_x,
        w_h,
        b,
        activation,
        activation_alpha,
        activation_beta,
        clip,
        reverse,
        lengths,
    )
    hs, h_last, _, _ = _rnn_kernel(*call)
    return hs, h_last


def rnn_backward(
    d_hs: ArrayLike,
    d_h_last: ArrayLike,
    x: ArrayLike,
    h0: ArrayLike,
    w_x: ArrayLike,
    w_h: ArrayLike,
    b: ArrayLike,
    *,
    activation: str = "tanh",
    activation_alpha: float | None = None,
    activation_beta: float | None = None,
    clip: float | None = None,
    reverse: bool = False,
    lengths: ArrayLike | None = None,
    truncate: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of :func:`rnn` by backpropagation through time: ``(dx, dh0, dw_x, dw_h, db)``.

    ``d_hs`` (T, N, H) and ``d_h_last`` (N, H) are the gradients of the loss with respect
    to the two outputs (zeros for an output the loss does not use); the other arguments
    are the forward call's. The forward is run again to recover the states. ``truncate``
    cuts the gradient every so many steps (truncated BPTT; None: full).
    """
    call = _check(
        "rnn_backward",
        x,
        h0,
        w_x,
        w_h,
        b,
        activation,
        activation_alpha,
        activation_beta,
        clip,
        reverse,
        lengths,
    )
    steps, count, _ = call[0].shape
    hidden = call[1].shape[1]
    upstream = require_output_shape(
        d_hs, "rnn_backward", (steps, count, hidden), "(T, N, H)", "d_hs"
    )
    upstream_last = _recurrent.as_state("rnn_backward", "d_h_last", d_h_last, count, hidden)
    window = _recurrent.as_window(truncate, "rnn_backward")
    _, _, slopes, previous = _rnn_kernel(*call)
    return _rnn_backward_kernel(upstream, upstream_last, slopes, previous, window, *call)


def _check(
    func: str,
    x: ArrayLike,
    h0: ArrayLike,
    w_x: ArrayLike,
    w_h: ArrayLike,
    b: ArrayLike,
    activation: Any,
    alpha: Any,
    beta: Any,
    clip: Any,
    reverse: Any,
    lengths: Any,
) -> tuple[Any, ...]:
    inputs = _recurrent.as_sequence_input(func, x)
    steps, count, features = inputs.shape
    state = _recurrent.as_state(func, "h0", h0, count)
    hidden = state.shape[1]
    input_weights = _recurrent.as_weights(func, "w_x", w_x, features, hidden, "(F, H)")
    state_weights = _recurrent.as_weights(func, "w_h", w_h, hidden, hidden, "(H, H)")
    bias = _recurrent.as_bias(func, "b", b, hidden, "(H,)")
    codes, alphas, betas = _recurrent.activation_parameters(
        func, [activation], [alpha], [beta], argument="activation"
    )
    return (
        inputs,
        state,
        input_weights,
        state_weights,
        bias,
        int(codes[0]),
        float(alphas[0]),
        float(betas[0]),
        _recurrent.as_clip(clip, func),
        require_flag(reverse, func, "reverse"),
        _recurrent.as_lengths(lengths, func, count, steps),
    )


@numba.njit(cache=True)
def _rnn_kernel(
    x: np.ndarray,
    h0: np.ndarray,
    w_x: np.ndarray,
    w_h: np.ndarray,
    b: np.ndarray,
    code: int,
    alpha: float,
    beta: float,
    clip: float,
    reverse: bool,
    lengths: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    steps, count, features = x.shape
    hidden = h0.shape[1]
    # x_t W_x for every step at once: one product (T N, F) (F, H)
    xw = np.dot(x.reshape(steps * count, features), w_x).reshape(steps, count, hidden)
    hs = np.zeros((steps, count, hidden))
    # f'(clip(a_t)) clip'(a_t) and h_{t−1}, kept at each time index for the backward
    slopes = np.zeros((steps, count, hidden))
    previous = np.zeros((steps, count, hidden))
    h = h0.copy()
    a = np.zeros((count, hidden))
    value = np.zeros((count, hidden))
    slope = np.zeros((count, hidden))
    for step in range(steps):
        # h_{t−1} W_h for the whole batch
        hw = np.dot(h, w_h)
        for n in range(count):
            t = time_index(step, lengths[n], reverse) if step < lengths[n] else 0
            for j in range(hidden):
                # a_t = x_t W_x + h_{t−1} W_h + b
                a[n, j] = xw[t, n, j] + hw[n, j] + b[j]
        # h_t = f(clip(a_t))
        apply(code, a, alpha, beta, clip, value, slope)
        for n in range(count):
            if step >= lengths[n]:
                continue  # past its length, a sequence's state is carried unchanged
            t = time_index(step, lengths[n], reverse)
            previous[t, n, :] = h[n, :]
            h[n, :] = value[n, :]
            hs[t, n, :] = value[n, :]
            slopes[t, n, :] = slope[n, :]
    return hs, h, slopes, previous


@numba.njit(cache=True)
def _rnn_backward_kernel(
    d_hs: np.ndarray,
    d_h_last: np.ndarray,
    slopes: np.ndarray,
    previous: np.ndarray,
    window: int,
    x: np.ndarray,
    h0: np.ndarray,
    w_x: np.ndarray,
    w_h: np.ndarray,
    b: np.ndarray,
    code: int,
    alpha: float,
    beta: float,
    clip: float,
    reverse: bool,
    lengths: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    steps, count, features = x.shape
    hidden = h0.shape[1]
    # ā_t at each time index (0 where a sequence has ended)
    d_pre = np.zeros((steps, count, hidden))
    # h̄: the gradient reaching the state, from the last state's cotangent first
    dh = d_h_last.copy()
    d_step = np.zeros((count, hidden))
    for step in range(steps - 1, -1, -1):
        d_step[:] = 0.0
        for n in range(count):
            if step >= lengths[n]:
                continue
            t = time_index(step, lengths[n], reverse)
            for j in range(hidden):
                # ā_t = (h̄_t + ∂L/∂h_t from the output at t) f'(clip(a_t)) clip'(a_t)
                d_step[n, j] = (dh[n, j] + d_hs[t, n, j]) * slopes[t, n, j]
                d_pre[t, n, j] = d_step[n, j]
        # h̄_{t−1} = ā_t W_hᵀ
        carried = np.dot(d_step, w_h.T)
        for n in range(count):
            if step < lengths[n]:
                dh[n, :] = carried[n, :]
            # (a sequence past its length carries h̄ unchanged, as it carried h)
        if window and step > 0 and step % window == 0:
            # truncated BPTT: the state entering this window was detached
            dh[:] = 0.0
    rows = steps * count
    flat = d_pre.reshape(rows, hidden)
    # x̄_t = ā_t W_xᵀ
    dx = np.dot(flat, w_x.T).reshape(steps, count, features)
    # W̄_x = Σ_t x_tᵀ ā_t
    dw_x = np.dot(x.reshape(rows, features).T, flat)
    # W̄_h = Σ_t h_{t−1}ᵀ ā_t
    dw_h = np.dot(previous.reshape(rows, hidden).T, flat)
    # b̄ = Σ_{t,n} ā_t
    db = flat.sum(axis=0)
    return dx, dh, dw_x, dw_h, db


def from_torch(
    weight_ih: ArrayLike, weight_hh: ArrayLike, bias_ih: ArrayLike, bias_hh: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""PyTorch's ``nn.RNN`` parameters (one layer, one direction) as ``(w_x, w_h, b)``.

    ``weight_ih_l0`` (H, F) is $W_x^\top$, ``weight_hh_l0`` (H, H) is $W_h^\top$, and
    the two biases (H,) add: $b = b_{ih} + b_{hh}$.
    """
    w_ih = as_float_array(weight_ih, "from_torch", "weight_ih", ndim=2, layout="(H, F)")
    hidden = w_ih.shape[0]
    w_hh = _recurrent.as_weights("from_torch", "weight_hh", weight_hh, hidden, hidden, "(H, H)")
    b_ih = _recurrent.as_bias("from_torch", "bias_ih", bias_ih, hidden, "(H,)")
    b_hh = _recurrent.as_bias("from_torch", "bias_hh", bias_hh, hidden, "(H,)")
    return np.ascontiguousarray(w_ih.T), np.ascontiguousarray(w_hh.T), b_ih + b_hh


def to_torch(
    w_x: ArrayLike, w_h: ArrayLike, b: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(weight_ih, weight_hh, bias_ih, bias_hh)`` for PyTorch: the bias all in ``bias_ih``.

    ``from_torch(*to_torch(w_x, w_h, b))`` gives back ``(w_x, w_h, b)``; the other way
    round, the split of the bias between PyTorch's two is not kept (only their sum acts).
    """
    input_weights = as_float_array(w_x, "to_torch", "w_x", ndim=2, layout="(F, H)")
    hidden = input_weights.shape[1]
    state_weights = _recurrent.as_weights("to_torch", "w_h", w_h, hidden, hidden, "(H, H)")
    bias = _recurrent.as_bias("to_torch", "b", b, hidden, "(H,)")
    return (
        np.ascontiguousarray(input_weights.T),
        np.ascontiguousarray(state_weights.T),
        bias.copy(),
        np.zeros(hidden),
    )


def from_onnx(
    W: ArrayLike, R: ArrayLike, B: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""One direction of ONNX's ``RNN`` weights as ``(w_x, w_h, b)``.

    ``W`` (H, F) is $W_x^\top$, ``R`` (H, H) is $W_h^\top$, ``B`` (2H,) holds
    ``[Wb, Rb]``, which add (zeros when absent).
    """
    w = as_float_array(W, "from_onnx", "W", ndim=2, layout="(H, F)")
    hidden = w.shape[0]
    r = _recurrent.as_weights("from_onnx", "R", R, hidden, hidden, "(H, H)")
    bias = (
        np.zeros(2 * hidden)
        if B is None
        else _recurrent.as_bias("from_onnx", "B", B, 2 * hidden, "(2 H,)")
    )
    return np.ascontiguousarray(w.T), np.ascontiguousarray(r.T), bias[:hidden] + bias[hidden:]


def onnx_rnn(
    X: ArrayLike,
    W: ArrayLike,
    R: ArrayLike,
    B: ArrayLike | None = None,
    sequence_lens: ArrayLike | None = None,
    initial_h: ArrayLike | None = None,
    *,
    hidden_size: int | None = None,
    direction: str = "forward",
    layout: int = 0,
    activations: list[str] | None = None,
    activation_alpha: list[float] | None = None,
    activation_beta: list[float] | None = None,
    clip: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """ONNX's ``RNN`` operator: its inputs, attributes and outputs under ONNX's names.

    ``X`` (T, N, F) (or (N, T, F) with ``layout=1``), ``W`` (num_directions, H, F),
    ``R`` (num_directions, H, H), ``B`` (num_directions, 2H), ``initial_h``
    (num_directions, N, H); ``activations`` in ONNX's spelling (``["Tanh"]`` by
    default, one per direction) with ``activation_alpha`` / ``activation_beta`` consumed
    as :func:`reference._recurrent.onnx_activation_parameters` says. A reverse direction
    reads each sequence backwards from its own length, as ONNX Runtime does.

    Returns ``Y`` (T, num_directions, N, H) (or (N, T, num_directions, H)) and ``Y_h``
    (num_directions, N, H) (or (N, num_directions, H)).
    """
    func = "onnx_rnn"
    x, weights, recurrent, bias, lengths, reverses, hidden = _recurrent.onnx_frame(
        func, X, W, R, B, sequence_lens, gates=1, direction=direction, layout=layout
    )
    _recurrent.as_hidden_size(hidden_size, func, hidden)
    _recurrent.as_clip(clip, func)
    states = _recurrent.onnx_state(
        func, "initial_h", initial_h, len(reverses), x.shape[1], hidden, layout
    )
    settings = _recurrent.onnx_activation_parameters(
        func, activations, activation_alpha, activation_beta, ("tanh",), len(reverses)
    )
    outputs, lasts = [], []
    for d, reverse in enumerate(reverses):
        w_x, w_h, b = from_onnx(weights[d], recurrent[d], bias[d])
        names, alphas, betas = settings[d]
        hs, h_last = rnn(
            x,
            states[d],
            w_x,
            w_h,
            b,
            activation=names[0],
            activation_alpha=alphas[0],
            activation_beta=betas[0],
            clip=clip,
            reverse=reverse,
            lengths=lengths,
        )
        outputs.append(hs)
        lasts.append([h_last])
    Y, Y_h = _recurrent.onnx_outputs(outputs, lasts, layout)
    return Y, Y_h


# A small sequence model: a recurrent layer read out from its last state, on the shared loop

#: The recurrent layers :func:`train_sequence_regressor` can train.
CELLS = ("rnn", "lstm", "gru")

#: How many gate blocks each layer's weights hold.
_GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def adding_problem(
    samples: int, steps: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    r"""The adding problem (Hochreiter and Schmidhuber 1997, in Le et al.'s 2015 form).

    Each sequence has ``steps`` steps of two features: a value uniform on [0, 1], and a
    marker that is 1 at two steps (one drawn in each half of the sequence) and 0 elsewhere.
    The target is the sum of the two marked values. Predicting the mean, 1, has the mean
    squared error $\operatorname{Var}(u_1 + u_2) = 2/12 = 1/6$: a model must carry a value
    across up to ``steps`` steps to do better.

    Returns ``X`` (steps, samples, 2), time first, and ``y`` (samples,).
    """
    func = "adding_problem"
    count = as_positive_int(samples, func, "samples")
    length = as_positive_int(steps, func, "steps")
    if length < 2:
        raise ValueError(f"{func}: steps must be at least 2, one marker in each half; got 1")
    require_generator(rng, func)
    values = rng.uniform(size=(length, count))
    half = length // 2
    first = rng.integers(0, half, size=count)
    second = rng.integers(half, length, size=count)
    markers = np.zeros((length, count))
    markers[first, np.arange(count)] = 1.0
    markers[second, np.arange(count)] = 1.0
    X = np.stack([values, markers], axis=2)
    y = values[first, np.arange(count)] + values[second, np.arange(count)]
    return X, y


def init_sequence_regressor(
    cell: str, features: int, hidden: int, rng: np.random.Generator
) -> list[np.ndarray]:
    r"""Parameters of :func:`train_sequence_regressor`'s model, drawn as PyTorch draws them.

    Every weight and bias uniform on $[-1/\sqrt H, 1/\sqrt H]$ (``nn.RNN``, ``nn.LSTM`` and
    ``nn.GRU``'s default; the LSTM's two biases, summed here, as one draw), and the readout
    $w$ (H, 1), $c$ (1,) the same way. The list is ``[w_x, w_h, b, w, c]``, or ``[w_x, w_h,
    b_x, b_h, w, c]`` for the GRU.
    """
    func = "init_sequence_regressor"
    _require_cell(func, cell)
    size = as_positive_int(hidden, func, "hidden")
    inputs = as_positive_int(features, func, "features")
    require_generator(rng, func)
    scale = 1.0 / np.sqrt(size)
    width = _GATES[cell] * size
    shapes = [(inputs, width), (size, width), (width,)]
    if cell == "gru":
        shapes.append((width,))
    shapes += [(size, 1), (1,)]
    return [rng.uniform(-scale, scale, size=shape) for shape in shapes]


def _require_cell(func: str, cell: Any) -> None:
    if not isinstance(cell, str) or cell not in CELLS:
        raise ValueError(f"{func}: cell must be one of {CELLS}; got {cell!r}")


def _layer(cell: str, x: np.ndarray, params: list[np.ndarray], d_h_last: np.ndarray | None) -> Any:
    """The layer's last state, or with ``d_h_last`` the gradients of its parameters."""
    count, hidden = x.shape[1], params[1].shape[0]
    zeros = np.zeros((count, hidden))
    weights = params[:-2]
    if d_h_last is None:
        if cell == "rnn":
            return rnn(x, zeros, *weights)[1]
        if cell == "lstm":
            return lstm.lstm(x, zeros, zeros, *weights)[1]
        return gru.gru(x, zeros, *weights, linear_before_reset=True)[1]
    no_outputs = np.zeros((x.shape[0], count, hidden))
    if cell == "rnn":
        return list(rnn_backward(no_outputs, d_h_last, x, zeros, *weights)[2:])
    if cell == "lstm":
        return list(lstm.lstm_backward(no_outputs, d_h_last, zeros, x, zeros, zeros, *weights)[3:])
    grads = gru.gru_backward(no_outputs, d_h_last, x, zeros, *weights, linear_before_reset=True)
    return list(grads[2:])


def predict_sequence_regressor(X: ArrayLike, params: list[np.ndarray], cell: str) -> np.ndarray:
    r"""The model's prediction $\hat y = h_T w + c$ for each sequence of ``X`` (T, N, F)."""
    func = "predict_sequence_regressor"
    _require_cell(func, cell)
    inputs = _recurrent.as_sequence_input(func, X)
    return (_layer(cell, inputs, list(params), None) @ params[-2])[:, 0] + params[-1][0]


def train_sequence_regressor(
    X: ArrayLike,
    y: ArrayLike,
    params: list[np.ndarray],
    *,
    cell: str,
    lr: float,
    batch_size: int,
    epochs: int,
    rng: np.random.Generator,
    optimizer: str = "adam",
    max_grad_norm: float | None = None,
    validation: tuple[ArrayLike, ArrayLike] | None = None,
) -> tuple[list[np.ndarray], np.ndarray]:
    r"""Train a recurrent layer and a linear readout of its last state on the squared error.

    The model reads each sequence with ``cell`` (the default activations; the GRU in
    PyTorch's variant) from a zero state, and predicts $\hat y = h_T w + c$; the loss is
    the mean of $(\hat y - y)^2$ over the minibatch. BPTT gives the layer's gradients from
    $\partial L / \partial h_T = \frac2B (\hat y - y) w^\top$. The loop is
    :func:`reference.optim.train_minibatch` (``max_grad_norm`` clips each minibatch's
    gradient, :func:`reference.optim.clip_by_norm`).

    Parameters
    ----------
    X : array_like, shape (T, N, F)
    y : array_like, shape (N,)
    params : list of numpy.ndarray
        The starting point, as :func:`init_sequence_regressor` draws it.
    cell : {"rnn", "lstm", "gru"}
    lr, batch_size, epochs, rng, optimizer
        As for :func:`reference.mlp.train_classifier` (``optimizer`` names one of
        :data:`reference.optim.OPTIMIZERS`; Adam by default).
    validation : (X_val, y_val), optional

    Returns
    -------
    (params, losses)
        The trained parameters and the mean squared error on ``X`` before training and
        after each epoch (with ``validation``, two columns: training and validation).
    """
    func = "train_sequence_regressor"
    _require_cell(func, cell)
    inputs = _recurrent.as_sequence_input(func, X)
    targets = _targets(func, "y", y, inputs.shape[1])
    held_out = None
    pair: Any = validation  # the annotation promises a pair; a caller may pass anything
    if pair is not None:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"{func}: validation must be a pair (X_val, y_val)")
        held_x = _recurrent.as_sequence_input(func, pair[0])
        held_out = (held_x, _targets(func, "validation y", pair[1], held_x.shape[1]))
    start = [as_float_array(p, func, f"params[{i}]") for i, p in enumerate(params)]

    def mse(p: list[np.ndarray], data: np.ndarray, wanted: np.ndarray) -> float:
        return float(np.mean((predict_sequence_regressor(data, p, cell) - wanted) ** 2))

    def batch_gradient(p: list[np.ndarray], rows: np.ndarray) -> tuple[float, list[np.ndarray]]:
        x = inputs[:, rows]
        last = _layer(cell, x, p, None)
        residual = (last @ p[-2])[:, 0] + p[-1][0] - targets[rows]
        # ∂L/∂ŷ = 2 (ŷ − y) / B
        d_prediction = 2.0 * residual / rows.size
        # ∂L/∂w = h_Tᵀ ∂L/∂ŷ, ∂L/∂c = Σ ∂L/∂ŷ, ∂L/∂h_T = ∂L/∂ŷ wᵀ
        d_w = last.T @ d_prediction[:, None]
        d_c = np.array([d_prediction.sum()])
        d_last = d_prediction[:, None] @ p[-2].T
        return float(np.mean(residual**2)), [*_layer(cell, x, p, d_last), d_w, d_c]

    def evaluate(p: list[np.ndarray]) -> Any:
        if held_out is None:
            return mse(p, inputs, targets)
        return (mse(p, inputs, targets), mse(p, *held_out))

    return optim.train_minibatch(
        start,
        batch_gradient,
        samples=inputs.shape[1],
        batch_size=batch_size,
        epochs=epochs,
        rng=rng,
        step=optim.optimizer(optimizer, lr=lr),
        evaluate=evaluate,
        max_grad_norm=max_grad_norm,
        func=func,
    )


def _targets(func: str, name: str, y: ArrayLike, count: int) -> np.ndarray:
    targets = as_float_array(y, func, name, ndim=1, layout="(N,)")
    if targets.shape != (count,):
        raise ValueError(
            f"{func}: {name} must have shape ({count},), one target per sequence; "
            f"got {targets.shape}"
        )
    require_finite(targets, func, name)
    return targets
