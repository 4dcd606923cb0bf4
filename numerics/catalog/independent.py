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
    "avg_pool2d",
    "batchnorm_train",
    "conv2d",
    "cross_entropy_with_logits",
    "lp_pool2d",
    "max_pool2d",
    "pads_and_size",
    "prelu",
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
