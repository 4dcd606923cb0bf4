r"""Two-dimensional convolution: a small kernel slides over an image.

Each output pixel of a convolution layer is a dense layer applied to a small
patch of the input, the **local receptive field**, and every position uses
the **same weights**: the kernel. A 3x3 kernel over 16 input channels has
$16\cdot 9$ weights per output channel whatever the size of the image, where
a dense layer from a 32x32 image would need $16\cdot 32\cdot 32$ per output
unit.

Like every deep learning library, this computes the **cross-correlation**
(the kernel is not flipped):

$$\begin{aligned}
y_{n,o,i,j} &= b_o + \sum_{c}\sum_{p=0}^{k_H-1}\sum_{q=0}^{k_W-1} w_{o,c,p,q}\\
&\qquad\cdot x_{n,\ g C'_{in} + c,\ i s_H - P_T + p d_H,\ j s_W - P_L + q d_W},
\end{aligned}$$

with inputs outside the image read as 0 (zero padding), $g$ the group of
output channel $o$ and $C'_{in} = C_{in}/\text{groups}$ the input channels of
a group. Layouts: input NCHW (batch, channels, height, width), weights OIHW
(C_out, C_in/groups, kH, kW), as in PyTorch and ONNX. ``stride``, ``padding``
and ``dilation`` take the forms described in :mod:`reference._windows`.

Two implementations compute it. :func:`conv2d_direct` is the formula above as
loops, the definition a learner reads. :func:`conv2d` unrolls each sample's
patches into the columns of a matrix (``im2col``) and multiplies by the
weights with one BLAS call per group: the same sums in another order, and
much faster. The tests hold each against the other.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import ArrayLike

from reference._validation import as_float_array, as_positive_int, require_output_shape
from reference._windows import Windows, windows

__all__ = [
    "conv2d",
    "conv2d_backward",
    "conv2d_direct",
    "conv2d_direct_backward",
    "conv2d_output_shape",
    "conv2d_padding",
]

Padding = Any  # "valid" | "same" | "same_lower" | int | ((top, bottom), (left, right))


class _Conv:
    """The checked arguments of one call, in the form the kernels take."""

    def __init__(
        self,
        func: str,
        x: ArrayLike,
        w: ArrayLike,
        b: ArrayLike | None,
        *,
        stride: Any,
        padding: Padding,
        dilation: Any,
        groups: Any,
    ) -> None:
        self.x = as_float_array(x, func, "x", ndim=4, layout="(N, C_in, H, W)")
        self.w = as_float_array(w, func, "w", ndim=4, layout="(C_out, C_in / groups, kH, kW)")
        self.groups = _check_channels(func, self.x.shape, self.w.shape, groups)
        channels_out = self.w.shape[0]
        self.has_bias = b is not None
        if b is None:
            self.b = np.zeros(channels_out)
        else:
            self.b = as_float_array(b, func, "b", ndim=1, layout="(C_out,)")
            if self.b.shape != (channels_out,):
                raise ValueError(
                    f"{func}: b must have shape ({channels_out},), one bias per "
                    f"output channel; got shape {self.b.shape}"
                )
        self.windows: Windows = windows(
            func,
            self.x.shape[2],
            self.x.shape[3],
            (self.w.shape[2], self.w.shape[3]),
            stride=stride,
            padding=padding,
            dilation=dilation,
        )

    @property
    def output_shape(self) -> tuple[int, int, int, int]:
        return (self.x.shape[0], self.w.shape[0], *self.windows.out)

    def gradient(self, func: str, dy: ArrayLike) -> np.ndarray:
        return require_output_shape(dy, func, self.output_shape, "(N, C_out, H_out, W_out)")


def _shapes(func: str, x_shape: Any, w_shape: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes as tuples of non-negative Python ints; or raise."""
    shapes = []
    for name, shape in (("x_shape", x_shape), ("w_shape", w_shape)):
        if not isinstance(shape, (tuple, list)) or not all(
            isinstance(side, (int, np.integer)) and not isinstance(side, bool) and side >= 0
            for side in shape
        ):
            raise ValueError(f"{func}: {name} must be a tuple of non-negative ints; got {shape!r}")
        shapes.append(tuple(int(side) for side in shape))
    return shapes[0], shapes[1]


def _require_kernel(func: str, w_shape: tuple[int, ...]) -> None:
    if w_shape[2] < 1 or w_shape[3] < 1:
        raise ValueError(f"{func}: the kernel must be at least 1x1; got w of shape {w_shape}")


def _check_channels(
    func: str, x_shape: tuple[int, ...], w_shape: tuple[int, ...], groups: Any
) -> int:
    _require_kernel(func, w_shape)
    count = as_positive_int(groups, func, "groups")
    channels_in, channels_out = x_shape[1], w_shape[0]
    if channels_in % count or channels_out % count:
        raise ValueError(
            f"{func}: groups = {count} must divide both C_in = {channels_in} and "
            f"C_out = {channels_out}"
        )
    if w_shape[1] != channels_in // count:
        raise ValueError(
            f"{func}: w must have C_in / groups = {channels_in // count} input "
            f"channels (axis 1) for x with C_in = {channels_in}; got w of shape "
            f"{w_shape}"
        )
    return count


def conv2d_output_shape(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    *,
    stride: Any = 1,
    padding: Padding = "valid",
    dilation: Any = 1,
    groups: int = 1,
) -> tuple[int, int, int, int]:
    r"""The shape (N, C_out, H_out, W_out) of :func:`conv2d`'s output, without computing it.

    $H_{out} = \lfloor (H + P_T + P_B - d_H(k_H - 1) - 1)/s_H \rfloor + 1$, and
    the same along the width; ``"same"`` gives $\lceil H/s_H\rceil$.

    Examples
    --------
    >>> conv2d_output_shape((1, 3, 5, 5), (2, 3, 3, 3), padding="same")
    (1, 2, 5, 5)
    """
    func = "conv2d_output_shape"
    x_shape, w_shape = _shapes(func, x_shape, w_shape)
    if len(x_shape) != 4 or len(w_shape) != 4:
        raise ValueError(
            f"{func}: x_shape and w_shape must have 4 entries (NCHW and OIHW); got "
            f"{tuple(x_shape)} and {tuple(w_shape)}"
        )
    _check_channels(func, tuple(x_shape), tuple(w_shape), groups)
    geometry = windows(
        func,
        int(x_shape[2]),
        int(x_shape[3]),
        (int(w_shape[2]), int(w_shape[3])),
        stride=stride,
        padding=padding,
        dilation=dilation,
    )
    return (int(x_shape[0]), int(w_shape[0]), *geometry.out)


def conv2d_padding(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    *,
    stride: Any = 1,
    padding: Padding = "valid",
    dilation: Any = 1,
) -> tuple[tuple[int, int], tuple[int, int]]:
    r"""The zeros :func:`conv2d` adds around the image: ``((top, bottom), (left, right))``.

    Resolves ``"same"`` and ``"same_lower"`` (total padding
    $\max(0, (\lceil H/s
    ceil - 1)s + d(k - 1) + 1 - H)$, the odd pixel at the
    end or the start) and an int; explicit padding comes back as it was given.

    Examples
    --------
    >>> conv2d_padding((1, 1, 6, 6), (1, 1, 4, 4), padding="same")
    ((1, 2), (1, 2))
    >>> conv2d_padding((1, 1, 6, 6), (1, 1, 4, 4), padding="same_lower")
    ((2, 1), (2, 1))
    """
    func = "conv2d_padding"
    x_shape, w_shape = _shapes(func, x_shape, w_shape)
    if len(x_shape) != 4 or len(w_shape) != 4:
        raise ValueError(
            f"{func}: x_shape and w_shape must have 4 entries (NCHW and OIHW); got "
            f"{tuple(x_shape)} and {tuple(w_shape)}"
        )
    _require_kernel(func, w_shape)
    geometry = windows(
        func,
        int(x_shape[2]),
        int(x_shape[3]),
        (int(w_shape[2]), int(w_shape[3])),
        stride=stride,
        padding=padding,
        dilation=dilation,
    )
    (top, left), (bottom, right) = geometry.pad_before, geometry.pad_after
    return (top, bottom), (left, right)


def conv2d(
    x: ArrayLike,
    w: ArrayLike,
    b: ArrayLike | None = None,
    *,
    stride: Any = 1,
    padding: Padding = "valid",
    dilation: Any = 1,
    groups: int = 1,
) -> np.ndarray:
    r"""2-D convolution (cross-correlation) of NCHW input with OIHW weights, by im2col and BLAS.

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W)
    w : array_like, shape (C_out, C_in / groups, kH, kW)
    b : array_like, shape (C_out,), optional
        One bias per output channel (none by default).
    stride : int or (int, int), default 1
        The step between windows, vertically and horizontally.
    padding : str, int or ((int, int), (int, int)), default "valid"
        ``"valid"`` (none), ``"same"`` (output $\lceil H/s\rceil$, the odd
        pixel at the end: ONNX's SAME_UPPER), ``"same_lower"`` (the odd
        pixel at the start), an int for every side, or
        ``((top, bottom), (left, right))``. Padding is zeros.
    dilation : int or (int, int), default 1
        The spacing between the kernel's taps ($d - 1$ holes between them).
    groups : int, default 1
        The channels are split into this many groups, convolved separately:
        output channel $o$ sees only the input channels of its group.
        ``groups = C_in`` with ``C_out = C_in`` is a depthwise convolution.

    Returns
    -------
    numpy.ndarray, shape (N, C_out, H_out, W_out)
        See :func:`conv2d_output_shape`.

    Raises
    ------
    TypeError
        For non-floating data or a malformed attribute.
    ValueError
        For a wrong rank, channels that do not match or are not divisible by
        ``groups``, a stride or dilation below 1, a negative padding, or a
        kernel larger than the padded input.

    Examples
    --------
    >>> image = np.arange(25.0).reshape(1, 1, 5, 5)
    >>> conv2d(image, np.ones((1, 1, 3, 3)))[0, 0]  # each output: the sum of a 3x3 patch
    array([[ 54.,  63.,  72.],
           [ 99., 108., 117.],
           [144., 153., 162.]])
    """
    call = _Conv(
        "conv2d", x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups
    )
    return _conv2d_im2col_kernel(call.x, call.w, call.b, call.windows, call.groups)


def conv2d_backward(
    dy: ArrayLike,
    x: ArrayLike,
    w: ArrayLike,
    b: ArrayLike | None = None,
    *,
    stride: Any = 1,
    padding: Padding = "valid",
    dilation: Any = 1,
    groups: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    r"""Gradients of :func:`conv2d`: ``(dx, dw, db)``, by im2col and BLAS.

    Per sample and group, with $X$ the im2col matrix of the input (one column
    per output pixel) and $W$ the weights as a (C_out, C_in kH kW) matrix,
    the forward is $Y = WX$; so $dW = \sum_n dY\,X^\top$, and
    $dX = W^\top dY$ is folded back onto the image by adding each column's
    entries where they were read (col2im). $db_o = \sum_{n,i,j} dy_{n,o,i,j}$.

    Returns
    -------
    (dx, dw, db)
        Shaped like ``x``, ``w`` and ``b``; ``db`` is None when ``b`` is None.
    """
    func = "conv2d_backward"
    call = _Conv(func, x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    upstream = call.gradient(func, dy)
    dx, dw = _conv2d_im2col_backward_kernel(upstream, call.x, call.w, call.windows, call.groups)
    return dx, dw, (upstream.sum(axis=(0, 2, 3)) if call.has_bias else None)


def conv2d_direct(
    x: ArrayLike,
    w: ArrayLike,
    b: ArrayLike | None = None,
    *,
    stride: Any = 1,
    padding: Padding = "valid",
    dilation: Any = 1,
    groups: int = 1,
) -> np.ndarray:
    r""":func:`conv2d` by its definition: one loop per index of the formula.

    Slow, and written to be read: the same arguments and result as
    :func:`conv2d`, which is held to agree with it.
    """
    call = _Conv(
        "conv2d_direct", x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups
    )
    return _conv2d_direct_kernel(call.x, call.w, call.b, call.windows, call.groups)


def conv2d_direct_backward(
    dy: ArrayLike,
    x: ArrayLike,
    w: ArrayLike,
    b: ArrayLike | None = None,
    *,
    stride: Any = 1,
    padding: Padding = "valid",
    dilation: Any = 1,
    groups: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    r""":func:`conv2d_backward` by its definition.

    Each term $x\,w$ of the forward sends $dy\cdot w$ back to the input it
    read and $dy\cdot x$ back to the weight it used.
    """
    func = "conv2d_direct_backward"
    call = _Conv(func, x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    upstream = call.gradient(func, dy)
    dx, dw = _conv2d_direct_backward_kernel(upstream, call.x, call.w, call.windows, call.groups)
    return dx, dw, (upstream.sum(axis=(0, 2, 3)) if call.has_bias else None)


# ---------------------------------------------------------------------------------------------
# The definition, as loops


@numba.njit(cache=True)
def _conv2d_direct_kernel(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, geometry: Windows, groups: int
) -> np.ndarray:
    batch, _, height, width = x.shape
    channels_out, group_in, kernel_h, kernel_w = w.shape
    stride_h, stride_w = geometry.stride
    dilation_h, dilation_w = geometry.dilation
    pad_top, pad_left = geometry.pad_before
    out_h, out_w = geometry.out
    group_out = channels_out // groups
    y = np.empty((batch, channels_out, out_h, out_w))
    for n in range(batch):
        for o in range(channels_out):
            # the first input channel of o's group
            first = (o // group_out) * group_in
            for i in range(out_h):
                for j in range(out_w):
                    total = b[o]
                    for c in range(group_in):
                        for p in range(kernel_h):
                            # row read by tap p: i s_H − P_T + p d_H
                            row = i * stride_h - pad_top + p * dilation_h
                            if row < 0 or row >= height:
                                continue  # zero padding
                            for q in range(kernel_w):
                                # column read by tap q: j s_W − P_L + q d_W
                                col = j * stride_w - pad_left + q * dilation_w
                                if 0 <= col < width:
                                    # y += x · w
                                    total += x[n, first + c, row, col] * w[o, c, p, q]
                    y[n, o, i, j] = total
    return y


@numba.njit(cache=True)
def _conv2d_direct_backward_kernel(
    dy: np.ndarray, x: np.ndarray, w: np.ndarray, geometry: Windows, groups: int
) -> tuple[np.ndarray, np.ndarray]:
    batch, _, height, width = x.shape
    channels_out, group_in, kernel_h, kernel_w = w.shape
    stride_h, stride_w = geometry.stride
    dilation_h, dilation_w = geometry.dilation
    pad_top, pad_left = geometry.pad_before
    out_h, out_w = geometry.out
    group_out = channels_out // groups
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for n in range(batch):
        for o in range(channels_out):
            first = (o // group_out) * group_in
            for i in range(out_h):
                for j in range(out_w):
                    upstream = dy[n, o, i, j]
                    for c in range(group_in):
                        for p in range(kernel_h):
                            row = i * stride_h - pad_top + p * dilation_h
                            if row < 0 or row >= height:
                                continue
                            for q in range(kernel_w):
                                col = j * stride_w - pad_left + q * dilation_w
                                if 0 <= col < width:
                                    # ∂y/∂x = w: dx += dy · w
                                    dx[n, first + c, row, col] += upstream * w[o, c, p, q]
                                    # ∂y/∂w = x: dw += dy · x
                                    dw[o, c, p, q] += upstream * x[n, first + c, row, col]
    return dx, dw


# ---------------------------------------------------------------------------------------------
# The fast path: im2col, one matrix product per group, col2im


@numba.njit(cache=True)
def _im2col(image: np.ndarray, geometry: Windows) -> np.ndarray:
    """One sample's patches as columns: row (c, p, q), column (i, j); padding reads 0."""
    channels, height, width = image.shape
    kernel_h, kernel_w = geometry.kernel
    stride_h, stride_w = geometry.stride
    dilation_h, dilation_w = geometry.dilation
    pad_top, pad_left = geometry.pad_before
    out_h, out_w = geometry.out
    columns = np.zeros((channels * kernel_h * kernel_w, out_h * out_w))
    for c in range(channels):
        for p in range(kernel_h):
            for q in range(kernel_w):
                line = (c * kernel_h + p) * kernel_w + q
                for i in range(out_h):
                    row = i * stride_h - pad_top + p * dilation_h
                    if row < 0 or row >= height:
                        continue
                    for j in range(out_w):
                        col = j * stride_w - pad_left + q * dilation_w
                        if 0 <= col < width:
                            # X[(c, p, q), (i, j)] = x[c, row, col]
                            columns[line, i * out_w + j] = image[c, row, col]
    return columns


@numba.njit(cache=True)
def _col2im_add(columns: np.ndarray, image: np.ndarray, geometry: Windows) -> None:
    """The adjoint of :func:`_im2col`: add each column entry where it was read from."""
    channels, height, width = image.shape
    kernel_h, kernel_w = geometry.kernel
    stride_h, stride_w = geometry.stride
    dilation_h, dilation_w = geometry.dilation
    pad_top, pad_left = geometry.pad_before
    out_h, out_w = geometry.out
    for c in range(channels):
        for p in range(kernel_h):
            for q in range(kernel_w):
                line = (c * kernel_h + p) * kernel_w + q
                for i in range(out_h):
                    row = i * stride_h - pad_top + p * dilation_h
                    if row < 0 or row >= height:
                        continue
                    for j in range(out_w):
                        col = j * stride_w - pad_left + q * dilation_w
                        if 0 <= col < width:
                            # dx[c, row, col] += dX[(c, p, q), (i, j)]
                            image[c, row, col] += columns[line, i * out_w + j]


@numba.njit(cache=True)
def _conv2d_im2col_kernel(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, geometry: Windows, groups: int
) -> np.ndarray:
    batch = x.shape[0]
    channels_out, group_in, kernel_h, kernel_w = w.shape
    out_h, out_w = geometry.out
    group_out = channels_out // groups
    rows = group_in * kernel_h * kernel_w
    weights = w.reshape(channels_out, rows)
    y = np.empty((batch, channels_out, out_h * out_w))
    for n in range(batch):
        columns = _im2col(x[n], geometry)
        for g in range(groups):
            # Y_g = W_g X_g  (BLAS)
            y[n, g * group_out : (g + 1) * group_out] = np.dot(
                weights[g * group_out : (g + 1) * group_out], columns[g * rows : (g + 1) * rows]
            )
        for o in range(channels_out):
            # + b_o on every pixel
            y[n, o] += b[o]
    return y.reshape(batch, channels_out, out_h, out_w)


@numba.njit(cache=True)
def _conv2d_im2col_backward_kernel(
    dy: np.ndarray, x: np.ndarray, w: np.ndarray, geometry: Windows, groups: int
) -> tuple[np.ndarray, np.ndarray]:
    batch = x.shape[0]
    channels_out, group_in, kernel_h, kernel_w = w.shape
    out_h, out_w = geometry.out
    group_out = channels_out // groups
    rows = group_in * kernel_h * kernel_w
    weights = w.reshape(channels_out, rows)
    upstream = dy.reshape(batch, channels_out, out_h * out_w)
    d_weights = np.zeros((channels_out, rows))
    dx = np.zeros_like(x)
    d_columns = np.empty((groups * rows, out_h * out_w))
    for n in range(batch):
        columns = _im2col(x[n], geometry)
        upstream_n = upstream[n]
        for g in range(groups):
            out_rows = slice(g * group_out, (g + 1) * group_out)
            in_rows = slice(g * rows, (g + 1) * rows)
            # dW_g += dY_g X_gᵀ  (BLAS)
            d_weights[out_rows] += np.dot(upstream_n[out_rows], columns[in_rows].T)
            # dX_g = W_gᵀ dY_g  (BLAS)
            d_columns[in_rows] = np.dot(weights[out_rows].T, upstream_n[out_rows])
        # fold the columns back onto the image
        _col2im_add(d_columns, dx[n], geometry)
    return dx, d_weights.reshape(w.shape)
