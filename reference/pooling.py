r"""Pooling: each window of a feature map summarised by one number.

Pooling shrinks a map (a 2x2 window with stride 2 keeps a quarter of the
pixels) and makes the result less sensitive to where exactly a feature
appears. Each channel is pooled separately, over windows placed as in a
convolution (:mod:`reference._windows`: ``stride``, ``padding``,
``dilation``, ``ceil_mode``):

* **max**: the largest value in the window;
* **average**: the mean of the window (padded positions counted or not,
  ``count_include_pad``);
* **L$p$**: the $p$-norm of the window, $(\sum |x|^p)^{1/p}$ (with $p = 2$
  the square root of the sum of squares);
* **global average**: the mean of the whole map.

Input is NCHW; ``stride`` defaults to the kernel (non-overlapping windows).
A call is accepted exactly when every window holds at least one input of the
image (a window of padding alone has no maximum and no mean): that admits every
call PyTorch accepts (padding at most half the kernel) and ONNX's node vectors
(a 3x3 kernel with padding 2), and the message of a refusal names the first
window of padding alone. Max pooling ignores
padded positions; average pooling counts them only with
``count_include_pad=True``; L$p$ pooling's zero padding adds nothing. With
``ceil_mode`` the output size is rounded up, and a last window that would
start inside the end padding is dropped (PyTorch and ONNX): the positions a
window reaches beyond the padded input are not counted by any pooling.

The planes (one per sample and channel) are pooled in parallel. The classic
2x2 pooling with stride 2 and no padding takes a fast path whose four taps are
written out (so the compiler keeps them in registers); the tests hold it to
the general kernels bit for bit.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import ArrayLike

from reference import _stable
from reference._validation import as_float_array, as_real, require_flag, require_output_shape
from reference._windows import Windows, as_pair, windows

__all__ = [
    "avg_pool2d",
    "avg_pool2d_backward",
    "global_avg_pool2d",
    "global_avg_pool2d_backward",
    "lp_pool2d",
    "lp_pool2d_backward",
    "max_pool2d",
    "max_pool2d_backward",
]


def max_pool2d(
    x: ArrayLike,
    kernel: Any,
    *,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    r"""Max pooling: each window's largest value.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    kernel : int or (int, int)
        The window, (kH, kW).
    stride : int or (int, int), optional
        The step between windows; the kernel by default.
    padding : str, int or ((int, int), (int, int)), default 0
        As for :func:`reference.conv.conv2d`; every window must hold at least one
        input of the image (PyTorch asks for padding at most half the kernel,
        which implies it; ONNX states no rule).
        Padded positions never win.
    dilation : int or (int, int), default 1
    ceil_mode : bool, default False
        Round the output size up (see the module's docstring).

    Returns
    -------
    numpy.ndarray, shape (N, C, H_out, W_out)
        NaN where a window holds a NaN.

    Examples
    --------
    >>> x = np.array([[[[1.0, 2.0, 5.0, 0.0], [3.0, 4.0, 1.0, 1.0]]]])
    >>> max_pool2d(x, 2)
    array([[[[4., 5.]]]])
    """
    call = _Pool(
        "max_pool2d",
        x,
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
    )
    if call.tiled_2x2():
        return _max_pool_2x2_kernel(call.planes(), *call.output_shape[2:]).reshape(
            call.output_shape
        )
    return _max_pool_kernel(call.planes(), call.windows).reshape(call.output_shape)


def max_pool2d_backward(
    dy: ArrayLike,
    x: ArrayLike,
    kernel: Any,
    *,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    r"""Gradient of :func:`max_pool2d`: each window's gradient goes to its maximum.

    The maximum is the window's **first** largest value in row-major order
    (top row first, left to right), so a tie sends the whole gradient to one
    input, as PyTorch does. Overlapping windows may send gradients to the same
    input, which adds them.
    """
    func = "max_pool2d_backward"
    call = _Pool(
        func, x, kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode
    )
    upstream = call.gradient(func, dy)
    if call.tiled_2x2():
        return _max_pool_2x2_backward_kernel(upstream, call.planes()).reshape(call.x.shape)
    return _max_pool_backward_kernel(upstream, call.planes(), call.windows).reshape(call.x.shape)


def avg_pool2d(
    x: ArrayLike,
    kernel: Any,
    *,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> np.ndarray:
    r"""Average pooling: each window's mean.

    The divisor is the number of the window's taps inside the padded input
    with ``count_include_pad=True`` (PyTorch's default: padding counts as
    zeros), or inside the image itself with ``False``. Taps beyond the padded
    input (with ``ceil_mode``) are never counted. Other parameters as for
    :func:`max_pool2d`.

    Examples
    --------
    >>> x = np.array([[[[1.0, 2.0, 5.0, 0.0], [3.0, 4.0, 1.0, 1.0]]]])
    >>> avg_pool2d(x, 2)
    array([[[[2.5 , 1.75]]]])
    """
    call = _Pool(
        "avg_pool2d",
        x,
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
    )
    include = require_flag(count_include_pad, "avg_pool2d", "count_include_pad")
    if call.tiled_2x2():
        return _avg_pool_2x2_kernel(call.planes(), *call.output_shape[2:]).reshape(
            call.output_shape
        )
    return _avg_pool_kernel(call.planes(), call.windows, include).reshape(call.output_shape)


def avg_pool2d_backward(
    dy: ArrayLike,
    x: ArrayLike,
    kernel: Any,
    *,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> np.ndarray:
    r"""Gradient of :func:`avg_pool2d`.

    Each window's gradient, divided by its divisor, goes to each of its inputs.
    """
    func = "avg_pool2d_backward"
    call = _Pool(
        func, x, kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode
    )
    include = require_flag(count_include_pad, func, "count_include_pad")
    upstream = call.gradient(func, dy)
    if call.tiled_2x2():
        return _avg_pool_2x2_backward_kernel(upstream, call.planes()).reshape(call.x.shape)
    return _avg_pool_backward_kernel(upstream, call.planes(), call.windows, include).reshape(
        call.x.shape
    )


def lp_pool2d(
    x: ArrayLike,
    kernel: Any,
    *,
    p: float = 2.0,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    r"""L$p$ pooling: each window's $p$-norm, $(\sum |x|^p)^{1/p}$.

    With $p = 2$, the square root of the sum of squares; $p = 1$ is the sum of
    $|x|$; as $p\to\infty$ it tends to the largest $|x|$. Computed as
    $m\,(\sum (|x|/m)^p)^{1/p}$ with $m$ the window's largest $|x|$, so no
    power overflows or underflows whatever $p$. (PyTorch's ``LPPool2d``
    computes $(\sum x^p)^{1/p}$ on the signed values; ONNX's ``LpPool``, like
    this, takes the norm.)

    Parameters
    ----------
    p : float, default 2
        The order, $p > 0$ and finite.
    x, kernel, stride, padding, dilation, ceil_mode
        As for :func:`max_pool2d`; zero padding adds nothing to the norm.

    Examples
    --------
    >>> lp_pool2d(np.array([[[[3.0, -4.0]]]]), (1, 2))
    array([[[[5.]]]])
    """
    call = _Pool(
        "lp_pool2d",
        x,
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
    )
    order = as_real(p, "lp_pool2d", "p", strictly_positive=True, finite=True)
    return _lp_pool_kernel(call.planes(), call.windows, order).reshape(call.output_shape)


def lp_pool2d_backward(
    dy: ArrayLike,
    x: ArrayLike,
    kernel: Any,
    *,
    p: float = 2.0,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    r"""Gradient of :func:`lp_pool2d`.

    $\partial y/\partial x_i = \operatorname{sign}(x_i)\,(|x_i|/y)^{p-1}$. Where the window's
    norm is 0 (every input 0), and at $x_i = 0$ when $p < 1$ (where the derivative is
    infinite), the gradient returned is 0.
    """
    func = "lp_pool2d_backward"
    call = _Pool(
        func, x, kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode
    )
    order = as_real(p, func, "p", strictly_positive=True, finite=True)
    upstream = call.gradient(func, dy)
    return _lp_pool_backward_kernel(upstream, call.planes(), call.windows, order).reshape(
        call.x.shape
    )


def global_avg_pool2d(x: ArrayLike) -> np.ndarray:
    r"""The mean of each map: (N, C, H, W) to (N, C, 1, 1).

    Examples
    --------
    >>> global_avg_pool2d(np.arange(8.0).reshape(1, 2, 2, 2))
    array([[[[1.5]],
    <BLANKLINE>
            [[5.5]]]])
    """
    values = as_float_array(x, "global_avg_pool2d", "x", ndim=4, layout="(N, C, H, W)")
    _require_pixels("global_avg_pool2d", values)
    planes = values.reshape(values.shape[0] * values.shape[1], values.shape[2] * values.shape[3])
    # a plane of 1e308s has the mean 1e308, though its sum overflows
    with np.errstate(over="ignore"):  # caught by refit (the plain-Python run would warn of it)
        sums = _global_avg_kernel(planes)
    means = _stable.refit(planes, 1, sums, "mean")
    return means.reshape(*values.shape[:2], 1, 1)


def global_avg_pool2d_backward(dy: ArrayLike, x: ArrayLike) -> np.ndarray:
    r"""Gradient of :func:`global_avg_pool2d`: $dy_{n,c} / (HW)$ on every pixel of the map."""
    func = "global_avg_pool2d_backward"
    values = as_float_array(x, func, "x", ndim=4, layout="(N, C, H, W)")
    _require_pixels(func, values)
    upstream = require_output_shape(dy, func, (*values.shape[:2], 1, 1), "(N, C, 1, 1)")
    pixels = values.shape[2] * values.shape[3]
    return np.broadcast_to(upstream / pixels, values.shape).copy()


class _Pool:
    """The checked arguments of one pooling call, in the form the kernels take."""

    def __init__(
        self,
        func: str,
        x: ArrayLike,
        kernel: Any,
        *,
        stride: Any,
        padding: Any,
        dilation: Any,
        ceil_mode: bool,
    ) -> None:
        self.x = as_float_array(x, func, "x", ndim=4, layout="(N, C, H, W)")
        self.kernel = as_pair(kernel, func, "kernel")
        steps = self.kernel if stride is None else stride
        require_flag(ceil_mode, func, "ceil_mode")
        self.windows: Windows = windows(
            func,
            self.x.shape[2],
            self.x.shape[3],
            self.kernel,
            stride=steps,
            padding=padding,
            dilation=dilation,
            ceil_mode=ceil_mode,
        )
        empty = [
            _first_empty_window(size, kernel, stride, dilation, before, out)
            for size, kernel, stride, dilation, before, out in zip(
                self.x.shape[2:],
                self.windows.kernel,
                self.windows.stride,
                self.windows.dilation,
                self.windows.pad_before,
                self.windows.out,
                strict=True,
            )
        ]
        if empty[0] >= 0 or empty[1] >= 0:
            # the first window in reading order: row 0's if a column is empty, else column 0's
            window = (0, empty[1]) if empty[1] >= 0 else (empty[0], 0)
            raise ValueError(
                f"{func}: every window must hold at least one input of the image; window "
                f"{window} holds only padding (padding {padding!r} for a {self.x.shape[2]}x"
                f"{self.x.shape[3]} map, kernel {self.windows.kernel}, stride "
                f"{self.windows.stride}, dilation {self.windows.dilation})"
            )

    @property
    def output_shape(self) -> tuple[int, int, int, int]:
        return (*self.x.shape[:2], *self.windows.out)

    def tiled_2x2(self) -> bool:
        """The classic 2x2 pooling with stride 2, every window inside the map (no padding)."""
        g = self.windows
        return (
            g.kernel == (2, 2)
            and g.stride == (2, 2)
            and g.dilation == (1, 1)
            and g.pad_before == g.pad_after == (0, 0)
            and 2 * g.out[0] <= self.x.shape[2]
            and 2 * g.out[1] <= self.x.shape[3]
        )

    def planes(self) -> np.ndarray:
        """The input as (N C, H, W): one plane per sample and channel."""
        return self.x.reshape(-1, *self.x.shape[2:])

    def gradient(self, func: str, dy: ArrayLike) -> np.ndarray:
        upstream = require_output_shape(dy, func, self.output_shape, "(N, C, H_out, W_out)")
        return upstream.reshape(-1, *upstream.shape[2:])


def _first_empty_window(
    size: int, kernel: int, stride: int, dilation: int, pad_before: int, out: int
) -> int:
    """The first of the ``out`` windows along one axis that holds no input of the image, or -1.

    Window o reads the inputs o s − P + t d, t = 0 … k − 1. Windows move right with o, so
    only the first can end before the image, and from the first that starts past its end all
    do. Between those, a window reaches into the image from both sides or from one; with
    d ≤ size one of its taps then lands inside, and only when the image is narrower than
    the dilation (d > size) can its taps straddle it: those windows are counted one by one.
    """
    if -pad_before + (kernel - 1) * dilation < 0:
        return 0
    # the first window starting at or past the end: o s − P ≥ size
    past_end = -(-(size + pad_before) // stride)
    last = min(out, past_end)
    if dilation > size:
        # _taps's division, in NumPy (a Python call of the kernel would compile it on its own)
        starts = np.arange(last, dtype=np.int64) * stride - pad_before
        first = np.maximum(0, -(starts // dilation))
        stop = np.minimum(kernel, (size - 1 - starts) // dilation + 1)
        straddling = np.flatnonzero(stop <= first)
        if straddling.size:
            return int(straddling[0])
    return last if last < out else -1


def _require_pixels(func: str, values: np.ndarray) -> None:
    if values.shape[2] * values.shape[3] == 0:
        raise ValueError(f"{func}: x must have at least one pixel; got shape {values.shape}")


# ---------------------------------------------------------------------------------------------
# Kernels


@numba.njit(cache=True)
def _taps(
    out: int, stride: int, pad_before: int, dilation: int, kernel: int, low: int, high: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each output position o, the taps t whose input o s − P + t d lies in [low, high).

    They are consecutive: the range [first[o], stop[o]), empty when first[o] = stop[o].
    Computed by division, not by visiting the taps, so a window of 10^11 taps costs no more
    than one of 3; and computed once per call, which keeps the bounds checks out of the
    inner loops.
    """
    first = np.empty(out, dtype=np.int64)
    stop = np.empty(out, dtype=np.int64)
    for o in range(out):
        # the window's first input: o s − P
        start = o * stride - pad_before
        # the first tap at or after low: t ≥ ⌈(low − start) / d⌉
        first[o] = max(0, -((start - low) // dilation))
        # one past the last tap before high: t ≤ ⌊(high − 1 − start) / d⌋
        stop[o] = max(first[o], min(kernel, (high - 1 - start) // dilation + 1))
    return first, stop


@numba.njit(cache=True, parallel=True)
def _max_pool_kernel(x: np.ndarray, geometry: Windows) -> np.ndarray:
    planes, height, width = x.shape
    kernel_h, kernel_w = geometry.kernel
    stride_h, stride_w = geometry.stride
    dilation_h, dilation_w = geometry.dilation
    pad_top, pad_left = geometry.pad_before
    out_h, out_w = geometry.out
    # the taps of each window that fall on the image (padding never wins)
    row_first, row_stop = _taps(out_h, stride_h, pad_top, dilation_h, kernel_h, 0, height)
    col_first, col_stop = _taps(out_w, stride_w, pad_left, dilation_w, kernel_w, 0, width)
    y = np.empty((planes, out_h, out_w))
    for plane in numba.prange(planes):
        image = x[plane]
        for i in range(out_h):
            top = i * stride_h - pad_top
            for j in range(out_w):
                left = j * stride_w - pad_left
                best = -np.inf
                seen_nan = False
                for p in range(row_first[i], row_stop[i]):
                    line = image[top + p * dilation_h]
                    for q in range(col_first[j], col_stop[j]):
                        value = line[left + q * dilation_w]
                        # y = max over the window
                        best = value if value > best else best
                        seen_nan |= value != value
                # a NaN in the window makes the maximum NaN
                y[plane, i, j] = np.nan if seen_nan else best
    return y


@numba.njit(cache=True, parallel=True)
def _max_pool_backward_kernel(dy: np.ndarray, x: np.ndarray, geometry: Windows) -> np.ndarray:
    planes, height, width = x.shape
    kernel_h, kernel_w = geometry.kernel
    stride_h, stride_w = geometry.stride
    dilation_h, dilation_w = geometry.dilation
    pad_top, pad_left = geometry.pad_before
    out_h, out_w = geometry.out
    row_first, row_stop = _taps(out_h, stride_h, pad_top, dilation_h, kernel_h, 0, height)
    col_first, col_stop = _taps(out_w, stride_w, pad_left, dilation_w, kernel_w, 0, width)
    dx = np.zeros_like(x)
    for plane in numba.prange(planes):
        image = x[plane]
        grad = dx[plane]
        for i in range(out_h):
            top = i * stride_h - pad_top
            for j in range(out_w):
                left = j * stride_w - pad_left
                best = -np.inf
                best_row = -1
                best_col = -1
                for p in range(row_first[i], row_stop[i]):
                    row = top + p * dilation_h
                    line = image[row]
                    for q in range(col_first[j], col_stop[j]):
                        col = left + q * dilation_w
                        value = line[col]
                        # the first maximum in row-major order: only a strictly greater value
                        # moves it (a NaN takes it, and keeps it)
                        if best_row < 0 or value > best or (value != value and best == best):
                            best, best_row, best_col = value, row, col
                # the window's gradient lands on its maximum
                grad[best_row, best_col] += dy[plane, i, j]
    return dx


# The classic 2x2, stride 2 windows, written out: the same results as the general kernels.


@numba.njit(cache=True, parallel=True)
def _max_pool_2x2_kernel(x: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    planes = x.shape[0]
    y = np.empty((planes, out_h, out_w))
    for plane in numba.prange(planes):
        image = x[plane]
        for i in range(out_h):
            upper, lower, row = image[2 * i], image[2 * i + 1], y[plane, i]
            for j in range(out_w):
                a, b = upper[2 * j], upper[2 * j + 1]
                c, d = lower[2 * j], lower[2 * j + 1]
                # max of the two rows' maxima
                top = a if a > b else b
                bottom = c if c > d else d
                best = top if top > bottom else bottom
                # a NaN in the window makes the maximum NaN
                row[j] = np.nan if (a != a) | (b != b) | (c != c) | (d != d) else best
    return y


@numba.njit(cache=True, parallel=True)
def _max_pool_2x2_backward_kernel(dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    planes, height, width = x.shape
    out_h, out_w = dy.shape[1], dy.shape[2]
    # an odd last row or column belongs to no window: its gradient is 0
    dx = np.zeros_like(x) if height % 2 or width % 2 else np.empty_like(x)
    for plane in numba.prange(planes):
        image, grad = x[plane], dx[plane]
        for i in range(out_h):
            upper, lower = image[2 * i], image[2 * i + 1]
            grad_upper, grad_lower = grad[2 * i], grad[2 * i + 1]
            for j in range(out_w):
                a, b = upper[2 * j], upper[2 * j + 1]
                c, d = lower[2 * j], lower[2 * j + 1]
                # the window's maximum, as the forward finds it
                top = a if a > b else b
                bottom = c if c > d else d
                best = top if top > bottom else bottom
                # the first tap in row-major order (a, b, c, d) that holds it: flags, not
                # branches (which tap wins is as unpredictable as the data: 2.5x faster)
                first = a == best
                second = (b == best) & ~first
                third = (c == best) & ~(first | second)
                if (a != a) | (b != b) | (c != c) | (d != d):
                    # the first NaN wins
                    first = a != a
                    second = (b != b) & (a == a)
                    third = (c != c) & (a == a) & (b == b)
                fourth = ~(first | second | third)
                # the window's gradient lands on its maximum, the other three get 0
                g = dy[plane, i, j]
                grad_upper[2 * j] = g if first else 0.0
                grad_upper[2 * j + 1] = g if second else 0.0
                grad_lower[2 * j] = g if third else 0.0
                grad_lower[2 * j + 1] = g if fourth else 0.0
    return dx


@numba.njit(cache=True, parallel=True)
def _avg_pool_2x2_kernel(x: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    planes = x.shape[0]
    y = np.empty((planes, out_h, out_w))
    for plane in numba.prange(planes):
        image = x[plane]
        for i in range(out_h):
            upper, lower, row = image[2 * i], image[2 * i + 1], y[plane, i]
            for j in range(out_w):
                # (a + b + c + d) / 4, summed in the general kernel's order
                total = upper[2 * j] + upper[2 * j + 1] + lower[2 * j] + lower[2 * j + 1]
                row[j] = total / 4.0
    return y


@numba.njit(cache=True, parallel=True)
def _avg_pool_2x2_backward_kernel(dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    planes, height, width = x.shape
    out_h, out_w = dy.shape[1], dy.shape[2]
    dx = np.zeros_like(x) if height % 2 or width % 2 else np.empty_like(x)
    for plane in numba.prange(planes):
        grad = dx[plane]
        for i in range(out_h):
            grad_upper, grad_lower = grad[2 * i], grad[2 * i + 1]
            for j in range(out_w):
                # each of the four inputs gets dy / 4
                share = dy[plane, i, j] / 4.0
                grad_upper[2 * j] = share
                grad_upper[2 * j + 1] = share
                grad_lower[2 * j] = share
                grad_lower[2 * j + 1] = share
    return dx


@numba.njit(cache=True)
def _divisors(height: int, width: int, geometry: Windows, include_pad: bool) -> np.ndarray:
    """Each window's count of taps: inside the padded input, or inside the image."""
    kernel_h, kernel_w = geometry.kernel
    stride_h, stride_w = geometry.stride
    dilation_h, dilation_w = geometry.dilation
    pad_top, pad_left = geometry.pad_before
    out_h, out_w = geometry.out
    pad_bottom, pad_right = geometry.pad_after
    if include_pad:
        row_first, row_stop = _taps(
            out_h, stride_h, pad_top, dilation_h, kernel_h, -pad_top, height + pad_bottom
        )
        col_first, col_stop = _taps(
            out_w, stride_w, pad_left, dilation_w, kernel_w, -pad_left, width + pad_right
        )
    else:
        row_first, row_stop = _taps(out_h, stride_h, pad_top, dilation_h, kernel_h, 0, height)
        col_first, col_stop = _taps(out_w, stride_w, pad_left, dilation_w, kernel_w, 0, width)
    counts = np.empty((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            # rows counted × columns counted (in floating point: 10^11 x 10^11 taps
            # would overflow an int64)
            counts[i, j] = float(row_stop[i] - row_first[i]) * float(col_stop[j] - col_first[j])
    return counts


@numba.njit(cache=True, parallel=True)
def _avg_pool_kernel(x: np.ndarray, geometry: Windows, include_pad: bool) -> np.ndarray:
    planes, height, width = x.shape
    kernel_h, kernel_w = geometry.kernel
    stride_h, stride_w = geometry.stride
    dilation_h, dilation_w = geometry.dilation
    pad_top, pad_left = geometry.pad_before
    out_h, out_w = geometry.out
    # the taps on the image (zero padding adds nothing to the sum)
    row_first, row_stop = _taps(out_h, stride_h, pad_top, dilation_h, kernel_h, 0, height)
    col_first, col_stop = _taps(out_w, stride_w, pad_left, dilation_w, kernel_w, 0, width)
    counts = _divisors(height, width, geometry, include_pad)
    y = np.empty((planes, out_h, out_w))
    for plane in numba.prange(planes):
        image = x[plane]
        for i in range(out_h):
            top = i * stride_h - pad_top
            for j in range(out_w):
                left = j * stride_w - pad_left
                total = 0.0
                for p in range(row_first[i], row_stop[i]):
                    line = image[top + p * dilation_h]
                    for q in range(col_first[j], col_stop[j]):
                        # Σ over the window
                        total += line[left + q * dilation_w]
                # y = Σ / (number of counted taps)
                y[plane, i, j] = total / counts[i, j]
    return y


@numba.njit(cache=True, parallel=True)
def _avg_pool_backward_kernel(
    dy: np.ndarray, x: np.ndarray, geometry: Windows, include_pad: bool
) -> np.ndarray:
    planes, height, width = x.shape
    kernel_h, kernel_w = geometry.kernel
    stride_h, stride_w = geometry.stride
    dilation_h, dilation_w = geometry.dilation
    pad_top, pad_left = geometry.pad_before
    out_h, out_w = geometry.out
    row_first, row_stop = _taps(out_h, stride_h, pad_top, dilation_h, kernel_h, 0, height)
    col_first, col_stop = _taps(out_w, stride_w, pad_left, dilation_w, kernel_w, 0, width)
    counts = _divisors(height, width, geometry, include_pad)
    dx = np.zeros_like(x)
    for plane in numba.prange(planes):
        for i in range(out_h):
            for p in range(row_first[i], row_stop[i]):
                line = dx[plane, i * stride_h - pad_top + p * dilation_h]
                for j in range(out_w):
                    # each input of the window gets dy / divisor
                    share = dy[plane, i, j] / counts[i, j]
                    start = j * stride_w - pad_left
                    for q in range(col_first[j], col_stop[j]):
                        line[start + q * dilation_w] += share
    return dx


@numba.njit(cache=True)
def _window_norm(
    image: np.ndarray,
    top: int,
    left: int,
    rows: tuple[int, int],
    cols: tuple[int, int],
    dilation_h: int,
    dilation_w: int,
    p: float,
) -> float:
    """The p-norm of the window at (top, left) of one plane, over its taps on the image.

    ``rows`` and ``cols`` are the ranges of taps that land on the image (from :func:`_taps`).
    """
    largest = 0.0
    for a in range(rows[0], rows[1]):
        line = image[top + a * dilation_h]
        for c in range(cols[0], cols[1]):
            magnitude = abs(line[left + c * dilation_w])
            # m = max |x| over the window (a NaN takes it, and keeps it)
            if largest == largest and not magnitude <= largest:
                largest = magnitude
    if largest == 0.0 or largest != largest or largest == np.inf:
        return largest  # all zeros, a NaN, or an infinite entry: the norm is that
    total = 0.0
    for a in range(rows[0], rows[1]):
        line = image[top + a * dilation_h]
        for c in range(cols[0], cols[1]):
            # Σ (|x| / m)^p, each term at most 1
            total += (abs(line[left + c * dilation_w]) / largest) ** p
    # ‖x‖_p = m (Σ (|x|/m)^p)^{1/p}
    return largest * total ** (1.0 / p)


@numba.njit(cache=True, parallel=True)
def _lp_pool_kernel(x: np.ndarray, geometry: Windows, p: float) -> np.ndarray:
    planes, height, width = x.shape
    kernel_h, kernel_w = geometry.kernel
    stride_h, stride_w = geometry.stride
    dilation_h, dilation_w = geometry.dilation
    pad_top, pad_left = geometry.pad_before
    out_h, out_w = geometry.out
    # the taps of each window that fall on the image (zero padding adds nothing to the norm)
    row_first, row_stop = _taps(out_h, stride_h, pad_top, dilation_h, kernel_h, 0, height)
    col_first, col_stop = _taps(out_w, stride_w, pad_left, dilation_w, kernel_w, 0, width)
    y = np.empty((planes, out_h, out_w))
    for plane in numba.prange(planes):
        image = x[plane]
        for i in range(out_h):
            rows = (row_first[i], row_stop[i])
            for j in range(out_w):
                cols = (col_first[j], col_stop[j])
                top, left = i * stride_h - pad_top, j * stride_w - pad_left
                y[plane, i, j] = _window_norm(
                    image, top, left, rows, cols, dilation_h, dilation_w, p
                )
    return y


@numba.njit(cache=True, parallel=True)
def _lp_pool_backward_kernel(
    dy: np.ndarray, x: np.ndarray, geometry: Windows, p: float
) -> np.ndarray:
    planes, height, width = x.shape
    kernel_h, kernel_w = geometry.kernel
    stride_h, stride_w = geometry.stride
    dilation_h, dilation_w = geometry.dilation
    pad_top, pad_left = geometry.pad_before
    out_h, out_w = geometry.out
    row_first, row_stop = _taps(out_h, stride_h, pad_top, dilation_h, kernel_h, 0, height)
    col_first, col_stop = _taps(out_w, stride_w, pad_left, dilation_w, kernel_w, 0, width)
    dx = np.zeros_like(x)
    for plane in numba.prange(planes):
        image = x[plane]
        for i in range(out_h):
            rows = (row_first[i], row_stop[i])
            for j in range(out_w):
                cols = (col_first[j], col_stop[j])
                top, left = i * stride_h - pad_top, j * stride_w - pad_left
                norm = _window_norm(image, top, left, rows, cols, dilation_h, dilation_w, p)
                if norm == 0.0:
                    continue  # every input 0: the subgradient 0
                for a in range(rows[0], rows[1]):
                    row = top + a * dilation_h
                    for c in range(cols[0], cols[1]):
                        col = left + c * dilation_w
                        value = image[row, col]
                        if value != 0.0:
                            # ∂y/∂x = sign(x) (|x| / y)^{p−1}
                            slope = np.sign(value) * (abs(value) / norm) ** (p - 1.0)
                            dx[plane, row, col] += dy[plane, i, j] * slope
    return dx


@numba.njit(cache=True, parallel=True)
def _global_avg_kernel(planes: np.ndarray) -> np.ndarray:
    count, pixels = planes.shape
    y = np.empty(count)
    for plane in numba.prange(count):
        total = 0.0
        for k in range(pixels):
            # Σ over the map
            total += planes[plane, k]
        # mean = Σ / (H W)
        y[plane] = total / pixels
    return y
