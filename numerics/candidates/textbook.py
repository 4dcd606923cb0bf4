"""The catalog's ops as tutorials and other libraries write them: correct, by other algorithms.

None of these is the reference's algorithm: log_softmax is ``x - m - log sum
exp(x - m)`` (the reference uses ``log1p``), the sigmoid ``1 / (1 + exp(-x))``,
batch norm takes ``np.var``, the dense layer and convolution sum their products by
loops in another order than BLAS, pooling scatters its gradient tap by tap. They
lose digits where the reference does not (a log_softmax entry near 0, a
cross-entropy near 0, a saturated sigmoid), which is the point: the gradient
checker must never call such a correct backward "failed"
(``tests/test_numerics_verdicts.py``).

Each op takes the catalog entry's arguments and returns what the reference returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from numerics.catalog.independent import pads_and_size

__all__ = ["OPS"]


def _pair(value: Any) -> tuple[int, int]:
    return (int(value), int(value)) if np.ndim(value) == 0 else (int(value[0]), int(value[1]))


# --------------------------------------------------------------------------------------------
# softmax and its losses


def log_softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """As tutorials write it: x - m - log sum exp(x - m), m the maximum along the axis."""
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def log_softmax_backward(dy: np.ndarray, x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """The gradient dy - softmax(x) sum(dy), the softmax as exp of the log_softmax."""
    return dy - np.exp(log_softmax(x, axis=axis)) * np.sum(dy, axis=axis, keepdims=True)


def softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """The quotient exp(x - m) / sum exp(x - m)."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_backward(dy: np.ndarray, x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """The gradient s (dy - sum(dy s))."""
    s = softmax(x, axis=axis)
    return s * (dy - np.sum(dy * s, axis=axis, keepdims=True))


def _targets(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels)
    return labels if labels.ndim == 2 else np.eye(z.shape[1], dtype=z.dtype)[labels]


def cross_entropy_with_logits(z: np.ndarray, labels: np.ndarray) -> float:
    """The mean of -sum_k t_nk log_softmax(z_n)_k, from the textbook log_softmax."""
    return -np.mean(np.sum(_targets(z, labels) * log_softmax(z, axis=1), axis=1))


def cross_entropy_with_logits_backward(
    d_loss: float, z: np.ndarray, labels: np.ndarray
) -> np.ndarray:
    """The gradient d_loss (softmax(z) - t) / N."""
    return d_loss * (softmax(z, axis=1) - _targets(z, labels)) / z.shape[0]


def binary_cross_entropy_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    """The mean of max(z, 0) - z y + log(1 + exp(-|z|))."""
    return np.mean(np.maximum(z, 0.0) - z * y + np.log(1.0 + np.exp(-np.abs(z))))


def binary_cross_entropy_with_logits_backward(
    d_loss: float, z: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """The gradient d_loss (sigmoid(z) - y) / N."""
    return d_loss * (sigmoid(z) - y) / z.size


def squared_error(y_hat: np.ndarray, y: np.ndarray) -> float:
    """The mean of (y_hat - y)^2."""
    return np.mean((y_hat - y) ** 2)


def squared_error_backward(d_loss: float, y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The gradient d_loss 2 (y_hat - y) / N."""
    return d_loss * 2.0 * (y_hat - y) / y_hat.size


# --------------------------------------------------------------------------------------------
# activations


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The quotient 1 / (1 + exp(-x)); exp overflows to inf below -709, and the quotient is 0."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def sigmoid_backward(dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The gradient dy s (1 - s)."""
    s = sigmoid(x)
    return dy * s * (1.0 - s)


def tanh(x: np.ndarray) -> np.ndarray:
    """NumPy's tanh."""
    return np.tanh(x)


def tanh_backward(dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The gradient dy (1 - tanh(x)^2)."""
    return dy * (1.0 - np.tanh(x) ** 2)


# --------------------------------------------------------------------------------------------
# batch normalisation


def _channels(x: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...]]:
    return ((0,) if x.ndim == 2 else (0, 2, 3)), (1, -1) + (1,) * (x.ndim - 2)


def batchnorm_train(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """By the batch: gamma (x - mean) / sqrt(np.var(x) + eps) + beta; returns (y, mean, var)."""
    axes, shape = _channels(x)
    mean = np.mean(x, axis=axes, keepdims=True)
    var = np.var(x, axis=axes, keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    y = gamma.reshape(shape) * x_hat + beta.reshape(shape)
    return y, mean.reshape(-1), var.reshape(-1)


def batchnorm_train_backward(
    dy: np.ndarray, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients, dx = (m dx_hat - sum dx_hat - x_hat sum(dx_hat x_hat)) / (m sqrt(var+eps))."""
    axes, shape = _channels(x)
    m = x.size // x.shape[1]
    mean = np.mean(x, axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(np.var(x, axis=axes, keepdims=True) + eps)
    x_hat = (x - mean) * inv_std
    dx_hat = dy * gamma.reshape(shape)
    dx = (
        (m * dx_hat - np.sum(dx_hat, axis=axes, keepdims=True))
        - x_hat * np.sum(dx_hat * x_hat, axis=axes, keepdims=True)
    ) * (inv_std / m)
    return dx, np.sum(dy * x_hat, axis=axes), np.sum(dy, axis=axes)


# --------------------------------------------------------------------------------------------
# dense layers, by loops


def dense(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The sum b + sum_i x[:, i] W[i], one input feature at a time."""
    y = np.zeros((x.shape[0], W.shape[1]), dtype=np.result_type(x, W, b)) + b
    for i in range(W.shape[0]):
        y += x[:, i : i + 1] * W[i]
    return y


def dense_backward(
    dy: np.ndarray, x: np.ndarray, W: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients: dx by output features, dW as a sum of outer products over the batch."""
    dx = np.zeros_like(x)
    for o in range(W.shape[1]):
        dx += dy[:, o : o + 1] * W[:, o]
    dW = np.zeros_like(W)
    for n in range(x.shape[0]):
        dW += np.outer(x[n], dy[n])
    return dx, dW, dy.sum(axis=0)


def linear(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """X w + b, one feature at a time."""
    y = np.full(X.shape[0], b, dtype=np.result_type(X, w, b))
    for i in range(X.shape[1]):
        y += X[:, i] * w[i]
    return y


def linear_backward(
    dy: np.ndarray, X: np.ndarray, w: np.ndarray, b: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """(dy w^T, X^T dy by rows, sum dy)."""
    dw = np.zeros_like(w)
    for n in range(X.shape[0]):
        dw += dy[n] * X[n]
    return np.outer(dy, w), dw, np.sum(dy)


# --------------------------------------------------------------------------------------------
# convolution and pooling, tap by tap


def _geometry(
    x: np.ndarray,
    kernel: tuple[int, int],
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool = False,
) -> tuple[list[tuple[int, int, int]], tuple[int, int], tuple[int, int], list[int]]:
    """The window geometry.

    Per axis (pad before, pad after, output size); the strides and dilations; the room past
    the padded end that ceil_mode's last window reaches.
    """
    strides, dilations = _pair(stride), _pair(dilation)
    axes = [
        pads_and_size(x.shape[2 + a], kernel[a], strides[a], dilations[a], padding, a, ceil_mode)
        for a in range(2)
    ]
    extra = [
        max(0, (out - 1) * strides[a] + dilations[a] * (kernel[a] - 1) + 1 - (size + lo + hi))
        for a, ((lo, hi, out), size) in enumerate(zip(axes, x.shape[2:], strict=True))
    ]
    return axes, strides, dilations, extra


def _tap(
    axes: list[tuple[int, int, int]],
    strides: tuple[int, int],
    dilations: tuple[int, int],
    p: int,
    q: int,
) -> tuple[slice, slice, slice, slice]:
    """The padded input's entries that tap (p, q) of every window reads."""
    (_, _, out_h), (_, _, out_w) = axes
    row, col = p * dilations[0], q * dilations[1]
    return (
        slice(None),
        slice(None),
        slice(row, row + strides[0] * (out_h - 1) + 1, strides[0]),
        slice(col, col + strides[1] * (out_w - 1) + 1, strides[1]),
    )


def _pad(x: np.ndarray, axes: list[tuple[int, int, int]], extra: list[int], fill: float) -> Any:
    widths = [(0, 0), (0, 0)] + [
        (lo, hi + more) for (lo, hi, _), more in zip(axes, extra, strict=True)
    ]
    return np.pad(x, widths, constant_values=fill)


def _crop(padded: np.ndarray, axes: list[tuple[int, int, int]], shape: tuple[int, ...]) -> Any:
    (top, _, _), (left, _, _) = axes
    return padded[:, :, top : top + shape[2], left : left + shape[3]]


def _group_taps(w: np.ndarray, groups: int) -> Iterator[tuple[slice, slice, int, int]]:
    """(output channels, input channels, p, q) of every group and every tap of the kernel."""
    group_in, group_out = w.shape[1], w.shape[0] // groups
    for g in range(groups):
        outs = slice(g * group_out, (g + 1) * group_out)
        ins = slice(g * group_in, (g + 1) * group_in)
        for p in range(w.shape[2]):
            for q in range(w.shape[3]):
                yield outs, ins, p, q


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    stride: Any = 1,
    padding: Any = "valid",
    dilation: Any = 1,
    groups: int = 1,
) -> np.ndarray:
    """The sum of b and, over groups and taps (p, q), the tap slice of x times w[:, :, p, q]."""
    axes, strides, dilations, _ = _geometry(x, w.shape[2:], stride, padding, dilation)
    padded = _pad(x, axes, [0, 0], 0.0)
    y = np.zeros((x.shape[0], w.shape[0], axes[0][2], axes[1][2]), dtype=np.result_type(x, w))
    for outs, ins, p, q in _group_taps(w, groups):
        patch = padded[_tap(axes, strides, dilations, p, q)][:, ins]
        y[:, outs] += np.einsum("nchw,oc->nohw", patch, w[outs, :, p, q])
    return y if b is None else y + b[None, :, None, None]


def conv2d_backward(
    dy: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    stride: Any = 1,
    padding: Any = "valid",
    dilation: Any = 1,
    groups: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Each tap's share of dx (scattered back) and of dw; db sums dy."""
    axes, strides, dilations, _ = _geometry(x, w.shape[2:], stride, padding, dilation)
    padded = _pad(x, axes, [0, 0], 0.0)
    d_padded, dw = np.zeros_like(padded), np.zeros_like(w)
    for outs, ins, p, q in _group_taps(w, groups):
        where = _tap(axes, strides, dilations, p, q)
        patch = padded[where][:, ins]
        d_padded[where][:, ins] += np.einsum("nohw,oc->nchw", dy[:, outs], w[outs, :, p, q])
        dw[outs, :, p, q] += np.einsum("nohw,nchw->oc", dy[:, outs], patch)
    db = None if b is None else dy.sum(axis=(0, 2, 3))
    return _crop(d_padded, axes, x.shape), dw, db


def _pool_geometry(x: np.ndarray, kernel: Any, attrs: dict[str, Any]) -> Any:
    kernels = _pair(kernel)
    stride = kernels if attrs.get("stride") is None else attrs["stride"]
    geometry = _geometry(
        x,
        kernels,
        stride,
        attrs.get("padding", 0),
        attrs.get("dilation", 1),
        attrs.get("ceil_mode", False),
    )
    return kernels, geometry


def _max_taps(x: np.ndarray, kernel: Any, attrs: dict[str, Any]) -> Any:
    """The maximum of each window and the tap it is at (the first, in row-major order)."""
    (kernel_h, kernel_w), (axes, strides, dilations, extra) = _pool_geometry(x, kernel, attrs)
    padded = _pad(x, axes, extra, -np.inf)
    best = np.full((x.shape[0], x.shape[1], axes[0][2], axes[1][2]), -np.inf)
    winner = np.zeros(best.shape, dtype=np.int64)
    for p in range(kernel_h):
        for q in range(kernel_w):
            values = padded[_tap(axes, strides, dilations, p, q)]
            better = values > best
            best = np.where(better, values, best)
            winner = np.where(better, p * kernel_w + q, winner)
    return best, winner, padded, (kernel_h, kernel_w), (axes, strides, dilations)


def max_pool2d(x: np.ndarray, kernel: Any, **attrs: Any) -> np.ndarray:
    """Each window's largest value, its taps visited one by one (padding is -inf)."""
    return _max_taps(x, kernel, attrs)[0]


def max_pool2d_backward(dy: np.ndarray, x: np.ndarray, kernel: Any, **attrs: Any) -> np.ndarray:
    """The gradient: dy to each window's winning tap."""
    _, winner, padded, (kernel_h, kernel_w), (axes, strides, dilations) = _max_taps(
        x, kernel, attrs
    )
    d_padded = np.zeros_like(padded)
    for p in range(kernel_h):
        for q in range(kernel_w):
            d_padded[_tap(axes, strides, dilations, p, q)] += np.where(
                winner == p * kernel_w + q, dy, 0.0
            )
    return _crop(d_padded, axes, x.shape)


def _average_taps(x: np.ndarray, kernel: Any, attrs: dict[str, Any]) -> Any:
    """The padded input, and each window's count: its taps on the image, or on image and padding."""
    (kernel_h, kernel_w), (axes, strides, dilations, extra) = _pool_geometry(x, kernel, attrs)
    padded = _pad(x, axes, extra, 0.0)
    inside = np.pad(
        np.ones(x.shape[2:]),
        [(lo, hi) for lo, hi, _ in axes],
        constant_values=1.0 if attrs.get("count_include_pad", True) else 0.0,
    )
    inside = np.pad(inside, [(0, extra[0]), (0, extra[1])])[None, None]
    taps = [(p, q) for p in range(kernel_h) for q in range(kernel_w)]
    count = sum(inside[_tap(axes, strides, dilations, p, q)] for p, q in taps)
    return padded, count, taps, (axes, strides, dilations)


def avg_pool2d(x: np.ndarray, kernel: Any, **attrs: Any) -> np.ndarray:
    """The sum of each window's taps over its count."""
    padded, count, taps, geometry = _average_taps(x, kernel, attrs)
    axes, strides, dilations = geometry
    return sum(padded[_tap(axes, strides, dilations, p, q)] for p, q in taps) / count


def avg_pool2d_backward(dy: np.ndarray, x: np.ndarray, kernel: Any, **attrs: Any) -> np.ndarray:
    """The gradient: dy / count to every tap of its window."""
    padded, count, taps, geometry = _average_taps(x, kernel, attrs)
    axes, strides, dilations = geometry
    d_padded = np.zeros_like(padded)
    for p, q in taps:
        d_padded[_tap(axes, strides, dilations, p, q)] += dy / count
    return _crop(d_padded, axes, x.shape)


#: Catalog name -> (forward, backward), in the catalog entries' signatures.
OPS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "log_softmax": (log_softmax, log_softmax_backward),
    "softmax": (softmax, softmax_backward),
    "cross_entropy_with_logits": (cross_entropy_with_logits, cross_entropy_with_logits_backward),
    "binary_cross_entropy_with_logits": (
        binary_cross_entropy_with_logits,
        binary_cross_entropy_with_logits_backward,
    ),
    "squared_error": (squared_error, squared_error_backward),
    "sigmoid": (sigmoid, sigmoid_backward),
    "tanh": (tanh, tanh_backward),
    "batchnorm_train": (batchnorm_train, batchnorm_train_backward),
    "dense": (dense, dense_backward),
    "linear": (linear, linear_backward),
    "conv2d": (conv2d, conv2d_backward),
    "conv2d_direct": (conv2d, conv2d_backward),
    "max_pool2d": (max_pool2d, max_pool2d_backward),
    "avg_pool2d": (avg_pool2d, avg_pool2d_backward),
}
