r"""Other libraries' attribute forms and layouts, in deepref's terms.

deepref's convolution and pooling take explicit padding, ``((top, bottom),
(left, right))``, and arrays in NCHW order with OIHW kernels. PyTorch and
ONNX say the same things in other words: PyTorch's ``padding`` is an int, a
pair ``(ph, pw)`` or ``"same"``; ONNX's ``pads`` lists ``[top, left, bottom,
right]`` (every axis's start, then every axis's end) or gives way to
``auto_pad``; TensorFlow and ONNX Runtime's NHWC kernels keep channels last,
and their kernels HWIO or OHWI. This module translates, so that a comparison
with deepref compares the same computation.

Along one axis of length $n$, a kernel of $k$ taps with dilation $d$ spans
$k_d = d(k - 1) + 1$ inputs. ONNX's ``SAME_UPPER`` and ``SAME_LOWER`` make
the output $\lceil n / s\rceil$ long, padding $\max(0, (\lceil n/s\rceil - 1)s
+ k_d - n)$ in all, the odd one at the end (upper) or the start (lower).
PyTorch's ``"same"`` keeps the output $n$ long (stride 1 only), padding
$k_d - 1$ in all, the odd one at the end.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from reference._validation import describe

__all__ = [
    "hwio_to_oihw",
    "nchw_to_nhwc",
    "nhwc_to_nchw",
    "ohwi_to_oihw",
    "oihw_to_hwio",
    "oihw_to_ohwi",
    "pads_from_onnx",
    "pads_from_torch",
]

#: deepref's explicit padding: ((top, bottom), (left, right)).
Pads = tuple[tuple[int, int], tuple[int, int]]

#: ONNX's values of ``auto_pad``.
AUTO_PADS = ("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER")


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _ints(value: Any, func: str, name: str, length: int, *, minimum: int) -> tuple[int, ...]:
    """A sequence of ``length`` ints, each at least ``minimum``; or raise naming the argument."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(
            f"{func}: {name} must be a sequence of {length} ints; got {describe(value)}"
        )
    items = list(value)
    if len(items) != length or not all(_is_int(item) for item in items):
        raise ValueError(f"{func}: {name} must be {length} ints; got {value!r}")
    if min(items) < minimum:
        raise ValueError(f"{func}: {name} must be ints >= {minimum}; got {value!r}")
    return tuple(int(item) for item in items)


def _spatial(x_shape: Any, func: str) -> tuple[int, int]:
    """(H, W) of an (N, C, H, W) shape."""
    shape = _ints(x_shape, func, "x_shape", 4, minimum=0)
    return shape[2], shape[3]


def _same(size: int, span: int, stride: int, *, lower: bool) -> tuple[int, int]:
    """(before, after) for an output ceil(size / stride) long."""
    out = -(-size // stride)
    total = max(0, (out - 1) * stride + span - size)
    small, large = total // 2, total - total // 2
    return (large, small) if lower else (small, large)


def pads_from_onnx(
    x_shape: Sequence[int],
    kernel_shape: Sequence[int],
    *,
    pads: Sequence[int] | None = None,
    auto_pad: str = "NOTSET",
    strides: Sequence[int] | None = None,
    dilations: Sequence[int] | None = None,
) -> Pads:
    """The padding deepref takes for an ONNX Conv, MaxPool or AveragePool node's attributes.

    Parameters
    ----------
    x_shape : sequence of 4 ints
        The input's shape, (N, C, H, W).
    kernel_shape : sequence of 2 ints
        (kH, kW): ONNX's ``kernel_shape`` (for Conv, the weight's last two sizes).
    pads : sequence of 4 ints, optional
        ``[top, left, bottom, right]``; zeros when absent. Only with ``auto_pad="NOTSET"``.
    auto_pad : {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"}, default "NOTSET"
        ONNX's ``auto_pad``.
    strides, dilations : sequence of 2 ints, optional
        ONNX's ``strides`` and ``dilations`` (ones when absent).

    Returns
    -------
    ((top, bottom), (left, right))
        For the ``padding`` of :func:`reference.conv.conv2d` and the poolings.

    Examples
    --------
    >>> pads_from_onnx((1, 1, 5, 4), (3, 3), pads=[1, 1, 0, 1])
    ((1, 0), (1, 1))
    >>> pads_from_onnx((1, 1, 5, 5), (2, 2), auto_pad="SAME_LOWER", strides=[2, 2])
    ((1, 0), (1, 0))
    """
    func = "pads_from_onnx"
    height, width = _spatial(x_shape, func)
    kernel = _ints(kernel_shape, func, "kernel_shape", 2, minimum=1)
    step = (1, 1) if strides is None else _ints(strides, func, "strides", 2, minimum=1)
    spread = (1, 1) if dilations is None else _ints(dilations, func, "dilations", 2, minimum=1)
    if auto_pad not in AUTO_PADS:
        raise ValueError(f"{func}: auto_pad must be one of {AUTO_PADS}; got {auto_pad!r}")
    if auto_pad != "NOTSET" and pads is not None:
        raise ValueError(f"{func}: pads cannot be given with auto_pad={auto_pad!r} (ONNX's rule)")
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        lower = auto_pad == "SAME_LOWER"
        spans = [d * (k - 1) + 1 for d, k in zip(spread, kernel, strict=True)]
        return (
            _same(height, spans[0], step[0], lower=lower),
            _same(width, spans[1], step[1], lower=lower),
        )
    top, left, bottom, right = (
        (0, 0, 0, 0) if pads is None else _ints(pads, func, "pads", 4, minimum=0)
    )
    return (top, bottom), (left, right)


def pads_from_torch(
    x_shape: Sequence[int],
    kernel_size: Any,
    *,
    padding: Any = 0,
    stride: Any = 1,
    dilation: Any = 1,
) -> Pads:
    """The padding deepref takes for PyTorch's ``conv2d``, ``max_pool2d`` or ``avg_pool2d``.

    Parameters
    ----------
    x_shape : sequence of 4 ints
        The input's shape, (N, C, H, W).
    kernel_size : int or pair of ints
        PyTorch's ``kernel_size`` (for a convolution, the weight's last two sizes).
    padding : int, pair of ints, "valid" or "same", default 0
        PyTorch's ``padding``: the same on both sides of each axis, or (for
        ``"same"``, stride 1 only) an output as long as the input, the odd pixel at the end.
    stride, dilation : int or pair of ints, default 1

    Returns
    -------
    ((top, bottom), (left, right))

    Examples
    --------
    >>> pads_from_torch((1, 1, 8, 8), 3, padding=(1, 2))
    ((1, 1), (2, 2))
    >>> pads_from_torch((1, 1, 8, 8), (2, 4), padding="same")
    ((0, 1), (1, 2))
    """
    func = "pads_from_torch"
    _spatial(x_shape, func)
    kernel = _pair(kernel_size, func, "kernel_size", minimum=1)
    step = _pair(stride, func, "stride", minimum=1)
    spread = _pair(dilation, func, "dilation", minimum=1)
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            raise ValueError(
                f"{func}: padding must be an int, a pair, 'valid' or 'same'; got {padding!r}"
            )
        if step != (1, 1):
            raise ValueError(
                f"{func}: padding='same' needs stride 1 (PyTorch's rule); got {stride!r}"
            )
        totals = [d * (k - 1) for d, k in zip(spread, kernel, strict=True)]
        return (totals[0] // 2, totals[0] - totals[0] // 2), (
            totals[1] // 2,
            totals[1] - totals[1] // 2,
        )
    rows, columns = _pair(padding, func, "padding", minimum=0)
    return (rows, rows), (columns, columns)


def _pair(value: Any, func: str, name: str, *, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, as a pair."""
    if _is_int(value):
        if value < minimum:
            raise ValueError(f"{func}: {name} must be >= {minimum}; got {value!r}")
        return int(value), int(value)
    first, second = _ints(value, func, name, 2, minimum=minimum)
    return first, second


def _rank4(x: ArrayLike, func: str, name: str) -> np.ndarray:
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{func}: {name} must hold real numbers; got {array.dtype} data")
    if array.ndim != 4:
        raise ValueError(f"{func}: {name} must have rank 4; got shape {array.shape}")
    return array


def _moved(x: ArrayLike, order: tuple[int, int, int, int], func: str, name: str) -> np.ndarray:
    """A C-ordered copy of ``x`` with its axes in ``order``."""
    return np.array(np.transpose(_rank4(x, func, name), order), order="C", copy=True)


def nhwc_to_nchw(x: ArrayLike) -> np.ndarray:
    """Images with channels last, (N, H, W, C), as deepref takes them: (N, C, H, W)."""
    return _moved(x, (0, 3, 1, 2), "nhwc_to_nchw", "x")


def nchw_to_nhwc(x: ArrayLike) -> np.ndarray:
    """Images as deepref takes them, (N, C, H, W), with channels last: (N, H, W, C)."""
    return _moved(x, (0, 2, 3, 1), "nchw_to_nhwc", "x")


def hwio_to_oihw(w: ArrayLike) -> np.ndarray:
    """A TensorFlow kernel (kH, kW, C_in, C_out) as deepref's (C_out, C_in, kH, kW)."""
    return _moved(w, (3, 2, 0, 1), "hwio_to_oihw", "w")


def oihw_to_hwio(w: ArrayLike) -> np.ndarray:
    """A kernel in deepref's order (C_out, C_in, kH, kW), as TensorFlow's: (kH, kW, C_in, C_out)."""
    return _moved(w, (2, 3, 1, 0), "oihw_to_hwio", "w")


def ohwi_to_oihw(w: ArrayLike) -> np.ndarray:
    """A channels-last kernel (C_out, kH, kW, C_in) as deepref's (C_out, C_in, kH, kW)."""
    return _moved(w, (0, 3, 1, 2), "ohwi_to_oihw", "w")


def oihw_to_ohwi(w: ArrayLike) -> np.ndarray:
    """A kernel as deepref takes it, (C_out, C_in, kH, kW), channels last: (C_out, kH, kW, C_in)."""
    return _moved(w, (0, 2, 3, 1), "oihw_to_ohwi", "w")
