"""Input checks shared by every public function of the reference.

Each check either returns the value in the one form the kernels accept (a
C-contiguous float64 array, or a Python float) or raises an error whose message
names the function, the argument, what was expected and what came::

    linear: X must be a 2-D array of shape (N, D); got a 1-D array of shape (5,)

Kernels are compiled for exactly that form, so a caller's strided view, float32
array or Fortran-ordered matrix costs one conversion here instead of one more
compilation there. The conversion copies only when it must and the kernels
never write into their inputs, so a caller's array is never mutated.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = [
    "NonFiniteLossError",
    "as_axis",
    "as_float_array",
    "as_positive_int",
    "as_real",
    "describe",
    "require_finite",
    "require_same_shape",
]


class NonFiniteLossError(FloatingPointError):
    """A training loop's loss stopped being finite.

    Attributes
    ----------
    step : int
        How many parameter updates had been made when the loss was first seen
        not to be finite (0: the starting point itself).
    lr : float
        The learning rate in use.
    """

    def __init__(self, message: str, *, step: int, lr: float) -> None:
        super().__init__(message)
        self.step = step
        self.lr = lr


def describe(value: Any) -> str:
    """Say what a value is, for an error message: ``a 1-D array of shape (5,)``."""
    if isinstance(value, np.ndarray):
        return f"a {value.ndim}-D {value.dtype} array of shape {value.shape}"
    return f"{type(value).__name__} {value!r}"


def as_float_array(value: Any, func: str, name: str, *, ndim: int | None = None,
                   layout: str = "") -> np.ndarray:
    """Return ``value`` as a C-contiguous float64 array, or raise.

    Parameters
    ----------
    value : array_like
        Any real floating-point array (float16, float32, float64, longdouble)
        or a nested sequence of Python floats.
    func, name : str
        The public function and the argument, for the error message.
    ndim : int, optional
        The rank that is required.
    layout : str, optional
        The shape in words, for the error message, e.g. ``"(N, D)"``.

    Raises
    ------
    TypeError
        If the data are integer, boolean, complex or not numeric: the reference
        computes in real floating point and does not guess what integers mean
        (they may be labels).
    ValueError
        If the rank is not ``ndim``.
    """
    array = value if isinstance(value, np.ndarray) else np.asarray(value)
    kind = array.dtype.kind
    if kind != "f":
        what = {
            "i": "integer", "u": "unsigned integer", "b": "boolean", "c": "complex",
        }.get(kind, f"non-numeric ({array.dtype})")
        raise TypeError(
            f"{func}: {name} must be a real floating-point array; got {what} data "
            f"({describe(array)}); convert it with .astype(float) if these numbers are data"
        )
    if ndim is not None and array.ndim != ndim:
        shape_words = f" of shape {layout}" if layout else ""
        raise ValueError(
            f"{func}: {name} must be a {ndim}-D array{shape_words}; "
            f"got a {array.ndim}-D array of shape {array.shape}"
        )
    return np.require(array, dtype=np.float64, requirements="C")


def as_real(value: Any, func: str, name: str, *, minimum: float | None = None,
            strictly_positive: bool = False, finite: bool = False) -> float:
    """Return a real scalar as a Python float, or raise.

    Python and NumPy integers and floats and 0-D floating arrays are accepted;
    ``minimum`` and ``strictly_positive`` bound the value, ``finite`` refuses
    NaN and infinities. NaN never passes a bound.
    """
    if isinstance(value, np.ndarray):
        if value.ndim != 0 or value.dtype.kind != "f":
            raise TypeError(f"{func}: {name} must be a real scalar; got {describe(value)}")
        number = float(value)
    elif isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{func}: {name} must be a real scalar; got {describe(value)}")
    else:
        number = float(value)
    if strictly_positive and not number > 0.0:
        raise ValueError(f"{func}: {name} must be > 0; got {number!r}")
    if minimum is not None and not number >= minimum:
        raise ValueError(f"{func}: {name} must be >= {minimum!r}; got {number!r}")
    if finite and not np.isfinite(number):
        raise ValueError(f"{func}: {name} must be finite; got {number!r}")
    return number


def as_positive_int(value: Any, func: str, name: str) -> int:
    """Return a positive integer (``bool`` excluded), or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{func}: {name} must be a positive integer; got {describe(value)}")
    if value < 1:
        raise ValueError(f"{func}: {name} must be a positive integer; got {value!r}")
    return int(value)


def require_finite(array: np.ndarray, func: str, name: str) -> None:
    """Raise a ``ValueError`` naming the first non-finite entry of ``array``."""
    finite = np.isfinite(array)
    if not finite.all():
        index = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(
            f"{func}: {name} must be finite; got {float(array[index])!r} at index {index} "
            f"({int((~finite).sum())} non-finite entries)"
        )


def require_same_shape(func: str, name: str, array: np.ndarray, other_name: str,
                       other: np.ndarray) -> None:
    """Raise a ``ValueError`` unless ``array`` is shaped exactly like ``other``."""
    if array.shape != other.shape:
        raise ValueError(
            f"{func}: {name} must have the shape of {other_name}, {other.shape}; "
            f"got shape {array.shape}"
        )


def as_axis(axis: Any, ndim: int, func: str) -> int:
    """Return ``axis`` as an index in ``[0, ndim)`` (negative counts from the end), or raise."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{func}: axis must be an integer; got {describe(axis)}")
    index = int(axis)
    if not -ndim <= index < ndim:
        raise ValueError(
            f"{func}: axis must be in [{-ndim}, {ndim - 1}] for a {ndim}-D input; got {index}")
    return index % ndim
