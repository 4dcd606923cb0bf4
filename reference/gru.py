r"""The gated recurrent unit: an LSTM's gating with one state and two gates.

Cho et al. (2014) keep the LSTM's idea, a state changed by interpolation under
a gate, with one state and two gates: the update gate $z_t$ chooses between
the old state and a candidate $n_t$, and the reset gate $r_t$ chooses how much
of the old state the candidate sees.

$$\begin{aligned}
r_t &= \sigma(x_t W_{x,r} + b_{x,r} + h_{t-1} W_{h,r} + b_{h,r}),\\
z_t &= \sigma(x_t W_{x,z} + b_{x,z} + h_{t-1} W_{h,z} + b_{h,z}),\\
n_t &= \tanh\bigl(x_t W_{x,n} + b_{x,n}\\
&\qquad + r_t \odot (h_{t-1} W_{h,n} + b_{h,n})\bigr)\quad\text{or}\\
n_t &= \tanh\bigl(x_t W_{x,n} + b_{x,n}\\
&\qquad + (r_t \odot h_{t-1}) W_{h,n} + b_{h,n}\bigr),\\
h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1},
\end{aligned}$$

with $r_t$ the reset gate, $z_t$ the update gate and $n_t$ the candidate, reset after the
state's product (the first) or before it (the second). The two candidates are the two
variants in use, and they are **not** the same function: PyTorch, cuDNN and Keras's
``reset_after=True`` apply the reset after the state's product (ONNX's
``linear_before_reset=1``); Cho et al.'s paper, ONNX's default (``linear_before_reset=0``)
and Keras's ``reset_after=False`` before it. Exporting one as the other is a known source
of wrong results, so
``linear_before_reset`` has no default here: every call says which. The two agree
where $r_t = 1$; the bias $b_{h,n}$ is why there are two biases (it sits inside
the reset in the first variant).

Gate blocks lie along the last axis in the order **r, z, n** (PyTorch's):
``w_x (F, 3H)``, ``w_h (H, 3H)``, ``b_x`` and ``b_h (3H,)``. ONNX stores z, r, h.
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

__all__ = ["from_onnx", "from_torch", "gru", "gru_backward", "onnx_gru", "to_torch"]

_NO_DEFAULT = (
    "linear_before_reset must be given, True (reset after the state's product: PyTorch, "
    "cuDNN, ONNX's linear_before_reset=1) or False (before it: Cho et al., ONNX's default)"
)


def gru(
    x: ArrayLike,
    h0: ArrayLike,
    w_x: ArrayLike,
    w_h: ArrayLike,
    b_x: ArrayLike,
    b_h: ArrayLike,
    *,
    linear_before_reset: bool | None = None,
    activations: Sequence[str] = ("sigmoid", "tanh"),
    activation_alpha: Sequence[float | None] | None = None,
    activation_beta: Sequence[float | None] | None = None,
    clip: float | None = None,
    reverse: bool = False,
    lengths: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Run the GRU over a batch of sequences.

    Parameters
    ----------
    x : array_like, shape (T, N, F)
        The sequences, time first.
    h0 : array_like, shape (N, H)
        The state before the first step.
    w_x : array_like, shape (F, 3H)
        Input weights, the gate blocks r, z, n side by side.
    w_h : array_like, shape (H, 3H)
        State weights, in the same blocks.
    b_x, b_h : array_like, shape (3H,)
        The input and state biases (PyTorch's ``bias_ih`` and ``bias_hh``).
    linear_before_reset : bool, required
        True: $n_t = g(x_t W_{x,n} + b_{x,n} + r_t \odot (h_{t-1} W_{h,n} + b_{h,n}))$
        (PyTorch). False: $n_t = g(x_t W_{x,n} + b_{x,n} + (r_t \odot h_{t-1}) W_{h,n} +
        b_{h,n})$ (ONNX's default). No default: the two differ.
    activations : two names, default ("sigmoid", "tanh")
        ONNX's $f$ (the gates) and $g$ (the candidate).
    activation_alpha, activation_beta : two numbers or Nones, optional
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
        The state after each step, at that step's time index; 0 past a sequence's length.
    h_last : numpy.ndarray, shape (N, H)
        Each sequence's state after its last step.

    Examples
    --------
    With every weight 0 both gates are 1/2 and the candidate is 0: the state halves.

    >>> zeros = np.zeros
    >>> hs, h_last = gru(zeros((1, 1, 1)), [[1.0]], zeros((1, 3)), zeros((1, 3)), zeros(3),
    ...                  zeros(3), linear_before_reset=True)
    >>> h_last
    array([[0.5]])
    """
    call = _check(
        "gru",
        x,
        h0,
        w_x,
        w_h,
        b_x,
        b_h,
        linear_before_reset,
        activations,
        activation_alpha,
        activation_beta,
        clip,
        reverse,
        lengths,
    )
    hs, h_last, *_ = _gru_kernel(*call)
    return hs, h_last


def gru_backward(
    d_hs: ArrayLike,
    d_h_last: ArrayLike,
    x: ArrayLike,
    h0: ArrayLike,
    w_x: ArrayLike,
    w_h: ArrayLike,
    b_x: ArrayLike,
    b_h: ArrayLike,
    *,
    linear_before_reset: bool | None = None,
    activations: Sequence[str] = ("sigmoid", "tanh"),
    activation_alpha: Sequence[float | None] | None = None,
    activation_beta: Sequence[float | None] | None = None,
    clip: float | None = None,
    reverse: bool = False,
    lengths: ArrayLike | None = None,
    truncate: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of :func:`gru` by BPTT: ``(dx, dh0, dw_x, dw_h, db_x, db_h)``.

    ``d_hs`` (T, N, H) and ``d_h_last`` (N, H) are the gradients of the loss with respect
    to the two outputs; the other arguments are the forward call's. ``truncate`` cuts the
    gradient every so many steps (truncated BPTT; None: full).
    """
    func = "gru_backward"
    call = _check(
        func,
        x,
        h0,
        w_x,
        w_h,
        b_x,
        b_h,
        linear_before_reset,
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
    window = _recurrent.as_window(truncate, func)
    _, _, gates, slopes, state_sides, n_inputs, previous = _gru_kernel(*call)
    dx, dh0, dw_x, dw_h, db_x, db_h = _gru_backward_kernel(
        upstream, upstream_h, gates, slopes, state_sides, n_inputs, previous, window, *call
    )
    return dx, dh0, dw_x, dw_h, db_x, db_h


def _check(
    func: str,
    x: ArrayLike,
    h0: ArrayLike,
    w_x: ArrayLike,
    w_h: ArrayLike,
    b_x: ArrayLike,
    b_h: ArrayLike,
    linear_before_reset: Any,
    activations: Any,
    alpha: Any,
    beta: Any,
    clip: Any,
    reverse: Any,
    lengths: Any,
) -> tuple[Any, ...]:
    if linear_before_reset is None:
        raise TypeError(f"{func}: {_NO_DEFAULT}")
    after = require_flag(linear_before_reset, func, "linear_before_reset")
    inputs = _recurrent.as_sequence_input(func, x)
    steps, count, features = inputs.shape
    state = _recurrent.as_state(func, "h0", h0, count)
    hidden = state.shape[1]
    input_weights = _recurrent.as_weights(func, "w_x", w_x, features, 3 * hidden, "(F, 3H)")
    state_weights = _recurrent.as_weights(func, "w_h", w_h, hidden, 3 * hidden, "(H, 3H)")
    input_bias = _recurrent.as_bias(func, "b_x", b_x, 3 * hidden, "(3H,)")
    state_bias = _recurrent.as_bias(func, "b_h", b_h, 3 * hidden, "(3H,)")
    names = _recurrent.as_names(func, activations, 2)
    codes, alphas, betas = _recurrent.activation_parameters(func, names, alpha, beta)
    return (
        inputs,
        state,
        input_weights,
        state_weights,
        input_bias,
        state_bias,
        after,
        codes,
        alphas,
        betas,
        _recurrent.as_clip(clip, func),
        require_flag(reverse, func, "reverse"),
        _recurrent.as_lengths(lengths, func, count, steps),
    )


@numba.njit(cache=True)
def _gru_kernel(
    x: np.ndarray,
    h0: np.ndarray,
    w_x: np.ndarray,
    w_h: np.ndarray,
    b_x: np.ndarray,
    b_h: np.ndarray,
    after: bool,
    codes: np.ndarray,
    alphas: np.ndarray,
    betas: np.ndarray,
    clip: float,
    reverse: bool,
    lengths: np.ndarray,
) -> tuple[np.ndarray, ...]:
    steps, count, features = x.shape
    hidden = h0.shape[1]
    r_, z_, n_ = 0, hidden, 2 * hidden
    # x_t W_x for every step at once: one product (T N, F) (F, 3H)
    xw = np.dot(x.reshape(steps * count, features), w_x).reshape(steps, count, 3 * hidden)
    hs = np.zeros((steps, count, hidden))
    # kept at each time index for the backward: r, z, n and their slopes, the state side
    # of the candidate (h W_h,n + b_h,n, or (r h) W_h,n + b_h,n), what multiplies W_h,n
    # (h_{t−1} or r ⊙ h_{t−1}) and h_{t−1}
    gates = np.zeros((steps, count, 3 * hidden))
    slopes = np.zeros((steps, count, 3 * hidden))
    state_sides = np.zeros((steps, count, hidden))
    n_inputs = np.zeros((steps, count, hidden))
    previous = np.zeros((steps, count, hidden))
    h = h0.copy()
    w_rz = np.ascontiguousarray(w_h[:, :n_])
    w_n = np.ascontiguousarray(w_h[:, n_:])
    a = np.zeros((count, 3 * hidden))
    value = np.zeros((count, 3 * hidden))
    slope = np.zeros((count, 3 * hidden))
    rows = np.zeros(count, dtype=np.int64)
    for step in range(steps):
        for n in range(count):
            rows[n] = time_index(step, lengths[n], reverse) if step < lengths[n] else 0
        # h_{t−1} W_h,rz: the gates' state side
        hw = np.dot(h, w_rz)
        for n in range(count):
            for k in range(n_):
                # a_r, a_z = x W_x + b_x + h_{t−1} W_h + b_h
                a[n, k] = xw[rows[n], n, k] + b_x[k] + hw[n, k] + b_h[k]
        # r = f(clip(a_r)), z = f(clip(a_z))
        apply(codes[0], a[:, :n_], alphas[0], betas[0], clip, value[:, :n_], slope[:, :n_])
        # what multiplies W_h,n: h_{t−1} (reset after) or r ⊙ h_{t−1} (reset before)
        inputs = h.copy() if after else value[:, r_:z_] * h
        # the candidate's state side: (its input) W_h,n + b_h,n
        side = np.dot(inputs, w_n) + b_h[n_:]
        for n in range(count):
            for j in range(hidden):
                if after:
                    # a_n = x W_x,n + b_x,n + r ⊙ (h W_h,n + b_h,n)
                    a[n, n_ + j] = xw[rows[n], n, n_ + j] + b_x[n_ + j] + value[n, j] * side[n, j]
                else:
                    # a_n = x W_x,n + b_x,n + (r ⊙ h) W_h,n + b_h,n
                    a[n, n_ + j] = xw[rows[n], n, n_ + j] + b_x[n_ + j] + side[n, j]
        # n = g(clip(a_n))
        apply(codes[1], a[:, n_:], alphas[1], betas[1], clip, value[:, n_:], slope[:, n_:])
        for n in range(count):
            if step >= lengths[n]:
                continue  # past its length, a sequence's state is carried unchanged
            t = rows[n]
            previous[t, n, :] = h[n, :]
            for j in range(hidden):
                update = value[n, z_ + j]
                # h_t = (1 − z) n + z h_{t−1}
                h[n, j] = (1.0 - update) * value[n, n_ + j] + update * h[n, j]
            hs[t, n, :] = h[n, :]
            gates[t, n, :] = value[n, :]
            slopes[t, n, :] = slope[n, :]
            state_sides[t, n, :] = side[n, :]
            n_inputs[t, n, :] = inputs[n, :]
    return hs, h, gates, slopes, state_sides, n_inputs, previous


@numba.njit(cache=True)
def _gru_backward_kernel(
    d_hs: np.ndarray,
    d_h_last: np.ndarray,
    gates: np.ndarray,
    slopes: np.ndarray,
    state_sides: np.ndarray,
    n_inputs: np.ndarray,
    previous: np.ndarray,
    window: int,
    x: np.ndarray,
    h0: np.ndarray,
    w_x: np.ndarray,
    w_h: np.ndarray,
    b_x: np.ndarray,
    b_h: np.ndarray,
    after: bool,
    codes: np.ndarray,
    alphas: np.ndarray,
    betas: np.ndarray,
    clip: float,
    reverse: bool,
    lengths: np.ndarray,
) -> tuple[np.ndarray, ...]:
    steps, count, features = x.shape
    hidden = h0.shape[1]
    r_, z_, n_ = 0, hidden, 2 * hidden
    w_rz = np.ascontiguousarray(w_h[:, :n_])
    w_n = np.ascontiguousarray(w_h[:, n_:])
    # ā on the input side and on the state side, at each time index
    d_pre_x = np.zeros((steps, count, 3 * hidden))
    d_pre_h = np.zeros((steps, count, 3 * hidden))
    dh = d_h_last.copy()
    d_rz = np.zeros((count, n_))
    d_side = np.zeros((count, hidden))
    d_direct = np.zeros((count, hidden))
    for step in range(steps - 1, -1, -1):
        d_rz[:] = 0.0
        d_side[:] = 0.0
        d_direct[:] = 0.0
        for n in range(count):
            if step >= lengths[n]:
                continue
            t = time_index(step, lengths[n], reverse)
            for j in range(hidden):
                reset, update = gates[t, n, r_ + j], gates[t, n, z_ + j]
                candidate = gates[t, n, n_ + j]
                # h̄_t += ∂L/∂h_t from the output at t
                total = dh[n, j] + d_hs[t, n, j]
                # ā_n = h̄ (1 − z) g'(clip(a_n)) clip'(a_n)
                da_n = total * (1.0 - update) * slopes[t, n, n_ + j]
                # ā_z = h̄ (h_{t−1} − n) f'(clip(a_z)) clip'(a_z)
                d_rz[n, z_ + j] = total * (previous[t, n, j] - candidate) * slopes[t, n, z_ + j]
                # h̄_{t−1} gets h̄ z directly
                d_direct[n, j] = total * update
                d_pre_x[t, n, n_ + j] = da_n
                if after:
                    # the state side is multiplied by r: its gradient is ā_n r ...
                    d_side[n, j] = da_n * reset
                    # ... and r's is ā_n (h W_h,n + b_h,n): ā_r = that f'(clip(a_r)) clip'(a_r)
                    d_rz[n, j] = da_n * state_sides[t, n, j] * slopes[t, n, r_ + j]
                else:
                    d_side[n, j] = da_n
        if not after:
            # ū = ā_n W_h,nᵀ with u = r ⊙ h_{t−1}: r̄ = ū h_{t−1}, and h̄_{t−1} gets ū r
            d_u = np.dot(d_side, w_n.T)
            for n in range(count):
                if step >= lengths[n]:
                    continue
                t = time_index(step, lengths[n], reverse)
                for j in range(hidden):
                    d_rz[n, j] = d_u[n, j] * previous[t, n, j] * slopes[t, n, r_ + j]
                    d_direct[n, j] += d_u[n, j] * gates[t, n, r_ + j]
            # h̄_{t−1} = h̄ z + ū r + ā_rz W_h,rzᵀ
            carried = d_direct + np.dot(d_rz, w_rz.T)
        else:
            # h̄_{t−1} = h̄ z + ā_rz W_h,rzᵀ + (ā_n r) W_h,nᵀ
            carried = d_direct + np.dot(d_rz, w_rz.T) + np.dot(d_side, w_n.T)
        for n in range(count):
            if step >= lengths[n]:
                continue
            t = time_index(step, lengths[n], reverse)
            d_pre_x[t, n, :n_] = d_rz[n, :]
            d_pre_h[t, n, :n_] = d_rz[n, :]
            d_pre_h[t, n, n_:] = d_side[n, :]
            dh[n, :] = carried[n, :]
        if window and step > 0 and step % window == 0:
            # truncated BPTT: the state entering this window was detached
            dh[:] = 0.0
    rows = steps * count
    flat_x = d_pre_x.reshape(rows, 3 * hidden)
    flat_h = d_pre_h.reshape(rows, 3 * hidden)
    # x̄_t = ā_t W_xᵀ, W̄_x = Σ_t x_tᵀ ā_t, b̄_x = Σ ā_t
    dx = np.dot(flat_x, w_x.T).reshape(steps, count, features)
    dw_x = np.dot(x.reshape(rows, features).T, flat_x)
    db_x = flat_x.sum(axis=0)
    # W̄_h,rz = Σ_t h_{t−1}ᵀ ā_rz; W̄_h,n = Σ_t (its input)ᵀ ā_n; b̄_h = Σ ā on the state side
    dw_h = np.empty((hidden, 3 * hidden))
    dw_h[:, :n_] = np.dot(previous.reshape(rows, hidden).T, np.ascontiguousarray(flat_h[:, :n_]))
    dw_h[:, n_:] = np.dot(n_inputs.reshape(rows, hidden).T, np.ascontiguousarray(flat_h[:, n_:]))
    db_h = flat_h.sum(axis=0)
    return dx, dh, dw_x, dw_h, db_x, db_h


#: Where ONNX's gate blocks (z, r, h) go in ours (r, z, n).
_ONNX_GATES = (1, 0, 2)


def from_torch(
    weight_ih: ArrayLike, weight_hh: ArrayLike, bias_ih: ArrayLike, bias_hh: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""PyTorch's ``nn.GRU`` parameters as ``(w_x, w_h, b_x, b_h)`` (``linear_before_reset=True``).

    ``weight_ih_l0`` (3H, F) is $W_x^\top$ with the same gate blocks r, z, n,
    ``weight_hh_l0`` (3H, H) is $W_h^\top$; the biases are kept apart, as they must be.
    """
    func = "from_torch"
    w_ih = as_float_array(weight_ih, func, "weight_ih", ndim=2, layout="(3H, F)")
    hidden = _recurrent.gate_rows(func, "weight_ih", w_ih, 3)
    w_hh = _recurrent.as_weights(func, "weight_hh", weight_hh, 3 * hidden, hidden, "(3H, H)")
    b_ih = _recurrent.as_bias(func, "bias_ih", bias_ih, 3 * hidden, "(3H,)")
    b_hh = _recurrent.as_bias(func, "bias_hh", bias_hh, 3 * hidden, "(3H,)")
    return np.ascontiguousarray(w_ih.T), np.ascontiguousarray(w_hh.T), b_ih.copy(), b_hh.copy()


def to_torch(
    w_x: ArrayLike, w_h: ArrayLike, b_x: ArrayLike, b_h: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(weight_ih, weight_hh, bias_ih, bias_hh)`` for PyTorch; :func:`from_torch`'s inverse.

    PyTorch computes the reset-after variant only: use the result with a GRU run with
    ``linear_before_reset=True``.
    """
    func = "to_torch"
    input_weights = as_float_array(w_x, func, "w_x", ndim=2, layout="(F, 3H)")
    hidden = _recurrent.gate_rows(func, "w_x", input_weights.T, 3)
    state_weights = _recurrent.as_weights(func, "w_h", w_h, hidden, 3 * hidden, "(H, 3H)")
    input_bias = _recurrent.as_bias(func, "b_x", b_x, 3 * hidden, "(3H,)")
    state_bias = _recurrent.as_bias(func, "b_h", b_h, 3 * hidden, "(3H,)")
    return (
        np.ascontiguousarray(input_weights.T),
        np.ascontiguousarray(state_weights.T),
        input_bias.copy(),
        state_bias.copy(),
    )


def from_onnx(
    W: ArrayLike, R: ArrayLike, B: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""One direction of ONNX's ``GRU`` weights as ``(w_x, w_h, b_x, b_h)``.

    ONNX stores the gates in the order z, r, h: ``W`` (3H, F) and ``R`` (3H, H) are
    $W_x^\top$ and $W_h^\top$ with their blocks in that order, ``B`` (6H,) is
    ``[Wb, Rb]``: $b_x$ and $b_h$, kept apart (zeros when absent).
    """
    func = "from_onnx"
    w = as_float_array(W, func, "W", ndim=2, layout="(3H, F)")
    hidden = _recurrent.gate_rows(func, "W", w, 3)
    r = _recurrent.as_weights(func, "R", R, 3 * hidden, hidden, "(3H, H)")
    bias = (
        np.zeros(6 * hidden) if B is None else _recurrent.as_bias(func, "B", B, 6 * hidden, "(6H,)")
    )
    return (
        np.ascontiguousarray(_recurrent.blocks(w, _ONNX_GATES, hidden).T),
        np.ascontiguousarray(_recurrent.blocks(r, _ONNX_GATES, hidden).T),
        _recurrent.blocks(bias[: 3 * hidden], _ONNX_GATES, hidden),
        _recurrent.blocks(bias[3 * hidden :], _ONNX_GATES, hidden),
    )


def onnx_gru(
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
    linear_before_reset: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """ONNX's ``GRU`` operator: its inputs, attributes and outputs under ONNX's names.

    ``W`` (num_directions, 3H, F), ``R`` (num_directions, 3H, H), ``B`` (num_directions,
    6H), gates in ONNX's order z, r, h; ``linear_before_reset`` 0 (ONNX's default: the
    reset before the state's product) or 1; ``activations`` in ONNX's spelling, two per
    direction (``["Sigmoid", "Tanh"]`` by default).

    Returns ``Y`` (T, num_directions, N, H) and ``Y_h`` (num_directions, N, H) (with
    ``layout=1``: (N, T, num_directions, H) and (N, num_directions, H)).
    """
    func = "onnx_gru"
    x, weights, recurrent, bias, lengths, reverses, hidden = _recurrent.onnx_frame(
        func, X, W, R, B, sequence_lens, gates=3, direction=direction, layout=layout
    )
    _recurrent.as_hidden_size(hidden_size, func, hidden)
    _recurrent.as_clip(clip, func)
    if isinstance(linear_before_reset, bool) or linear_before_reset not in (0, 1):
        raise ValueError(f"{func}: linear_before_reset must be 0 or 1; got {linear_before_reset!r}")
    dirs = len(reverses)
    states = _recurrent.onnx_state(func, "initial_h", initial_h, dirs, x.shape[1], hidden, layout)
    settings = _recurrent.onnx_activation_parameters(
        func, activations, activation_alpha, activation_beta, ("sigmoid", "tanh"), dirs
    )
    outputs, lasts = [], []
    for d, reverse in enumerate(reverses):
        names, alphas, betas = settings[d]
        hs, h_last = gru(
            x,
            states[d],
            *from_onnx(weights[d], recurrent[d], bias[d]),
            linear_before_reset=bool(linear_before_reset),
            activations=names,
            activation_alpha=alphas,
            activation_beta=betas,
            clip=clip,
            reverse=reverse,
            lengths=lengths,
        )
        outputs.append(hs)
        lasts.append([h_last])
    Y, Y_h = _recurrent.onnx_outputs(outputs, lasts, layout)
    return Y, Y_h
