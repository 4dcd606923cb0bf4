"""Input checks shared by every public function of the reference.

Each check either returns the value in the one form the kernels accept (a
C-contiguous float64 array, or a Python float) or raises an error whose message
names the function, the argument, what was expected and what came::

    linear: X must be a 2-D array of shape (N, D); got a 1-D array of shape (5,)

Kernels are compiled for exactly that form, so a caller's strided view, float32
array or Fortran-ordered matrix costs one conversion here instead of one more
compilation there. A read-only array (a memory map, the result of
``np.broadcast_to``) is copied too: Numba types it apart from a writable one, so
it would cost every kernel it reaches a compilation of its own. The conversion
copies only when it must and the kernels never write into their inputs, so a
caller's array is never mutated.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = [
    "NonFiniteLossError",
    "as_axis",
    "as_class_targets",
    "as_float_array",
    "as_layers",
    "as_positive_int",
    "as_real",
    "as_rows",
    "as_seed",
    "by_channel",
    "describe",
    "require_finite",
    "require_flag",
    "require_generator",
    "require_output_shape",
    "require_same_shape",
    "require_unit_interval",
]


#: The largest integer a kernel can count to: sizes, strides and paddings beyond it are refused.
INT64_MAX = 2**63 - 1


class NonFiniteLossError(FloatingPointError):
    """A training loop's loss stopped being finite.

    Attributes
    ----------
    step : int
        How many parameter updates had been made when the loss was first seen
        not to be finite (0: the starting point itself).
    lr : float
        The learning rate in use.
    epoch : int or None
        The epoch under way (1 for the first; 0 before training), where the loop has epochs.
    """

    def __init__(self, message: str, *, step: int, lr: float, epoch: int | None = None) -> None:
        super().__init__(message)
        self.step = step
        self.lr = lr
        self.epoch = epoch


def describe(value: Any) -> str:
    """Say what a value is, for an error message: ``a 1-D array of shape (5,)``."""
    if isinstance(value, np.ndarray):
        return f"a {value.ndim}-D {value.dtype} array of shape {value.shape}"
    return f"{type(value).__name__} {value!r}"


def as_float_array(
    value: Any, func: str, name: str, *, ndim: int | None = None, layout: str = ""
) -> np.ndarray:
    """Return ``value`` as a writable C-contiguous float64 array, or raise.

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
    if isinstance(value, np.ndarray):
        if (
            value.dtype == np.float64
            and value.flags.c_contiguous
            and value.flags.writeable
            and (ndim is None or value.ndim == ndim)
        ):
            return value  # already the kernels' form: nothing to convert or check
        array = value
    else:
        try:
            array = np.asarray(value)
        except ValueError as ragged:  # NumPy: "setting an array element with a sequence"
            raise ValueError(
                f"{func}: {name} must be a rectangular array (every row of the same length); "
                f"got a ragged {type(value).__name__}"
            ) from ragged
    kind = array.dtype.kind
    if kind != "f":
        what = {
            "i": "integer",
            "u": "unsigned integer",
            "b": "boolean",
            "c": "complex",
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
    return np.require(array, dtype=np.float64, requirements=["C", "W"])


def as_real(
    value: Any,
    func: str,
    name: str,
    *,
    minimum: float | None = None,
    strictly_positive: bool = False,
    finite: bool = False,
) -> float:
    """Return a real scalar as a Python float, or raise.

    Python and NumPy integers and floats and 0-D floating arrays are accepted;
    ``minimum`` and ``strictly_positive`` bound the value, ``finite`` refuses
    NaN and infinities. NaN never passes a bound.
    """
    if type(value) is float or type(value) is int:  # the common case, without the ABC checks
        number = float(value)
    elif isinstance(value, np.ndarray):
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


def as_rows(value: Any, func: str, name: str, columns: int, what: str) -> np.ndarray:
    """Rows of ``columns`` entries, ``(N, columns)`` as float64, or raise.

    ``what`` says what the count is, its first word naming the axis: ``"n_visible of W"``.
    """
    rows = as_float_array(value, func, name, ndim=2, layout=f"(N, {what.split()[0]})")
    if rows.shape[1] != columns:
        raise ValueError(
            f"{func}: {name} must have {columns} columns ({what}); got shape {rows.shape}"
        )
    return rows


def as_positive_int(value: Any, func: str, name: str) -> int:
    """Return a positive integer (``bool`` excluded), or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{func}: {name} must be a positive integer; got {describe(value)}")
    number = int(value)
    if number < 1:
        raise ValueError(f"{func}: {name} must be a positive integer; got {value!r}")
    if number > INT64_MAX:
        raise ValueError(
            f"{func}: {name} must be at most 2**63 - 1 (kernels count in int64); got {value!r}"
        )
    return number


def require_finite(array: np.ndarray, func: str, name: str) -> None:
    """Raise a ``ValueError`` naming the first non-finite entry of ``array``."""
    finite = np.isfinite(array)
    if not finite.all():
        index = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(
            f"{func}: {name} must be finite; got {float(array[index])!r} at index {index} "
            f"({int((~finite).sum())} non-finite entries)"
        )


def require_same_shape(
    func: str, name: str, array: np.ndarray, other_name: str, other: np.ndarray
) -> None:
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
            f"{func}: axis must be in [{-ndim}, {ndim - 1}] for a {ndim}-D input; got {index}"
        )
    return index % ndim


def require_generator(rng: Any, func: str) -> np.random.Generator:
    """Return ``rng`` if it is a ``numpy.random.Generator``; else raise a ``TypeError``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{func}: rng must be a numpy.random.Generator (e.g. "
            f"numpy.random.default_rng(0)); got {describe(rng)}"
        )
    return rng


def require_flag(value: Any, func: str, name: str) -> bool:
    """Return ``value`` if it is ``True`` or ``False`` (not 0, 1 or None); else raise."""
    if not isinstance(value, bool):
        raise TypeError(f"{func}: {name} must be True or False; got {value!r}")
    return value


def require_output_shape(
    dy: Any, func: str, shape: tuple[int, ...], layout: str, name: str = "dy"
) -> np.ndarray:
    """The upstream gradient ``dy`` as a float64 array shaped like the forward's output; or raise.

    ``layout`` names the output's axes, e.g. ``"(N, fan_out)"``; ``name``, the argument.
    """
    upstream = as_float_array(dy, func, name, ndim=len(shape), layout=layout)
    if upstream.shape != tuple(shape):
        raise ValueError(
            f"{func}: {name} must have the output's shape {tuple(shape)}; "
            f"got shape {upstream.shape}"
        )
    return upstream


def by_channel(values: np.ndarray) -> np.ndarray:
    """An (N, C, S) view of an array with its channels on axis 1, every later axis flattened.

    (N, F) becomes (N, F, 1) and (N, C, H, W) becomes (N, C, HW); an array of
    rank below 2 is one sample of one channel, (1, 1, size).
    """
    if values.ndim < 2:
        return values.reshape(1, 1, values.size)
    # the trailing size written out: an empty batch has no -1 to infer
    return values.reshape(values.shape[0], values.shape[1], int(np.prod(values.shape[2:])))


def require_unit_interval(values: np.ndarray, func: str, name: str) -> None:
    """Raise a ``ValueError`` naming the first entry of ``values`` outside [0, 1] (NaN included)."""
    outside = ~((values >= 0.0) & (values <= 1.0))
    if outside.any():
        index = tuple(int(i) for i in np.argwhere(outside)[0])
        raise ValueError(
            f"{func}: {name} must lie in [0, 1]; got {float(values[index])!r} at index {index}"
        )


def as_class_targets(
    labels: Any, func: str, name: str, count: int, classes: int, *, scores: str = "z"
) -> np.ndarray:
    """Class labels as (count, classes) probability rows: integer classes become one-hot.

    ``labels`` is integer classes of shape (count,) in [0, classes), or real
    rows of shape (count, classes) in [0, 1] that each sum to 1 (one-hot or
    probabilities); ``scores`` names the argument they go with, for the message.
    """
    given = labels if isinstance(labels, np.ndarray) else np.asarray(labels)
    if given.dtype.kind in "iu":
        if given.shape != (count,):
            raise ValueError(
                f"{func}: integer {name} must have shape ({count},), one class "
                f"per row of {scores}; got shape {given.shape}"
            )
        wrong = (given < 0) | (given >= classes)
        if wrong.any():
            index = int(np.argmax(wrong))
            raise ValueError(
                f"{func}: {name} must be classes in [0, {classes}); got "
                f"{int(given[index])} at index {index}"
            )
        targets = np.zeros((count, classes))
        targets[np.arange(count), given] = 1.0
        return targets
    if given.dtype.kind != "f" or given.ndim != 2:
        raise TypeError(
            f"{func}: {name} must be integer classes of shape ({count},) or "
            f"floating-point one-hot rows of shape ({count}, {classes}); got "
            f"{describe(given)}"
        )
    targets = as_float_array(given, func, name)
    if targets.shape != (count, classes):
        raise ValueError(
            f"{func}: one-hot {name} must have the shape of {scores}, "
            f"{(count, classes)}; got shape {targets.shape}"
        )
    require_unit_interval(targets, func, name)
    # A row of probabilities sums to 1 up to the rounding of its K - 1 additions.
    slack = np.abs(targets.sum(axis=1) - 1.0) > classes * np.finfo(np.float64).eps
    if slack.any():
        row = int(np.argmax(slack))
        raise ValueError(
            f"{func}: each row of {name} must sum to 1 (one-hot or "
            f"probabilities); row {row} sums to {float(targets[row].sum())!r}"
        )
    return targets


def as_layers(
    layers: Any, func: str, name: str, fan_in: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """A chain of dense layers ``[(W, b), ...]`` taking ``fan_in`` inputs, as float64; or raise.

    Each ``W`` is (fan_in, fan_out) and each ``b`` (fan_out,), and each layer's
    fan_in is the previous layer's fan_out.
    """
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ValueError(
            f"{func}: {name} must be a non-empty list of (W, b); got {describe(layers)}"
        )
    chain = []
    for index, layer in enumerate(layers):
        if not isinstance(layer, (list, tuple)) or len(layer) != 2:
            raise ValueError(
                f"{func}: {name}[{index}] must be a pair (W, b); got {describe(layer)}"
            )
        weights = as_float_array(
            layer[0], func, f"{name}[{index}] W", ndim=2, layout="(fan_in, fan_out)"
        )
        bias = as_float_array(layer[1], func, f"{name}[{index}] b", ndim=1, layout="(fan_out,)")
        if weights.shape[0] != fan_in or bias.shape != (weights.shape[1],):
            raise ValueError(
                f"{func}: {name}[{index}] must take {fan_in} inputs: W of shape ({fan_in}, "
                f"fan_out) and b of shape (fan_out,); got W {weights.shape} and b {bias.shape}"
            )
        chain.append((weights, bias))
        fan_in = weights.shape[1]
    return chain


def as_seed(value: Any, func: str, name: str = "seed") -> int:
    """A seed as a Python int: a non-negative integer (``bool`` and None excluded), or raise.

    A reference is reproducible: None (a fresh seed from the system) is refused.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{func}: {name} must be a non-negative integer; got {describe(value)}")
    if int(value) < 0:
        raise ValueError(f"{func}: {name} must be a non-negative integer; got {value!r}")
    return int(value)
