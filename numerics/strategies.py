"""Hypothesis strategies for the inputs of the reference's ops.

Laws hold on a domain: a gradient exists away from a ReLU's kink, a max pooling
routes its gradient to one input only where the maximum is not tied, a
finite-difference check needs the op smooth within its step. These strategies
draw inside that domain on purpose, and each docstring says why.

Every array strategy takes ``layout``: ``"contiguous"``, one of the
non-contiguous views ``"strided"`` (every other element of a larger buffer),
``"transposed"`` (Fortran order: the transpose of a C array), ``"reversed"``
(negative strides), or ``"any"`` to draw among all four. Kernels break first on
memory they did not expect, so ``"any"`` is the default.

Sizes stay small (sides up to 8 by default) so that a law is checked on
hundreds of examples in a second; the laws do not depend on size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = [
    "LAYOUTS",
    "SMALLEST",
    "SeededGenerator",
    "arrays",
    "away_from",
    "generators",
    "scalars",
    "seeds",
    "separated_arrays",
    "shapes",
    "with_layout",
]

#: The memory layouts an array strategy can draw.
LAYOUTS = ("contiguous", "strided", "transposed", "reversed")


class SeededGenerator(np.random.Generator):
    """A ``numpy.random.Generator`` that shows its seed, so a failing example can be rerun."""

    def __init__(self, seed: int) -> None:
        # the annotation promises an int; a caller may still pass None or True
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:  # type: ignore[redundant-expr]
            raise ValueError(f"SeededGenerator: seed must be a non-negative integer; got {seed!r}")
        super().__init__(np.random.PCG64(seed))
        self.seed = seed

    def __repr__(self) -> str:
        return f"numpy.random.default_rng({self.seed})"


def seeds() -> st.SearchStrategy[int]:
    """Seeds for ``numpy.random.default_rng``: integers in [0, 2**32)."""
    return st.integers(min_value=0, max_value=2**32 - 1)


def generators() -> st.SearchStrategy[np.random.Generator]:
    """Fresh ``numpy.random.Generator`` objects, each shown by its seed."""
    return seeds().map(SeededGenerator)


def shapes(
    *, min_dims: int = 1, max_dims: int = 4, min_side: int = 1, max_side: int = 8
) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes with ``min_dims`` to ``max_dims`` axes of ``min_side`` to ``max_side``."""
    min_dims = _count(min_dims, "min_dims", 0, _MAX_DIMS)
    max_dims = _count(max_dims, "max_dims", min_dims, _MAX_DIMS)
    min_side = _count(min_side, "min_side", 0, _MAX_SIDE)
    max_side = _count(max_side, "max_side", min_side, _MAX_SIDE)
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


#: NumPy's limit on the number of axes.
_MAX_DIMS = 32
#: No side longer than this is a small example (the strategies draw every element).
_MAX_SIDE = 2**16


def _count(value: Any, name: str, low: int, high: int) -> int:
    """An int in [low, high] (a NumPy integer too), for an argument of :func:`shapes`; or raise."""
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not is_int or not low <= value <= high:
        raise ValueError(f"shapes: {name} must be an integer in [{low}, {high}]; got {value!r}")
    return int(value)


def with_layout(array: np.ndarray, layout: str) -> np.ndarray:
    """The same values as ``array``, stored in the given layout (see the module docstring).

    A layout that does not exist for the array's rank (a transposed vector)
    falls back to a strided view, which is never contiguous for a non-empty array.
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"with_layout: array must be a numpy.ndarray; got {type(array).__name__}")
    if layout not in LAYOUTS:
        raise ValueError(f"with_layout: layout must be one of {LAYOUTS}; got {layout!r}")
    if layout == "contiguous" or array.ndim == 0:
        return np.ascontiguousarray(array)
    if layout == "transposed" and array.ndim >= 2:
        return np.asfortranarray(array)
    if layout == "reversed":
        return np.ascontiguousarray(array[::-1])[::-1]
    buffer = np.zeros((*array.shape[:-1], 2 * array.shape[-1] + 1), dtype=array.dtype)
    view = buffer[..., 1::2]
    view[...] = array
    return view


def _layouts(layout: Any, func: str) -> st.SearchStrategy[str]:
    if isinstance(layout, str) and layout == "any":
        return st.sampled_from(LAYOUTS)
    if not isinstance(layout, str) or layout not in LAYOUTS:
        raise ValueError(f"{func}: layout must be 'any' or one of {LAYOUTS}; got {layout!r}")
    return st.just(layout)


def _shape_strategy(shape: Any, func: str) -> st.SearchStrategy[tuple[int, ...]]:
    if shape is None:
        return shapes()
    if isinstance(shape, st.SearchStrategy):
        return shape
    if not isinstance(shape, (tuple, list)) or not all(
        isinstance(side, (int, np.integer)) and not isinstance(side, bool) and side >= 0
        for side in shape
    ):
        raise ValueError(f"{func}: shape must be a tuple of non-negative ints; got {shape!r}")
    return st.just(tuple(int(side) for side in shape))


#: Entries smaller than this fraction of the scale are drawn as 0 (see :func:`arrays`).
SMALLEST = 2.0**-30


def _positive(value: Any, func: str, name: str) -> float:
    """A finite number > 0 (a Python or NumPy scalar, or a 0-d array), as a float; or raise."""
    try:
        number = float(value) if np.ndim(value) == 0 and np.isrealobj(value) else None
    except (TypeError, ValueError):  # None, a string: not a number
        number = None
    if isinstance(value, bool) or number is None or not (0.0 < number < np.inf):
        raise ValueError(f"{func}: {name} must be a finite number > 0; got {value!r}")
    return number


def _finite(scale: float, func: str = "scalars") -> st.SearchStrategy[float]:
    scale = _positive(scale, func, "scale")
    return st.floats(
        min_value=-scale,
        max_value=scale,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,
        width=64,
    ).map(lambda v: 0.0 if abs(v) < SMALLEST * scale else v)


def scalars(scale: float = 1.0) -> st.SearchStrategy[float]:
    """Well-scaled floats: 0, or of magnitude in [2^-30 scale, scale] (as :func:`arrays`)."""
    return _finite(scale)


@st.composite
def arrays(
    draw: st.DrawFn, shape: Any = None, *, scale: float = 1.0, layout: str = "any"
) -> np.ndarray:
    """Well-scaled float64 arrays: every entry 0 or of magnitude in [2^-30 scale, scale].

    ``shape`` is a tuple, a strategy of tuples, or None (drawn by :func:`shapes`).
    Magnitudes below 2^-30 of the scale (about 1e-9) are drawn as exact zeros:
    a product or square of such entries would underflow to a subnormal or to
    zero, which breaks relative error bounds and laws like "the loss is zero
    only at the target" for a reason that is not the law's. Zeros themselves
    stay, and are drawn often.
    """
    drawn = draw(_shape_strategy(shape, "arrays"))
    values = draw(hnp.arrays(np.float64, drawn, elements=_finite(scale, "arrays")))
    return with_layout(values, draw(_layouts(layout, "arrays")))


@st.composite
def separated_arrays(
    draw: st.DrawFn, shape: Any = None, *, min_gap: float = 0.05, layout: str = "any"
) -> np.ndarray:
    """Float64 arrays whose entries are pairwise at least ``min_gap`` apart.

    For max pooling and other arg-max laws: with no two entries tied, every
    maximum is unique and stays unique under a perturbation smaller than half
    the gap (what a finite-difference check does). Entries are
    ``min_gap * (2 k + j)`` for distinct integers ``k`` in ``[-n, n]`` and
    jitter ``j`` in ``[0, 1)``, so they lie within about ``2 n min_gap`` of 0.
    """
    gap = _positive(min_gap, "separated_arrays", "min_gap")
    drawn = draw(_shape_strategy(shape, "separated_arrays"))
    size = int(np.prod(drawn))
    reach = max(size, 4)
    ranks = draw(st.lists(st.integers(-reach, reach), min_size=size, max_size=size, unique=True))
    jitter = draw(
        hnp.arrays(
            np.float64,
            (size,),
            elements=st.floats(0.0, 1.0, exclude_max=True, allow_subnormal=False),
        )
    )
    values = (gap * (2.0 * np.array(ranks, dtype=np.float64) + jitter)).reshape(drawn)
    return with_layout(values, draw(_layouts(layout, "separated_arrays")))


def _kinks(kinks: Any) -> list[float]:
    """The kinks of :func:`away_from`, sorted: a sequence of finite numbers; or raise."""
    try:
        points = np.asarray(kinks, dtype=np.float64)
    except (TypeError, ValueError):  # None, a ragged list, a word
        points = None
    if points is None or points.ndim != 1 or not np.all(np.isfinite(points)):
        raise ValueError(f"away_from: kinks must be a sequence of finite numbers; got {kinks!r}")
    return sorted(float(k) for k in points)


@st.composite
def away_from(
    draw: st.DrawFn,
    kinks: Sequence[float],
    distance: float,
    shape: Any = None,
    *,
    scale: float = 1.0,
    layout: str = "any",
) -> np.ndarray:
    """Float64 arrays in [-scale, scale] with every entry at least ``distance`` from each kink.

    For laws that need a derivative: ReLU at 0, a hinge at 1, |x| at 0. The
    gradient check evaluates the op within its step (about 0.002) of each
    input, so a distance of 0.01 or more keeps the kink outside that box.
    Entries that fall too close are pushed out to the nearest allowed value.
    """
    distance = _positive(distance, "away_from", "distance")
    points = _kinks(kinks)

    def push(value: float) -> float:
        for _ in range(len(points) + 1):
            near = [k for k in points if abs(value - k) < distance]
            if not near:
                return value
            k = near[0]
            value = k + distance if value >= k else k - distance
        return value

    elements = (
        _finite(scale, "away_from")
        .map(push)
        .filter(lambda v: all(abs(v - k) >= distance for k in points))
    )
    drawn = draw(_shape_strategy(shape, "away_from"))
    values = draw(hnp.arrays(np.float64, drawn, elements=elements))
    return with_layout(values, draw(_layouts(layout, "away_from")))
