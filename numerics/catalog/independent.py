"""Independent computations of the reference's ops, in plain NumPy and SciPy.

In the style of JAX's ``lax_reference``: each op computed by another route than
the reference's kernels (whole-array NumPy expressions, SciPy's special
functions, one strided view of every window serving convolution and all the
poolings), so that agreement between the two is evidence about both. Nothing
here imports the reference: the window geometry is derived again from the
attributes' definitions (ONNX's and PyTorch's).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

__all__ = [
    "ACTIVATIONS",
    "avg_pool2d",
    "batchnorm_train",
    "clipped_activation",
    "conv2d",
    "cross_entropy_with_logits",
    "gru",
    "lp_pool2d",
    "lstm",
    "max_pool2d",
    "pads_and_size",
    "prelu",
    "rnn",
    "run_each",
    "targets",
    "windows",
]


def _pair(value: Any) -> tuple[int, int]:
    return (int(value), int(value)) if np.ndim(value) == 0 else (int(value[0]), int(value[1]))


def pads_and_size(
    size: int,
    kernel: int,
    stride: int,
    dilation: int,
    padding: Any,
    axis: int,
    ceil_mode: bool = False,
) -> tuple[int, int, int]:
    """(pad before, pad after, output size) along one axis, from the attributes' definitions."""
    span = dilation * (kernel - 1) + 1
    if isinstance(padding, str):
        if padding == "valid":
            before = after = 0
        else:  # SAME_UPPER / SAME_LOWER: output ceil(n / s), the odd pixel at the end / start
            out = -(-size // stride)
            total = max(0, (out - 1) * stride + span - size)
            small, large = total // 2, total - total // 2
            before, after = (large, small) if padding == "same_lower" else (small, large)
            return before, after, out
    elif np.ndim(padding) == 0:
        before = after = int(padding)
    else:
        before, after = (int(p) for p in padding[axis])
    room = size + before + after - span
    if not ceil_mode:
        return before, after, room // stride + 1
    out = -(-room // stride) + 1
    if (out - 1) * stride >= size + before:  # a window starting in the end padding is dropped
        out -= 1
    return before, after, out


def windows(
    x: np.ndarray,
    kernel: Any,
    *,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool = False,
    fill: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Every window of ``x`` (N, C, H, W): values (N, C, oH, oW, kH, kW), and where the image is.

    Padding is ``fill``; a window that runs past the end (ceil_mode) reads NaN
    there, marked outside both the image and the padding. The second array,
    (oH, oW, kH, kW), is 1 on image taps, 0 on padding, -1 past the padded end.
    """
    x = np.asarray(x, dtype=np.float64)
    kernels, strides, dilations = _pair(kernel), _pair(stride), _pair(dilation)
    geometry = [
        pads_and_size(x.shape[2 + a], kernels[a], strides[a], dilations[a], padding, a, ceil_mode)
        for a in range(2)
    ]
    extra = [
        max(0, (out - 1) * s + d * (k - 1) + 1 - (n + before + after))
        for (before, after, out), s, d, k, n in zip(
            geometry, strides, dilations, kernels, x.shape[2:], strict=True
        )
    ]
    where = np.pad(np.ones(x.shape[2:]), [(g[0], g[1]) for g in geometry])
    where = np.pad(where, [(0, extra[0]), (0, extra[1])], constant_values=-1.0)
    padded = np.pad(x, [(0, 0), (0, 0), *[(g[0], g[1]) for g in geometry]], constant_values=fill)
    padded = np.pad(padded, [(0, 0), (0, 0), (0, extra[0]), (0, extra[1])], constant_values=np.nan)
    rows = np.arange(geometry[0][2])[:, None] * strides[0] + np.arange(kernels[0]) * dilations[0]
    cols = np.arange(geometry[1][2])[:, None] * strides[1] + np.arange(kernels[1]) * dilations[1]
    values = padded[:, :, rows[:, None, :, None], cols[None, :, None, :]]
    return values, where[rows[:, None, :, None], cols[None, :, None, :]]


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    *,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: int,
) -> np.ndarray:
    """Convolution (cross-correlation) by NumPy: every window, then one einsum per group."""
    x, w, b = np.asarray(x), np.asarray(w), np.asarray(b)
    patches, _ = windows(x, w.shape[2:], stride=stride, padding=padding, dilation=dilation)
    group_in, group_out = w.shape[1], w.shape[0] // groups
    outputs = [
        np.einsum(
            "nchwpq,ocpq->nohw",
            patches[:, g * group_in : (g + 1) * group_in],
            w[g * group_out : (g + 1) * group_out],
        )
        for g in range(groups)
    ]
    return np.concatenate(outputs, axis=1) + b[None, :, None, None]


def _pool(
    x: np.ndarray, kernel: Any, attrs: dict[str, Any], fill: float
) -> tuple[np.ndarray, np.ndarray]:
    stride = kernel if attrs.get("stride") is None else attrs["stride"]
    return windows(
        x,
        kernel,
        stride=stride,
        padding=attrs.get("padding", 0),
        dilation=attrs.get("dilation", 1),
        ceil_mode=attrs.get("ceil_mode", False),
        fill=fill,
    )


def max_pool2d(x: np.ndarray, kernel: Any, **attrs: Any) -> np.ndarray:
    """The largest value of each window; padding never wins (it is -inf)."""
    values, where = _pool(x, kernel, attrs, -np.inf)
    return np.where(where >= 0, values, -np.inf).max(axis=(-2, -1))


def avg_pool2d(x: np.ndarray, kernel: Any, **attrs: Any) -> np.ndarray:
    """The mean of each window, over its taps in the padded input or on the image only."""
    values, where = _pool(x, kernel, attrs, 0.0)
    counted = where >= 0 if attrs.get("count_include_pad", True) else where > 0
    total = np.where(np.isnan(values), 0.0, values).sum(axis=(-2, -1))
    return total / counted.sum(axis=(-2, -1))


def lp_pool2d(x: np.ndarray, kernel: Any, **attrs: Any) -> np.ndarray:
    """(sum |x|^p)^(1/p) over each window (padding counts as 0)."""
    order = attrs.pop("p", 2.0)
    values, _ = _pool(x, kernel, attrs, 0.0)
    magnitude = np.where(np.isnan(values), 0.0, np.abs(values))
    return (magnitude**order).sum(axis=(-2, -1)) ** (1.0 / order)


def _channel_axes(x: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The axes a per-channel statistic runs over, and the shape a per-channel value takes."""
    return ((0,) if x.ndim == 2 else (0, 2, 3)), (1, -1) + (1,) * (x.ndim - 2)


def batchnorm_train(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, eps: float = 1e-5
) -> np.ndarray:
    """(x - mean) / sqrt(var + eps) * gamma + beta, per feature or per channel."""
    x = np.asarray(x)
    axes, shape = _channel_axes(x)
    normalised = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(
        x.var(axis=axes, keepdims=True) + eps
    )
    return normalised * np.asarray(gamma).reshape(shape) + np.asarray(beta).reshape(shape)


def prelu(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """X where positive, alpha_c x elsewhere (alpha per channel on axis 1, or one shared)."""
    x = np.asarray(x)
    shape = [1] * x.ndim
    if x.ndim >= 2:
        shape[1] = -1
    slopes = np.asarray(alpha).reshape(shape) if x.ndim >= 2 else np.asarray(alpha)
    return np.where(x > 0, x, slopes * x)


def targets(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Probability rows for class labels (one-hot) or as given."""
    labels = np.asarray(labels)
    return labels if labels.ndim == 2 else np.eye(np.shape(logits)[1])[labels]


def cross_entropy_with_logits(z: np.ndarray, labels: np.ndarray) -> float:
    """mean_n (logsumexp z_n - <t_n, z_n>), by SciPy's log-sum-exp."""
    z = np.asarray(z)
    return float(np.mean(special.logsumexp(z, axis=1) - (targets(z, labels) * z).sum(axis=1)))


# Recurrent layers: each sequence run alone, step by step, with whole-array NumPy per step

#: Each activation of the recurrent layers, f(a, alpha, beta), and its derivative.
ACTIVATIONS: dict[str, tuple[Any, Any]] = {
    "relu": (lambda a, al, be: np.maximum(a, 0.0), lambda a, al, be: (a > 0) * 1.0),
    "tanh": (lambda a, al, be: np.tanh(a), lambda a, al, be: 1.0 - np.tanh(a) ** 2),
    "sigmoid": (
        lambda a, al, be: special.expit(a),
        lambda a, al, be: special.expit(a) * special.expit(-a),
    ),
    "affine": (lambda a, al, be: al * a + be, lambda a, al, be: al + 0.0 * a),
    "leaky_relu": (
        lambda a, al, be: np.where(a >= 0, a, al * a),
        lambda a, al, be: np.where(a >= 0, 1.0, al),
    ),
    "thresholded_relu": (
        lambda a, al, be: np.where(a >= al, a, 0.0),
        lambda a, al, be: np.where(a >= al, 1.0, 0.0),
    ),
    "scaled_tanh": (
        lambda a, al, be: al * np.tanh(be * a),
        lambda a, al, be: al * be * (1.0 - np.tanh(be * a) ** 2),
    ),
    "hard_sigmoid": (
        lambda a, al, be: np.clip(al * a + be, 0.0, 1.0),
        lambda a, al, be: np.where((al * a + be >= 0) & (al * a + be < 1), al, 0.0),
    ),
    "elu": (
        lambda a, al, be: np.where(a >= 0, a, al * np.expm1(np.minimum(a, 0.0))),
        lambda a, al, be: np.where(a >= 0, 1.0, al * np.exp(np.minimum(a, 0.0))),
    ),
    "softsign": (lambda a, al, be: a / (1 + np.abs(a)), lambda a, al, be: 1 / (1 + np.abs(a)) ** 2),
    "softplus": (lambda a, al, be: np.logaddexp(0.0, a), lambda a, al, be: special.expit(a)),
}

#: ONNX's defaults for the parameters, where the function takes them.
_ALPHA = {
    "affine": 1.0,
    "leaky_relu": 0.01,
    "thresholded_relu": 1.0,
    "scaled_tanh": 1.0,
    "hard_sigmoid": 0.2,
    "elu": 1.0,
}
_BETA = {"affine": 0.0, "scaled_tanh": 1.0, "hard_sigmoid": 0.5}


def clipped_activation(name: str, alpha: Any, beta: Any, clip: Any) -> tuple[Any, Any]:
    """f(clip(a)) and |f'(clip(a))| for one activation (ONNX's defaults where None)."""
    al = _ALPHA.get(name, 0.0) if alpha is None else alpha
    be = _BETA.get(name, 0.0) if beta is None else beta
    bound = np.inf if clip is None else clip
    f, derivative = ACTIVATIONS[name]
    return (
        lambda a: f(np.clip(a, -bound, bound), al, be),
        lambda a: np.abs(derivative(np.clip(a, -bound, bound), al, be)),
    )


def _settings(
    names: Any, alphas: Any, betas: Any, clip: Any, seen: list[list[np.ndarray]] | None = None
) -> list[Any]:
    """Each activation as f(clip(a)).

    With ``seen``, activation k also appends to ``seen[k]`` each a it is given.
    """
    alphas = alphas or [None] * len(names)
    betas = betas or [None] * len(names)
    found = [
        clipped_activation(n, al, be, clip)[0]
        for n, al, be in zip(names, alphas, betas, strict=True)
    ]
    if seen is None:
        return found

    def recording(f: Any, inputs: list[np.ndarray]) -> Any:
        def record(a: np.ndarray) -> np.ndarray:
            inputs.append(np.ravel(a))
            return f(a)

        return record

    return [recording(f, inputs) for f, inputs in zip(found, seen, strict=True)]


def run_each(
    x: np.ndarray, lengths: Any, reverse: bool, states: list[np.ndarray], cell: Any
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each sequence alone: its own steps, in its own order; outputs at their time index."""
    steps, count, _ = x.shape
    hidden = states[0].shape[1]
    lengths = [steps] * count if lengths is None else [int(v) for v in lengths]
    hs = np.zeros((steps, count, hidden))
    lasts = [np.zeros_like(s) for s in states]
    for n in range(count):
        state = [s[n] for s in states]
        order = range(lengths[n])
        for t in reversed(order) if reverse else order:
            state = cell(x[t, n], *state)
            hs[t, n] = state[0]
        for last, value in zip(lasts, state, strict=True):
            last[n] = value
    return hs, lasts


def rnn(
    x: Any,
    h0: Any,
    w_x: Any,
    w_h: Any,
    b: Any,
    *,
    activation: str = "tanh",
    activation_alpha: Any = None,
    activation_beta: Any = None,
    clip: Any = None,
    reverse: bool = False,
    lengths: Any = None,
    seen: list[list[np.ndarray]] | None = None,
) -> np.ndarray:
    """The states of an RNN, hs and h_last, stacked along time: (T + 1, N, H).

    With ``seen``, a list of one empty list per activation, the inputs each activation is given
    are appended to its list (for the laws that keep their draws away from kinks).
    """
    (f,) = _settings([activation], [activation_alpha], [activation_beta], clip, seen)
    x, h0, w_x, w_h, b = (np.asarray(v, dtype=np.float64) for v in (x, h0, w_x, w_h, b))

    def cell(x_t: np.ndarray, h: np.ndarray) -> list[np.ndarray]:
        return [f(x_t @ w_x + h @ w_h + b)]

    hs, (h_last,) = run_each(x, lengths, reverse, [h0], cell)
    return np.concatenate([hs, h_last[None]])


def lstm(
    x: Any,
    h0: Any,
    c0: Any,
    w_x: Any,
    w_h: Any,
    b: Any,
    peepholes: Any,
    *,
    input_forget: bool = False,
    activations: Any = ("sigmoid", "tanh", "tanh"),
    activation_alpha: Any = None,
    activation_beta: Any = None,
    clip: Any = None,
    reverse: bool = False,
    lengths: Any = None,
    seen: list[list[np.ndarray]] | None = None,
) -> np.ndarray:
    """The states of an LSTM, hs, h_last and c_last (gates i, f, g, o), stacked: (T + 2, N, H).

    ``seen`` as in :func:`rnn`.
    """
    f, g, h_act = _settings(activations, activation_alpha, activation_beta, clip, seen)
    x, h0, c0, w_x, w_h, b, p = (
        np.asarray(v, dtype=np.float64) for v in (x, h0, c0, w_x, w_h, b, peepholes)
    )
    i_, f_, g_, o_ = np.split(np.arange(w_x.shape[1]), 4)

    def cell(x_t: np.ndarray, h: np.ndarray, c: np.ndarray) -> list[np.ndarray]:
        a = x_t @ w_x + h @ w_h + b
        gate_i = f(a[i_] + p[0] * c)
        gate_f = 1.0 - gate_i if input_forget else f(a[f_] + p[1] * c)
        c_new = gate_f * c + gate_i * g(a[g_])
        gate_o = f(a[o_] + p[2] * c_new)
        return [gate_o * h_act(c_new), c_new]

    hs, (h_last, c_last) = run_each(x, lengths, reverse, [h0, c0], cell)
    return np.concatenate([hs, h_last[None], c_last[None]])


def gru(
    x: Any,
    h0: Any,
    w_x: Any,
    w_h: Any,
    b_x: Any,
    b_h: Any,
    *,
    linear_before_reset: bool,
    activations: Any = ("sigmoid", "tanh"),
    activation_alpha: Any = None,
    activation_beta: Any = None,
    clip: Any = None,
    reverse: bool = False,
    lengths: Any = None,
    seen: list[list[np.ndarray]] | None = None,
) -> np.ndarray:
    """The states of a GRU, hs and h_last (gates r, z, n), stacked along time: (T + 1, N, H).

    ``seen`` as in :func:`rnn`.
    """
    f, g = _settings(activations, activation_alpha, activation_beta, clip, seen)
    x, h0, w_x, w_h, b_x, b_h = (
        np.asarray(v, dtype=np.float64) for v in (x, h0, w_x, w_h, b_x, b_h)
    )
    r_, z_, n_ = np.split(np.arange(w_x.shape[1]), 3)

    def cell(x_t: np.ndarray, h: np.ndarray) -> list[np.ndarray]:
        ax = x_t @ w_x + b_x
        reset = f(ax[r_] + h @ w_h[:, r_] + b_h[r_])
        update = f(ax[z_] + h @ w_h[:, z_] + b_h[z_])
        if linear_before_reset:
            candidate = g(ax[n_] + reset * (h @ w_h[:, n_] + b_h[n_]))
        else:
            candidate = g(ax[n_] + (reset * h) @ w_h[:, n_] + b_h[n_])
        return [(1.0 - update) * candidate + update * h]

    hs, (h_last,) = run_each(x, lengths, reverse, [h0], cell)
    return np.concatenate([hs, h_last[None]])
