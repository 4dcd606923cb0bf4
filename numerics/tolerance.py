r"""Error bounds that are derived, not picked.

A floating-point result is never exact, so "is it right?" needs a bound on how
wrong a right answer may be. For a result that is a sum of $n$ products, such
as a dot product, a matrix product or a convolution, the classic bound
(Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., 2002, §3.1) is

$$\begin{aligned}
|\mathrm{fl}(y) - y| &\le \gamma_n \sum_i |x_i|\,|w_i|,\\
\gamma_n &= \frac{n u}{1 - n u},
\end{aligned}$$

with $u$ the unit round-off ($2^{-53}$ for float64). The sum of absolute
values on the right is the **gauge**: the same computation run on $|x|$ and
$|w|$. It is what reference BLAS testing compares an error with, and it is
what :func:`assert_close` takes.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

__all__ = ["assert_close", "gamma", "precision_of", "ulp_distance", "unit_roundoff"]

#: The precisions a result can be judged at, by name.
PRECISIONS = ("float16", "bfloat16", "float32", "float64")


def precision_of(values: Any) -> np.dtype[Any]:
    """The precision a result is judged at by default: its own, or float64.

    float16, bfloat16 and float32 results are judged at their own precision; anything
    else (float64, a longer float, integers, Python numbers) at float64.

    Examples
    --------
    >>> precision_of(np.ones(3, dtype=np.float32))
    dtype('float32')
    >>> precision_of(2.5)
    dtype('float64')
    """
    own = np.asarray(values).dtype
    return own if own.name in PRECISIONS else np.dtype(np.float64)


def floating_dtype(dtype: Any, func: str) -> np.dtype[Any]:
    """``dtype`` as a NumPy dtype, one of :data:`PRECISIONS` (bfloat16 through ml_dtypes).

    A TypeError naming ``func`` and the precisions for anything else.
    """
    _finfo(dtype, func)  # refuses what is not a floating type, with func's name
    try:
        result = np.dtype(dtype)
    except TypeError:  # "bfloat16" by name: NumPy knows it only through ml_dtypes
        import ml_dtypes

        result = np.dtype(getattr(ml_dtypes, str(dtype)))
    if result.name not in PRECISIONS:
        raise TypeError(f"{func}: dtype must be one of {', '.join(PRECISIONS)}; got {result}")
    return result


def unit_roundoff(dtype: DTypeLike = np.float64) -> float:
    r"""The unit round-off $u$ of a floating type: half its machine epsilon.

    Every correctly rounded operation has relative error at most $u$:
    $2^{-53} \approx 1.1\times 10^{-16}$ for float64, $2^{-24}$ for float32.

    Examples
    --------
    >>> unit_roundoff(np.float64) == 2.0 ** -53
    True
    """
    return float(_finfo(dtype, "unit_roundoff").eps) / 2.0


def _finfo(dtype: Any, func: str) -> Any:
    """``np.finfo`` of a floating type: NumPy's, or ml_dtypes' (bfloat16) where it is installed.

    A TypeError naming ``func`` for anything else (None and bool, which NumPy reads as float64
    and as an integer type, included).
    """
    refusal = f"{func}: dtype must be a floating type; got {dtype!r}"
    if _no_dtype(dtype):
        raise TypeError(refusal)
    try:
        return np.finfo(dtype)
    except (TypeError, ValueError):
        pass
    try:
        import ml_dtypes  # an optional dependency: bfloat16 and the 8-bit floats

        finfo: Callable[[Any], Any] = ml_dtypes.finfo  # untyped in ml_dtypes
        return finfo(dtype)
    except (ImportError, TypeError, ValueError):
        raise TypeError(refusal) from None


def _no_dtype(value: object) -> bool:
    """None or a bool, which NumPy would read as float64 and as an int type."""
    return value is None or isinstance(value, bool)


def _is_real(value: object) -> bool:
    """A real number that is not a bool (arguments are checked at run time, whatever the hints)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_count(value: object) -> bool:
    """A non-negative whole number (3, 10**400 and 3.0; not True, NaN, inf or -1)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Integral):
        return int(value) >= 0
    return _is_real(value) and math.isfinite(value) and float(value).is_integer() and value >= 0  # type: ignore[arg-type, operator]


def gamma(n: int, dtype: DTypeLike = np.float64) -> float:
    r"""Higham's $\gamma_n = n u / (1 - n u)$.

    The relative error bound of a computation made of $n$ rounded operations
    in a row; for a sum of $n$ products, of the result measured against its
    gauge $\sum |x_i||w_i|$.

    Parameters
    ----------
    n : int
        The number of rounded operations, $n \ge 0$ (for a dot product of
        length $n$: $n$ products and $n - 1$ additions give $\gamma_n$).
    dtype : numpy dtype, default float64
        The floating type the computation ran in.

    Raises
    ------
    ValueError
        If $n < 0$ or $n u \ge 1$, where the bound says nothing.

    Examples
    --------
    >>> gamma(1) == 2.0 ** -53 / (1 - 2.0 ** -53)
    True
    >>> f"{gamma(1000):.3e}"
    '1.110e-13'
    """
    if not _is_count(n):
        raise ValueError(f"gamma: n must be a non-negative integer; got {n!r}")
    unit = unit_roundoff(dtype)
    # an int compared with a float exactly: no overflow for a huge n
    if int(n) >= 1.0 / unit:
        raise ValueError(f"gamma: n u >= 1 for n = {n} in {np.dtype(dtype)}; the bound is void")
    nu = int(n) * unit
    return nu / (1.0 - nu)


def ulp_distance(a: float, b: float, dtype: DTypeLike = np.float64) -> float:
    """How far apart ``a`` and ``b`` are in units in the last place of ``dtype``.

    Both are first rounded to ``dtype``. Where their signs agree (a zero counts as either
    sign) the answer is how many representable numbers of ``dtype`` lie between them, plus
    one: 0 when they are equal (+0 and -0 included), 1 for neighbours. Across a change of
    sign it is ``|a - b|`` over the spacing of ``dtype`` at the larger magnitude: 1.0 and
    -1.0 are 2^53 spacings of 1.0 apart, where counting every float through zero would give
    nine quintillion.
    Works for float16, float32, float64 and, with the ``ml_dtypes`` package, bfloat16.

    Examples
    --------
    >>> ulp_distance(1.0, float(np.nextafter(1.0, 2.0)))
    1
    >>> ulp_distance(-0.0, 0.0)
    0
    >>> ulp_distance(1.0, 1.0 + 2.0**-10, np.float16)
    1
    >>> ulp_distance(1.0, -1.0) == 2.0**53
    True
    """
    for name, value in (("a", a), ("b", b)):
        if not _is_real(value):
            raise TypeError(f"ulp_distance: {name} must be a real number; got {value!r}")
        if math.isnan(float(value)):
            raise ValueError(f"ulp_distance: {name} is NaN, which is no distance from anything")
    info = _finfo(dtype, "ulp_distance")
    unsigned = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}.get(info.bits // 8)
    if unsigned is None:  # extended precision: no integer type of its width
        raise TypeError(f"ulp_distance: {info.bits}-bit floats are not supported; got {dtype!r}")
    data_type = np.dtype(info.dtype)
    first, second = (np.array(value, dtype=data_type) for value in (a, b))
    if (float(first) < 0 < float(second)) or (float(second) < 0 < float(first)):
        larger = max(abs(float(first)), abs(float(second)))
        # the spacing at the larger magnitude, eps 2^floor(log2 |x|), never below the subnormals'
        spacing = max(
            float(info.eps) * 2.0 ** (math.frexp(larger)[1] - 1), float(info.smallest_subnormal)
        )
        return abs(float(first)) / spacing + abs(float(second)) / spacing  # no overflow
    sign_bit = 1 << (info.bits - 1)

    def ordered(value: np.ndarray) -> int:
        bits = int(value.view(unsigned))
        # sign and magnitude to a monotonic integer: negative floats count down from zero
        return -(bits - sign_bit) if bits >= sign_bit else bits

    return abs(ordered(first) - ordered(second))


def assert_close(
    actual: ArrayLike,
    expected: ArrayLike,
    *,
    gauge: ArrayLike | None = None,
    terms: int | None = None,
    dtype: DTypeLike | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    err_msg: str = "",
) -> None:
    r"""Assert that every element of ``actual`` is within its bound of ``expected``.

    The bound of element $i$ is the sum of the parts that are given, with $u$ and
    $\gamma$ those of the precision ``dtype`` the result was computed in:

    * $\gamma_{\text{terms}}\cdot\text{gauge}_i$, when ``gauge`` or ``terms``
      is given (the gauge defaults to $|\text{expected}_i|$, the number of terms
      to 1): the error of a sum of ``terms`` products (or of ``terms`` rounded
      operations in a row), measured against the same computation on absolute
      values; below float64, plus $u\,|\text{expected}_i|$, the rounding of the
      result itself to ``dtype``. With ``expected`` computed in float64 from the
      same inputs (rounded to ``dtype``), a candidate that accumulates in float32
      and rounds its result once is within it; one that rounds its inputs to fewer
      digits (bfloat16, TF32) is not;
    * ``rtol`` $\cdot|\text{expected}_i|$ and ``atol``, when given;
    * with none of them, $u\,|\text{expected}_i|$: ``actual`` must be
      ``expected`` correctly rounded.

    When ``expected`` is itself computed in floating point, both sides carry
    an error: pass twice the number of terms ($\gamma_{2n} \ge 2\gamma_n$).
    NaN must meet NaN and an infinity the same infinity, as IEEE arithmetic
    propagates them.

    Parameters
    ----------
    actual, expected : array_like
        Of the same shape (a scalar expected broadcasts).
    gauge : array_like, optional
        The computation repeated on absolute values, broadcast to the shape.
    terms : int, optional
        The length $n$ of the reduction.
    dtype : numpy dtype, optional
        The precision the result was computed in (float32 gives $u = 2^{-24}$);
        by default ``actual``'s own (:func:`precision_of`: float16, bfloat16 and float32
        are their own, anything else float64).
    rtol, atol : float, optional
        A relative and an absolute part, for bounds that come from elsewhere.
    err_msg : str, optional
        Prefixed to the failure message.

    Raises
    ------
    AssertionError
        Naming how many elements fail, the worst one (by ratio of error to
        bound): its index, both values, the error, the bound, the ratio and
        their distance in ULPs of ``dtype``.

    Examples
    --------
    >>> x, w = np.array([0.1, 0.2, 0.3]), np.array([3.0, -1.0, 2.0])
    >>> assert_close(x @ w, 0.7, gauge=np.abs(x) @ np.abs(w), terms=3)
    """
    for name, value in (("actual", actual), ("expected", expected)):
        try:
            data_type = np.asarray(value).dtype
        except ValueError:  # NumPy: "setting an array element with a sequence"
            raise ValueError(
                f"assert_close: {name} must be a rectangular array; got a ragged "
                f"{type(value).__name__}"
            ) from None
        if data_type.kind not in "biuf" and data_type.name != "bfloat16":
            raise TypeError(f"assert_close: {name} must be real numbers; got {data_type} data")
    if terms is not None and not _is_count(terms):
        raise ValueError(f"assert_close: terms must be a non-negative integer; got {terms!r}")
    if dtype is None:
        dtype = precision_of(actual)
    got = np.asarray(actual, dtype=np.float64)
    want = (
        np.broadcast_to(np.asarray(expected, dtype=np.float64), got.shape)
        if np.ndim(expected) == 0
        else np.asarray(expected, dtype=np.float64)
    )
    prefix = f"{err_msg}: " if err_msg else ""
    if got.shape != want.shape:
        raise AssertionError(
            f"{prefix}assert_close: shapes differ: actual {got.shape}, expected {want.shape}"
        )

    bound, how = _bound(want, gauge=gauge, terms=terms, dtype=dtype, rtol=rtol, atol=atol)
    nan_got, nan_want = np.isnan(got), np.isnan(want)
    inf_mismatch = (np.isinf(got) | np.isinf(want)) & (got != want) & ~nan_got & ~nan_want
    with np.errstate(invalid="ignore"):
        error = np.where(
            nan_got | nan_want | np.isinf(got) | np.isinf(want), 0.0, np.abs(got - want)
        )
        ratio = np.where(
            bound > 0, error / np.where(bound > 0, bound, 1.0), np.where(error > 0, np.inf, 0.0)
        )
    ratio = np.where((nan_got != nan_want) | inf_mismatch, np.inf, ratio)
    failing = ratio > 1.0
    if not failing.any():
        return

    worst = np.unravel_index(int(np.argmax(ratio)), ratio.shape) if ratio.ndim else ()
    index = tuple(int(i) for i in worst)
    a, e, b = float(got[index]), float(want[index]), float(bound[index])
    if np.isnan(a) or np.isnan(e) or np.isinf(a) or np.isinf(e):
        detail = "NaN and infinities must match exactly"
        ulps: Any = "n/a"
    else:
        detail = f"error {abs(a - e):.3e}, bound {b:.3e} ({how}), ratio {ratio[index]:.3g}"
        ulps = ulp_distance(a, e, dtype)
    raise AssertionError(
        f"{prefix}assert_close: {int(failing.sum())} of {got.size} elements exceed their bound\n"
        f"  worst at index {index}: actual {a!r}, expected {e!r}\n"
        f"  {detail}, {ulps} ULPs apart"
    )


def _bound(
    expected: np.ndarray,
    *,
    gauge: ArrayLike | None,
    terms: int | None,
    dtype: DTypeLike,
    rtol: float | None,
    atol: float | None,
) -> tuple[np.ndarray, str]:
    """The element-wise bound of :func:`assert_close`, and how it was made, in words."""
    magnitude = np.abs(np.where(np.isfinite(expected), expected, 0.0))
    bound = np.zeros(expected.shape)
    parts = []
    if gauge is not None or terms is not None:
        n = 1 if terms is None else terms
        if gauge is None:
            scale = magnitude
        else:
            try:
                given = np.abs(np.asarray(gauge, dtype=np.float64))
            except (TypeError, ValueError):
                raise ValueError(
                    f"assert_close: gauge must be a real array; got {type(gauge).__name__} "
                    f"{gauge!r}"
                ) from None
            try:
                scale = np.broadcast_to(given, expected.shape)
            except ValueError:
                raise ValueError(
                    f"assert_close: gauge must broadcast to the shape of expected, "
                    f"{expected.shape}; got shape {given.shape}"
                ) from None
        if int(n) >= 1.0 / unit_roundoff(dtype):  # an int against a float: no overflow
            raise ValueError(
                f"assert_close: terms = {n} makes n u >= 1 in {np.dtype(dtype)}: the bound is void"
            )
        bound = bound + gamma(n, dtype) * scale
        parts.append(f"gamma_{n} x {'|expected|' if gauge is None else 'gauge'}")
        if unit_roundoff(dtype) > unit_roundoff(np.float64):
            # the result's own rounding to the candidate's precision
            bound = bound + unit_roundoff(dtype) * magnitude
            parts.insert(0, f"u_{np.dtype(dtype)} |expected|")
    if rtol is not None:
        bound = bound + rtol * magnitude
        parts.append(f"rtol {rtol:g}")
    if atol is not None:
        bound = bound + atol
        parts.append(f"atol {atol:g}")
    if not parts:
        bound = unit_roundoff(dtype) * magnitude
        parts.append("correctly rounded: u x |expected|")
    return bound, " + ".join(parts)
