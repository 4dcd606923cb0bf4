r"""Long short-term memory: a cell state that gates decide to keep, write and show.

A plain recurrent network multiplies its gradient by $W_h^\top$ and an
activation's slope at every step back, so over many steps it vanishes or
explodes. Hochreiter and Schmidhuber's LSTM (1997, with the forget gate of Gers
et al. 2000) keeps a second state, the cell $c_t$, that is changed only by
addition, under the control of three gates with values in (0, 1):

$$\begin{aligned}
i_t &= \sigma(x_t W_{x,i} + h_{t-1} W_{h,i} + b_i + p_i \odot c_{t-1}),\\
f_t &= \sigma(x_t W_{x,f} + h_{t-1} W_{h,f} + b_f + p_f \odot c_{t-1}),\\
g_t &= \tanh(x_t W_{x,g} + h_{t-1} W_{h,g} + b_g),\\
c_t &= f_t \odot c_{t-1} + i_t \odot g_t,\\
o_t &= \sigma(x_t W_{x,o} + h_{t-1} W_{h,o} + b_o + p_o \odot c_t),\\
h_t &= o_t \odot \tanh(c_t),
\end{aligned}$$

with $i_t$, $f_t$ and $o_t$ the input, forget and output gates, $g_t$ the candidate and
$c_t$ the cell.

Along the cell the gradient is multiplied by $f_t$ only, $\partial c_t /
\partial c_{t-1} = \operatorname{diag}(f_t)$ (plus the paths through the
gates): with the forget gate open it passes many steps undiminished, which is
how "LSTMs solve the unstable-gradient problem". The peepholes $p$ (Gers and
Schmidhuber 2000) are optional, as is ONNX's ``input_forget``, which couples
the gates, $f_t = 1 - i_t$.

The gate blocks lie along the last axis of the weights in the order
**i, f, g, o** (PyTorch's): ``w_x (F, 4H)``, ``w_h (H, 4H)``, ``b (4H,)``;
the peepholes ``(3, H)`` in the order i, f, o. The three activations
($\sigma$, $\tanh$, $\tanh$ above; ONNX's $f$, $g$, $h$), ``clip``,
``reverse`` and ``lengths`` are ONNX's (:mod:`reference._recurrent`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numba
import numpy as np
from numpy.typing import ArrayLike

from reference import _recurrent
from reference._recurrent import apply, time_index
from reference._validation import as_float_array, require_flag, require_output_shape

__all__ = [
    "from_onnx",
    "from_torch",
    "lstm",
    "lstm_backward",
    "lstm_gates",
    "onnx_lstm",
    "to_torch",
]


def lstm(
    x: ArrayLike,
    h0: ArrayLike,
    c0: ArrayLike,
    w_x: ArrayLike,
    w_h: ArrayLike,
    b: ArrayLike,
    *,
    peepholes: ArrayLike | None = None,
    input_forget: bool = False,
    activations: Sequence[str] = ("sigmoid", "tanh", "tanh"),
    activation_alpha: Sequence[float | None] | None = None,
    activation_beta: Sequence[float | None] | None = None,
    clip: float | None = None,
    reverse: bool = False,
    lengths: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Run the LSTM over a batch of sequences.

    Parameters
    ----------
    x : array_like, shape (T, N, F)
        The sequences, time first.
    h0, c0 : array_like, shape (N, H)
        The output and cell states before the first step.
    w_x : array_like, shape (F, 4H)
        Input weights, the gate blocks i, f, g, o side by side.
    w_h : array_like, shape (H, 4H)
        State weights, in the same blocks.
    b : array_like, shape (4H,)
        The bias (PyTorch's and ONNX's two biases, summed).
    peepholes : array_like, shape (3, H), optional
        $p_i$, $p_f$, $p_o$ (None: no peepholes).
    input_forget : bool, default False
        Couple the forget gate to the input gate, $f_t = 1 - i_t$.
    activations : three names, default ("sigmoid", "tanh", "tanh")
        ONNX's $f$ (the gates), $g$ (the candidate) and $h$ (the output).
    activation_alpha, activation_beta : three numbers or Nones, optional
        One per activation, for those that take the parameter (None: the default).
    clip : float, optional
        Bound the input of every activation to [-clip, clip] (None: no bound).
    reverse : bool, default False
        Read each sequence from its last valid step to its first.
    lengths : array_like of int, shape (N,), optional
        Each sequence's length, in [1, T] (None: all T).

    Returns
    -------
    hs : numpy.ndarray, shape (T, N, H)
        $h_t$ after each step, at that step's time index; 0 past a sequence's length.
    h_last, c_last : numpy.ndarray, shape (N, H)
        Each sequence's output and cell states after its last step.

    Examples
    --------
    With every weight 0 each gate is $\sigma(0) = 1/2$ and the candidate is 0, so the cell
    halves at each step:

    >>> zeros = np.zeros
    >>> hs, h_last, c_last = lstm(zeros((2, 1, 1)), zeros((1, 1)), [[1.0]], zeros((1, 4)),
    ...                           zeros((1, 4)), zeros(4))
    >>> c_last
    array([[0.25]])
    """
    call = _check(
        "lstm",
        x,
        h0,
        c0,
        w_x,
        w_h,
        b,
        peepholes,
        input_forget,
        activations,
        activation_alpha,
        activation_beta,
        clip,
        reverse,
        lengths,
    )
    hs, h_last, c_last, *_ = _lstm_kernel(*call[:-1])
    return hs, h_last, c_last


def lstm_gates(
    x: ArrayLike,
    h0: ArrayLike,
    c0: ArrayLike,
    w_x: ArrayLike,
    w_h: ArrayLike,
    b: ArrayLike,
    **options: Any,
) -> dict[str, np.ndarray]:
    """What the LSTM computes inside, step by step: its gates and its cell.

    The arguments are :func:`lstm`'s. Returns ``{"i", "f", "g", "o", "c"}``, each (T, N, H)
    at the time index of each step (0 past a sequence's length): the gates' values, the
    candidate and the cell state $c_t$.
    """
    call = _check(
        "lstm_gates",
        x,
        h0,
        c0,
        w_x,
        w_h,
        b,
        options.pop("peepholes", None),
        options.pop("input_forget", False),
        options.pop("activations", ("sigmoid", "tanh", "tanh")),
        options.pop("activation_alpha", None),
        options.pop("activation_beta", None),
        options.pop("clip", None),
        options.pop("reverse", False),
        options.pop("lengths", None),
    )
    if options:
        raise TypeError(f"lstm_gates: unknown options {sorted(options)}; lstm's are accepted")
    _, _, _, gates, _, _, _, cells = _lstm_kernel(*call[:-1])
    hidden = call[1].shape[1]
    found = {name: gates[:, :, k * hidden : (k + 1) * hidden] for k, name in enumerate("ifgo")}
    return {**found, "c": cells}


def lstm_backward(
    d_hs: ArrayLike,
    d_h_last: ArrayLike,
    d_c_last: ArrayLike,
    x: ArrayLike,
    h0: ArrayLike,
    c0: ArrayLike,
    w_x: ArrayLike,
    w_h: ArrayLike,
    b: ArrayLike,
    *,
    peepholes: ArrayLike | None = None,
    input_forget: bool = False,
    activations: Sequence[str] = ("sigmoid", "tanh", "tanh"),
    activation_alpha: Sequence[float | None] | None = None,
    activation_beta: Sequence[float | None] | None = None,
    clip: float | None = None,
    reverse: bool = False,
    lengths: ArrayLike | None = None,
    truncate: int | None = None,
) -> tuple[np.ndarray, ...]:
    r"""Gradients of :func:`lstm` by backpropagation through time.

    ``d_hs`` (T, N, H), ``d_h_last`` and ``d_c_last`` (N, H) are the gradients of the loss
    with respect to the three outputs. Returns ``(dx, dh0, dc0, dw_x, dw_h, db)``, and
    ``d_peepholes`` (3, H) after them when ``peepholes`` is given. ``truncate`` cuts the
    gradient every so many steps (truncated BPTT; None: full).
    """
    func = "lstm_backward"
    call = _check(
        func,
        x,
        h0,
        c0,
        w_x,
        w_h,
        b,
        peepholes,
        input_forget,
        activations,
        activation_alpha,
        activation_beta,
        clip,
        reverse,
        lengths,
    )
    steps, count, _ = call[0].shape
    hidden = call[1].shape[1]
    upstream = require_output_shape(d_hs, func, (steps, count, hidden), "(T, N, H)", "d_hs")
    upstream_h = _recurrent.as_state(func, "d_h_last", d_h_last, count, hidden)
    upstream_c = _recurrent.as_state(func, "d_c_last", d_c_last, count, hidden)
    window = _recurrent.as_window(truncate, func)
    _, _, _, gates, slopes, previous, cells_before, cells = _lstm_kernel(*call[:-1])
    grads = _lstm_backward_kernel(
        upstream,
        upstream_h,
        upstream_c,
        gates,
        slopes,
        previous,
        cells_before,
        cells,
        window,
        *call[:-1],
    )
    return grads if call[-1] else grads[:-1]


def _check(
    func: str,
    x: ArrayLike,
    h0: ArrayLike,
    c0: ArrayLike,
    w_x: ArrayLike,
    w_h: ArrayLike,
    b: ArrayLike,
    peepholes: Any,
    input_forget: Any,
    activations: Any,
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
    cell = _recurrent.as_state(func, "c0", c0, count, hidden)
    input_weights = _recurrent.as_weights(func, "w_x", w_x, features, 4 * hidden, "(F, 4H)")
    state_weights = _recurrent.as_weights(func, "w_h", w_h, hidden, 4 * hidden, "(H, 4H)")
    bias = _recurrent.as_bias(func, "b", b, 4 * hidden, "(4H,)")
    if peepholes is None:
        peep = np.zeros((3, hidden))
    else:
        peep = _recurrent.as_weights(func, "peepholes", peepholes, 3, hidden, "(3, H)")
    names = _recurrent.as_names(func, activations, 3)
    codes, alphas, betas = _recurrent.activation_parameters(func, names, alpha, beta)
    return (
        inputs,
        state,
        cell,
        input_weights,
        state_weights,
        bias,
        peep,
        require_flag(input_forget, func, "input_forget"),
        codes,
        alphas,
        betas,
        _recurrent.as_clip(clip, func),
        require_flag(reverse, func, "reverse"),
        _recurrent.as_lengths(lengths, func, count, steps),
        peepholes is not None,
    )


@numba.njit(cache=True)
def _lstm_kernel(
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    w_x: np.ndarray,
    w_h: np.ndarray,
    b: np.ndarray,
    peep: np.ndarray,
    input_forget: bool,
    codes: np.ndarray,
    alphas: np.ndarray,
    betas: np.ndarray,
    clip: float,
    reverse: bool,
    lengths: np.ndarray,
) -> tuple[np.ndarray, ...]:
    steps, count, features = x.shape
    hidden = h0.shape[1]
    width = 4 * hidden
    i_, f_, g_, o_ = 0, hidden, 2 * hidden, 3 * hidden
    # x_t W_x for every step at once: one product (T N, F) (F, 4H)
    xw = np.dot(x.reshape(steps * count, features), w_x).reshape(steps, count, width)
    hs = np.zeros((steps, count, hidden))
    # kept at each time index for the backward: the gates (i, f, g, o) and h(clip(c_t)),
    # their slopes, h_{t−1}, c_{t−1} and c_t
    gates = np.zeros((steps, count, width + hidden))
    slopes = np.zeros((steps, count, width + hidden))
    previous = np.zeros((steps, count, hidden))
    cells_before = np.zeros((steps, count, hidden))
    cells = np.zeros((steps, count, hidden))
    h = h0.copy()
    c = c0.copy()
    a = np.zeros((count, width))
    value = np.zeros((count, width + hidden))
    slope = np.zeros((count, width + hidden))
    for step in range(steps):
        # h_{t−1} W_h for the whole batch
        hw = np.dot(h, w_h)
        for n in range(count):
            t = time_index(step, lengths[n], reverse) if step < lengths[n] else 0
            for k in range(width):
                # a = x_t W_x + h_{t−1} W_h + b
                a[n, k] = xw[t, n, k] + hw[n, k] + b[k]
            for j in range(hidden):
                # a_i += p_i c_{t−1}, a_f += p_f c_{t−1}
                a[n, i_ + j] += peep[0, j] * c[n, j]
                a[n, f_ + j] += peep[1, j] * c[n, j]
        # i = f(clip(a_i)), f = f(clip(a_f)), g = g(clip(a_g))
        apply(codes[0], a[:, i_:g_], alphas[0], betas[0], clip, value[:, i_:g_], slope[:, i_:g_])
        apply(codes[1], a[:, g_:o_], alphas[1], betas[1], clip, value[:, g_:o_], slope[:, g_:o_])
        for n in range(count):
            for j in range(hidden):
                if input_forget:
                    # f = 1 − i (coupled gates)
                    value[n, f_ + j] = 1.0 - value[n, i_ + j]
                c_prev = c[n, j]
                # c_t = f c_{t−1} + i g
                c_new = value[n, f_ + j] * c_prev + value[n, i_ + j] * value[n, g_ + j]
                if step < lengths[n]:
                    cells_before[time_index(step, lengths[n], reverse), n, j] = c_prev
                    c[n, j] = c_new
                # a_o += p_o c_t
                a[n, o_ + j] += peep[2, j] * c_new
        # o = f(clip(a_o)), and h(clip(c_t)) after the gates
        apply(
            codes[0], a[:, o_:], alphas[0], betas[0], clip, value[:, o_:width], slope[:, o_:width]
        )
        apply(codes[2], c, alphas[2], betas[2], clip, value[:, width:], slope[:, width:])
        for n in range(count):
            if step >= lengths[n]:
                continue  # past its length, a sequence's states are carried unchanged
            t = time_index(step, lengths[n], reverse)
            for j in range(hidden):
                previous[t, n, j] = h[n, j]
                # h_t = o h(clip(c_t))
                h[n, j] = value[n, o_ + j] * value[n, width + j]
                hs[t, n, j] = h[n, j]
                cells[t, n, j] = c[n, j]
            gates[t, n, :] = value[n, :]
            slopes[t, n, :] = slope[n, :]
    return hs, h, c, gates, slopes, previous, cells_before, cells


@numba.njit(cache=True)
def _lstm_backward_kernel(
    d_hs: np.ndarray,
    d_h_last: np.ndarray,
    d_c_last: np.ndarray,
    gates: np.ndarray,
    slopes: np.ndarray,
    previous: np.ndarray,
    cells_before: np.ndarray,
    cells: np.ndarray,
    window: int,
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    w_x: np.ndarray,
    w_h: np.ndarray,
    b: np.ndarray,
    peep: np.ndarray,
    input_forget: bool,
    codes: np.ndarray,
    alphas: np.ndarray,
    betas: np.ndarray,
    clip: float,
    reverse: bool,
    lengths: np.ndarray,
) -> tuple[np.ndarray, ...]:
    steps, count, features = x.shape
    hidden = h0.shape[1]
    width = 4 * hidden
    i_, f_, g_, o_ = 0, hidden, 2 * hidden, 3 * hidden
    # ā = (ā_i, ā_f, ā_g, ā_o) at each time index (0 where a sequence has ended)
    d_pre = np.zeros((steps, count, width))
    d_peep = np.zeros((3, hidden))
    # h̄ and c̄: the gradients reaching the states, from the last states' cotangents first
    dh = d_h_last.copy()
    dc = d_c_last.copy()
    d_step = np.zeros((count, width))
    for step in range(steps - 1, -1, -1):
        d_step[:] = 0.0
        for n in range(count):
            if step >= lengths[n]:
                continue
            t = time_index(step, lengths[n], reverse)
            for j in range(hidden):
                gate_i, gate_f = gates[t, n, i_ + j], gates[t, n, f_ + j]
                gate_g, gate_o = gates[t, n, g_ + j], gates[t, n, o_ + j]
                shown = gates[t, n, width + j]
                c_prev = cells_before[t, n, j]
                # h̄_t += ∂L/∂h_t from the output at t
                total_h = dh[n, j] + d_hs[t, n, j]
                # ā_o = h̄ h(clip(c_t)) f'(clip(a_o)) clip'(a_o)
                da_o = total_h * shown * slopes[t, n, o_ + j]
                # c̄_t += h̄ o h'(clip(c_t)) clip'(c_t) + ā_o p_o
                total_c = dc[n, j] + total_h * gate_o * slopes[t, n, width + j] + da_o * peep[2, j]
                # ī = c̄ g, ḡ = c̄ i, f̄ = c̄ c_{t−1}
                d_i = total_c * gate_g
                d_f = total_c * c_prev
                if input_forget:
                    # f = 1 − i: f̄ reaches i with a minus sign, and a_f is not used
                    d_i -= d_f
                    da_f = 0.0
                else:
                    # ā_f = f̄ f'(clip(a_f)) clip'(a_f)
                    da_f = d_f * slopes[t, n, f_ + j]
                # ā_i = ī f'(clip(a_i)) clip'(a_i), ā_g = ḡ g'(clip(a_g)) clip'(a_g)
                da_i = d_i * slopes[t, n, i_ + j]
                da_g = total_c * gate_i * slopes[t, n, g_ + j]
                # c̄_{t−1} = c̄_t f + ā_i p_i + ā_f p_f
                dc[n, j] = total_c * gate_f + da_i * peep[0, j] + da_f * peep[1, j]
                # p̄_i += ā_i c_{t−1}, p̄_f += ā_f c_{t−1}, p̄_o += ā_o c_t
                d_peep[0, j] += da_i * c_prev
                d_peep[1, j] += da_f * c_prev
                d_peep[2, j] += da_o * cells[t, n, j]
                d_step[n, i_ + j] = da_i
                d_step[n, f_ + j] = da_f
                d_step[n, g_ + j] = da_g
                d_step[n, o_ + j] = da_o
            d_pre[t, n, :] = d_step[n, :]
        # h̄_{t−1} = ā W_hᵀ
        carried = np.dot(d_step, w_h.T)
        for n in range(count):
            if step < lengths[n]:
                dh[n, :] = carried[n, :]
        if window and step > 0 and step % window == 0:
            # truncated BPTT: the states entering this window were detached
            dh[:] = 0.0
            dc[:] = 0.0
    rows = steps * count
    flat = d_pre.reshape(rows, width)
    # x̄_t = ā_t W_xᵀ
    dx = np.dot(flat, w_x.T).reshape(steps, count, features)
    # W̄_x = Σ_t x_tᵀ ā_t
    dw_x = np.dot(x.reshape(rows, features).T, flat)
    # W̄_h = Σ_t h_{t−1}ᵀ ā_t
    dw_h = np.dot(previous.reshape(rows, hidden).T, flat)
    # b̄ = Σ_{t,n} ā_t
    db = flat.sum(axis=0)
    return dx, dh, dc, dw_x, dw_h, db, d_peep


#: Where ONNX's gate blocks (i, o, f, c) go in ours (i, f, g, o), and its peepholes (i, o, f).
_ONNX_GATES = (0, 2, 3, 1)
_ONNX_PEEPHOLES = (0, 2, 1)


def from_torch(
    weight_ih: ArrayLike, weight_hh: ArrayLike, bias_ih: ArrayLike, bias_hh: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""PyTorch's ``nn.LSTM`` parameters (one layer, one direction) as ``(w_x, w_h, b)``.

    ``weight_ih_l0`` (4H, F) is $W_x^\top$ with the same gate blocks i, f, g, o,
    ``weight_hh_l0`` (4H, H) is $W_h^\top$, and the two biases (4H,) add.
    """
    func = "from_torch"
    w_ih = as_float_array(weight_ih, func, "weight_ih", ndim=2, layout="(4H, F)")
    hidden = _recurrent.gate_rows(func, "weight_ih", w_ih, 4)
    w_hh = _recurrent.as_weights(func, "weight_hh", weight_hh, 4 * hidden, hidden, "(4H, H)")
    b_ih = _recurrent.as_bias(func, "bias_ih", bias_ih, 4 * hidden, "(4H,)")
    b_hh = _recurrent.as_bias(func, "bias_hh", bias_hh, 4 * hidden, "(4H,)")
    return np.ascontiguousarray(w_ih.T), np.ascontiguousarray(w_hh.T), b_ih + b_hh


def to_torch(
    w_x: ArrayLike, w_h: ArrayLike, b: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(weight_ih, weight_hh, bias_ih, bias_hh)`` for PyTorch: the bias all in ``bias_ih``.

    ``from_torch(*to_torch(w_x, w_h, b))`` gives back ``(w_x, w_h, b)``.
    """
    func = "to_torch"
    input_weights = as_float_array(w_x, func, "w_x", ndim=2, layout="(F, 4H)")
    hidden = _recurrent.gate_rows(func, "w_x", input_weights.T, 4)
    state_weights = _recurrent.as_weights(func, "w_h", w_h, hidden, 4 * hidden, "(H, 4H)")
    bias = _recurrent.as_bias(func, "b", b, 4 * hidden, "(4H,)")
    return (
        np.ascontiguousarray(input_weights.T),
        np.ascontiguousarray(state_weights.T),
        bias.copy(),
        np.zeros(4 * hidden),
    )


def from_onnx(
    W: ArrayLike, R: ArrayLike, B: ArrayLike | None = None, P: ArrayLike | None = None
) -> tuple[np.ndarray, ...]:
    r"""One direction of ONNX's ``LSTM`` weights as ``(w_x, w_h, b)``, or with ``peepholes``.

    ONNX stores the gates in the order i, o, f, c: ``W`` (4H, F) and ``R`` (4H, H) are
    $W_x^\top$ and $W_h^\top$ with their blocks in that order, ``B`` (8H,) is ``[Wb, Rb]``
    (which add), ``P`` (3H,) is $p_i, p_o, p_f$. Returns ``(w_x, w_h, b)``, and the
    peepholes (3, H) in our order i, f, o after them when ``P`` is given.
    """
    func = "from_onnx"
    w = as_float_array(W, func, "W", ndim=2, layout="(4H, F)")
    hidden = _recurrent.gate_rows(func, "W", w, 4)
    r = _recurrent.as_weights(func, "R", R, 4 * hidden, hidden, "(4H, H)")
    bias = (
        np.zeros(8 * hidden) if B is None else _recurrent.as_bias(func, "B", B, 8 * hidden, "(8H,)")
    )
    summed = bias[: 4 * hidden] + bias[4 * hidden :]
    params: tuple[np.ndarray, ...] = (
        np.ascontiguousarray(_recurrent.blocks(w, _ONNX_GATES, hidden).T),
        np.ascontiguousarray(_recurrent.blocks(r, _ONNX_GATES, hidden).T),
        _recurrent.blocks(summed, _ONNX_GATES, hidden),
    )
    if P is None:
        return params
    peep = _recurrent.as_bias(func, "P", P, 3 * hidden, "(3H,)")
    return (*params, _recurrent.blocks(peep, _ONNX_PEEPHOLES, hidden).reshape(3, hidden))


def onnx_lstm(
    X: ArrayLike,
    W: ArrayLike,
    R: ArrayLike,
    B: ArrayLike | None = None,
    sequence_lens: ArrayLike | None = None,
    initial_h: ArrayLike | None = None,
    initial_c: ArrayLike | None = None,
    P: ArrayLike | None = None,
    *,
    hidden_size: int | None = None,
    direction: str = "forward",
    layout: int = 0,
    activations: list[str] | None = None,
    activation_alpha: list[float] | None = None,
    activation_beta: list[float] | None = None,
    clip: float | None = None,
    input_forget: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ONNX's ``LSTM`` operator: its inputs, attributes and outputs under ONNX's names.

    ``W`` (num_directions, 4H, F), ``R`` (num_directions, 4H, H), ``B`` (num_directions,
    8H), ``P`` (num_directions, 3H), gates in ONNX's order i, o, f, c; ``activations``
    in ONNX's spelling, three per direction (``["Sigmoid", "Tanh", "Tanh"]`` by
    default), their parameters consumed as
    :func:`reference._recurrent.onnx_activation_parameters` says.

    Returns ``Y`` (T, num_directions, N, H), ``Y_h`` and ``Y_c`` (num_directions, N, H)
    (with ``layout=1``: (N, T, num_directions, H) and (N, num_directions, H)).
    """
    func = "onnx_lstm"
    x, weights, recurrent, bias, lengths, reverses, hidden = _recurrent.onnx_frame(
        func, X, W, R, B, sequence_lens, gates=4, direction=direction, layout=layout
    )
    _recurrent.as_hidden_size(hidden_size, func, hidden)
    _recurrent.as_clip(clip, func)
    if isinstance(input_forget, bool) or input_forget not in (0, 1):
        raise ValueError(f"{func}: input_forget must be 0 or 1; got {input_forget!r}")
    dirs, count = len(reverses), x.shape[1]
    states = _recurrent.onnx_state(func, "initial_h", initial_h, dirs, count, hidden, layout)
    cells = _recurrent.onnx_state(func, "initial_c", initial_c, dirs, count, hidden, layout)
    if P is not None:
        peep_all = as_float_array(P, func, "P", ndim=2, layout="(num_directions, 3H)")
        if peep_all.shape != (dirs, 3 * hidden):
            raise ValueError(
                f"{func}: P must have shape (num_directions, 3H) = {(dirs, 3 * hidden)}; "
                f"got {peep_all.shape}"
            )
    settings = _recurrent.onnx_activation_parameters(
        func, activations, activation_alpha, activation_beta, ("sigmoid", "tanh", "tanh"), dirs
    )
    outputs, lasts = [], []
    for d, reverse in enumerate(reverses):
        params = from_onnx(weights[d], recurrent[d], bias[d], None if P is None else peep_all[d])
        names, alphas, betas = settings[d]
        hs, h_last, c_last = lstm(
            x,
            states[d],
            cells[d],
            *params[:3],
            peepholes=params[3] if P is not None else None,
            input_forget=bool(input_forget),
            activations=names,
            activation_alpha=alphas,
            activation_beta=betas,
            clip=clip,
            reverse=reverse,
            lengths=lengths,
        )
        outputs.append(hs)
        lasts.append([h_last, c_last])
    Y, Y_h, Y_c = _recurrent.onnx_outputs(outputs, lasts, layout)
    return Y, Y_h, Y_c
