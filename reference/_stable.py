"""Means and deviations that do not overflow where the true result is finite.

The mean of three values of 1e308 is 1e308, but their sum overflows. Each
function here computes the ordinary way first (so ordinary data give the
ordinary result, bit for bit) and, only for the slices whose result came out
non-finite from finite data, again on the data divided by a power of two near
their largest magnitude (an exact scaling: the same roundings, shifted), then
scales back.
"""

from __future__ import annotations

import numpy as np

__all__ = ["mean", "power_of_two_scale", "refit", "std"]


def power_of_two_scale(values: np.ndarray, axis: int | tuple[int, ...]) -> np.ndarray:
    """2^e with 2^e <= max |values| < 2^(e+1) along ``axis`` (kept as size-1 axes); 1 for 0.

    (The power just below the largest magnitude: 2^1023 for 1e308, which is representable.)
    """
    largest = np.max(np.abs(values), axis=axis, keepdims=True)
    _, exponent = np.frexp(np.where(np.isfinite(largest) & (largest > 0), largest, 1.0))
    return np.ldexp(1.0, exponent - 1)


def refit(
    values: np.ndarray, axis: int | tuple[int, ...], plain: np.ndarray, statistic: str
) -> np.ndarray:
    """``plain``, with its overflowed slices of finite data computed again on scaled data."""
    kept = np.asarray(plain)
    finite_data = np.all(np.isfinite(values), axis=axis)
    redo = ~np.isfinite(kept) & finite_data
    if not redo.any():
        return kept
    scale = power_of_two_scale(values, axis)
    scaled = getattr(values / scale, statistic)(axis=axis)
    return np.where(redo, np.squeeze(scale, axis=axis) * scaled, kept)


def mean(values: np.ndarray, axis: int | tuple[int, ...]) -> np.ndarray:
    """``values.mean(axis)``, finite wherever the true mean of finite data is."""
    with np.errstate(over="ignore", invalid="ignore"):
        plain = values.mean(axis=axis)
    return refit(values, axis, plain, "mean")


def std(values: np.ndarray, axis: int | tuple[int, ...]) -> np.ndarray:
    """``values.std(axis)`` (population), finite wherever the true deviation of finite data is."""
    with np.errstate(over="ignore", invalid="ignore"):
        plain = values.std(axis=axis)
    return refit(values, axis, plain, "std")
