r"""Where the windows of a convolution or a pooling fall: padding, stride, dilation, output size.

Shared by :mod:`reference.conv` and :mod:`reference.pooling`, which accept the
same forms of every attribute. Along one axis of length $n$, a kernel of
size $k$ with dilation $d$ spans $k_d = d(k - 1) + 1$ inputs; with padding
$p_0$ before and $p_1$ after and stride $s$, the output has

$$n_{out} = \left\lfloor \frac{n + p_0 + p_1 - k_d}{s} \right\rfloor + 1$$

positions (with ``ceil_mode``, the ceiling instead, less one if the last
window would start inside the end padding). Output position $o$ reads the
inputs $o s - p_0 + j d$ for $j = 0, \dots, k - 1$; those outside
$[0, n)$ are padding.

``padding`` is ``"valid"`` (none), ``"same"`` (output $\lceil n/s\rceil$,
the odd pixel of padding at the end: ONNX's ``SAME_UPPER`` and TensorFlow's
``SAME``), ``"same_lower"`` (the odd pixel at the start: ONNX's
``SAME_LOWER``), an int (the same on every side), or
``((top, bottom), (left, right))``.
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

from reference._validation import describe

__all__ = ["Windows", "as_pair", "windows"]


class Windows(NamedTuple):
    """The geometry of the windows over an (H, W) plane: each field a (vertical, horizontal) pair.

    The kernels of convolution and pooling take it as one value and unpack what
    they use: ``stride_h, stride_w = geometry.stride``.
    """

    kernel: tuple[int, int]
    """(kH, kW), the taps of a window along each axis."""
    stride: tuple[int, int]
    """(s_H, s_W), the step between windows."""
    dilation: tuple[int, int]
    """(d_H, d_W), the step between a window's taps."""
    pad_before: tuple[int, int]
    """(top, left): the padding before the first row and column."""
    pad_after: tuple[int, int]
    """(bottom, right): the padding after the last row and column."""
    out: tuple[int, int]
    """(H_out, W_out), the number of windows along each axis."""


def as_pair(value: Any, func: str, name: str, *, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints, each at least ``minimum``, as a pair; or raise."""
    pair = (value, value) if _is_int(value) else value
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(map(_is_int, pair)):
        raise TypeError(f"{func}: {name} must be an int or a pair of ints; got {describe(value)}")
    if min(pair) < minimum:
        raise ValueError(f"{func}: {name} must be at least {minimum}; got {value!r}")
    return int(pair[0]), int(pair[1])


#: Positions the kernels compute (o s - P + t d, in int64) stay below 2**63 when every extent
#: (a padded side, a window's span, a stride) is below 2**62.
EXTENT_LIMIT = 2**62


def _require_extent(
    func: str,
    sizes: tuple[int, int],
    kernel: tuple[int, int],
    strides: tuple[int, int],
    spans: tuple[int, ...],
    pads: tuple[tuple[int, int], tuple[int, int]],
) -> None:
    """Refuse geometries whose positions would overflow the kernels' int64 arithmetic."""
    extents = {
        "the kernel": max(kernel),
        "the stride": max(strides),
        "the kernel's span (dilation included)": max(spans),
        "the padded input": max(n + p[0] + p[1] for n, p in zip(sizes, pads, strict=True)),
    }
    for what, extent in extents.items():
        if extent >= EXTENT_LIMIT:
            raise ValueError(
                f"{func}: {what} must stay below 2**62 positions (the kernels count "
                f"in int64); got {extent}"
            )


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _same(size: int, span: int, stride: int, *, lower: bool) -> tuple[int, int, int]:
    """Padding (before, after) and output size of SAME_UPPER / SAME_LOWER along one axis."""
    out = -(-size // stride)
    total = max(0, (out - 1) * stride + span - size)
    small, large = total // 2, total - total // 2
    return (large, small, out) if lower else (small, large, out)


def _explicit(size: int, span: int, stride: int, before: int, after: int, ceil_mode: bool) -> int:
    room = size + before + after - span
    if room < 0:
        return -1
    if not ceil_mode:
        return room // stride + 1
    out = -(-room // stride) + 1
    # a last window that would start inside the end padding is dropped (PyTorch, ONNX)
    if (out - 1) * stride >= size + before:
        out -= 1
    return out


def windows(
    func: str,
    height: int,
    width: int,
    kernel: tuple[int, int],
    *,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool = False,
    kernel_name: str = "kernel",
) -> Windows:
    """The padding and output size for a ``kernel`` of (kH, kW) over an (H, W) plane; or raise.

    Raises
    ------
    TypeError, ValueError
        For a malformed attribute, a non-positive stride or dilation, a negative
        padding, or a (dilated) kernel larger than the padded input.
    """
    strides = as_pair(stride, func, "stride")
    dilations = as_pair(dilation, func, "dilation")
    spans = tuple(d * (k - 1) + 1 for d, k in zip(dilations, kernel, strict=True))
    sizes = (height, width)
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0), (0, 0))
        elif padding in ("same", "same_lower"):
            lower = padding == "same_lower"
            axes = [
                _same(n, k, s, lower=lower) for n, k, s in zip(sizes, spans, strides, strict=True)
            ]
            same_pads = ((axes[0][0], axes[0][1]), (axes[1][0], axes[1][1]))
            _require_extent(func, sizes, kernel, strides, spans, same_pads)
            return Windows(
                kernel,
                strides,
                dilations,
                (axes[0][0], axes[1][0]),
                (axes[0][1], axes[1][1]),
                (axes[0][2], axes[1][2]),
            )
        else:
            raise ValueError(
                f"{func}: padding must be 'valid', 'same', 'same_lower', an int or "
                f"((top, bottom), (left, right)); got {padding!r}"
            )
    elif _is_int(padding):
        pads = ((int(padding), int(padding)), (int(padding), int(padding)))
    elif (
        isinstance(padding, (tuple, list))
        and len(padding) == 2
        and all(
            isinstance(p, (tuple, list)) and len(p) == 2 and all(map(_is_int, p)) for p in padding
        )
    ):
        pads = ((int(padding[0][0]), int(padding[0][1])), (int(padding[1][0]), int(padding[1][1])))
    else:
        raise TypeError(
            f"{func}: padding must be 'valid', 'same', 'same_lower', an int or "
            f"((top, bottom), (left, right)); got {describe(padding)}"
        )
    if min(min(pads[0]), min(pads[1])) < 0:
        raise ValueError(f"{func}: padding must not be negative; got {padding!r}")
    _require_extent(func, sizes, kernel, strides, spans, pads)
    outs = [
        _explicit(n, k, s, p[0], p[1], ceil_mode)
        for n, k, s, p in zip(sizes, spans, strides, pads, strict=True)
    ]
    if min(outs) < 1:
        raise ValueError(
            f"{func}: the {kernel_name} spans {spans[0]}x{spans[1]} inputs (dilation included), "
            f"larger than the padded input, {height + sum(pads[0])}x{width + sum(pads[1])}"
        )
    return Windows(
        kernel,
        strides,
        dilations,
        (pads[0][0], pads[1][0]),
        (pads[0][1], pads[1][1]),
        (outs[0], outs[1]),
    )
