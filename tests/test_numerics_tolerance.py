"""The bounds of numerics.tolerance: right values, and able to fail."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import assert_close, gamma, ulp_distance, unit_roundoff
from numerics import strategies as nst
from numerics.tolerance import floating_dtype, precision_of


def test_unit_roundoff_is_half_the_machine_epsilon() -> None:
    """The unit round-off u is 2^-53 in float64 and 2^-24 in float32."""
    assert unit_roundoff(np.float64) == 2.0**-53
    assert unit_roundoff(np.float32) == 2.0**-24


@given(st.integers(0, 10**12))
def test_gamma_is_n_u_over_one_minus_n_u(n: int) -> None:
    """gamma_n = n u / (1 - n u), and it grows with n."""
    u = 2.0**-53
    assert gamma(n) == n * u / (1 - n * u)
    assert gamma(n + 1) > gamma(n)


def test_gamma_refuses_where_the_bound_is_void() -> None:
    """N u >= 1 or a negative n is an error, not a silly bound."""
    with pytest.raises(ValueError, match="void"):
        gamma(2**24, np.float32)
    with pytest.raises(ValueError, match="non-negative"):
        gamma(-1)


@given(
    st.integers(1, 50).flatmap(
        lambda n: st.tuples(nst.arrays((n,), scale=1e3), nst.arrays((n,), scale=1e3))
    )
)
def test_a_computed_dot_product_is_within_gamma_n_of_the_exact_one(pair: tuple) -> None:
    """Higham's bound holds: |fl(x.w) - x.w| <= gamma_n sum |x||w|, exact value by fractions.

    The bound assumes no underflow, which well-scaled entries guarantee.
    """
    x, w = pair
    n = x.size
    computed = 0.0
    for a, b in zip(x, w, strict=True):
        computed += a * b
    products = [Fraction(float(a)) * Fraction(float(b)) for a, b in zip(x, w, strict=True)]
    exact = sum(products, Fraction(0))
    gauge = float(sum(abs(p) for p in products))
    assert abs(Fraction(computed) - exact) <= Fraction(gamma(n) * gauge)
    assert_close(computed, float(exact), gauge=gauge, terms=n + 1)


@given(st.floats(float(np.finfo(np.float32).tiny), 1e30), st.sampled_from([-1.0, 1.0]))
def test_accepts_a_correctly_rounded_result(magnitude: float, sign: float) -> None:
    """A float64 value rounded to a normal float32 is within u_32 of it: the default passes."""
    value = sign * magnitude
    assert_close(np.float32(value), value, dtype=np.float32)
    up = np.float32(np.inf)
    neighbour = np.nextafter(np.nextafter(np.float32(value), up), up)
    with pytest.raises(AssertionError):
        assert_close(neighbour, value, dtype=np.float32)


@given(st.floats(1e-3, 1e3), st.integers(1, 1000), st.sampled_from([-1.0, 1.0]))
def test_rejects_an_error_ten_times_its_bound(value: float, terms: int, sign: float) -> None:
    """An element off by ten times gamma_n times its gauge fails, and the message says where."""
    expected = np.array([1.0, value, -2.0])
    gauge = np.abs(expected) * 3.0
    actual = expected.copy()
    actual[1] += sign * 10.0 * gamma(terms) * gauge[1]
    assert_close(expected + 0.5 * gamma(terms) * gauge, expected, gauge=gauge, terms=terms)
    with pytest.raises(AssertionError) as caught:
        assert_close(actual, expected, gauge=gauge, terms=terms)
    message = str(caught.value)
    assert "1 of 3 elements exceed their bound" in message
    assert "worst at index (1,)" in message
    ratio = float(re.search(r"ratio ([0-9.e+]+)", message).group(1))  # type: ignore[union-attr]
    assert 9.5 <= ratio <= 10.5  # ten, up to the rounding of the planted error itself
    assert "ULPs apart" in message


def test_the_message_names_values_error_bound_and_ulps() -> None:
    """The failure message carries every number needed to judge it."""
    with pytest.raises(AssertionError) as caught:
        assert_close([[1.0, 2.0]], [[1.0, 2.0 + 1e-9]], rtol=1e-12, err_msg="conv2d forward")
    message = str(caught.value)
    for fragment in (
        "conv2d forward",
        "index (0, 1)",
        "actual 2.0",
        "expected 2.000000001",
        "error 1.000e-09",
        "rtol 1e-12",
        "ULPs apart",
    ):
        assert fragment in message


def test_nan_and_infinity_must_match() -> None:
    """IEEE special values propagate: NaN meets NaN, inf meets the same inf."""
    assert_close([np.nan, np.inf, -np.inf], [np.nan, np.inf, -np.inf])
    for actual, expected in (
        ([np.nan], [1.0]),
        ([1.0], [np.nan]),
        ([np.inf], [-np.inf]),
        ([1e308], [np.inf]),
    ):
        with pytest.raises(AssertionError):
            assert_close(actual, expected, rtol=1.0)


def test_shapes_must_match() -> None:
    """Arrays of different shapes are never close."""
    with pytest.raises(AssertionError, match="shapes differ"):
        assert_close(np.zeros(3), np.zeros(4))


@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(0, 50))
def test_ulp_distance_counts_representable_steps(value: float, steps: int) -> None:
    """Stepping k times with nextafter is k ULPs, across zero too."""
    moved = value
    for _ in range(steps):
        moved = math.nextafter(moved, math.inf)
    if math.isfinite(moved):
        assert ulp_distance(value, moved) == steps


def test_ulp_distance_of_the_signed_zeros_is_zero() -> None:
    """-0.0 and +0.0 are the same number."""
    assert ulp_distance(-0.0, 0.0) == 0
    assert ulp_distance(-5e-324, 5e-324) == 2


def test_ulp_distance_across_zero_is_the_difference_in_ulps_of_the_larger() -> None:
    """1.0 and -1.0 are 2 / 2^-52 = 2^53 ULPs of 1.0 apart, not every float between counted.

    (Counting gave 9.2e18.) The largest finite numbers of each sign do not overflow the sum.
    """
    assert ulp_distance(1.0, -1.0) == 2.0**53
    assert ulp_distance(-3.0, 1.0) == 4.0 / 2.0**-51
    largest = float(np.finfo(np.float64).max)
    assert ulp_distance(largest, -largest) == 2.0 * (largest / 2.0**971)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, "bfloat16"])
def test_ulp_distance_works_in_every_precision(dtype: object) -> None:
    """Neighbours are 1 apart in float16, float32, float64 and bfloat16 (through ml_dtypes)."""
    if dtype == "bfloat16":
        dtype = pytest.importorskip("ml_dtypes", reason="bfloat16 comes from ml_dtypes").bfloat16
    data_type = np.dtype(dtype)  # type: ignore[call-overload]
    one = np.array(1.0, dtype=data_type)
    unsigned = {2: np.uint16, 4: np.uint32, 8: np.uint64}[data_type.itemsize]
    neighbour = float((one.view(unsigned) + unsigned(1)).view(data_type))
    assert ulp_distance(1.0, neighbour, dtype) == 1  # type: ignore[arg-type]
    assert ulp_distance(1.0, 1.0, dtype) == 0  # type: ignore[arg-type]
    assert unit_roundoff(dtype) == (neighbour - 1.0) / 2.0  # type: ignore[arg-type]


@given(nst.arrays(scale=1e6), st.integers(1, 64))
def test_gauge_bound_accepts_a_reordered_sum(values: np.ndarray, length: int) -> None:
    """Summing in another order stays within gamma_2n of the gauge: both sides are rounded."""
    flat = np.ravel(values)[:length]
    forward = 0.0
    for v in flat:
        forward += v
    backward = 0.0
    for v in flat[::-1]:
        backward += v
    assert_close(forward, backward, gauge=np.sum(np.abs(flat)), terms=2 * flat.size)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: gamma(None), ValueError, r"^gamma: n must be a non-negative integer"),
        (lambda: gamma(float("nan")), ValueError, r"^gamma: n must be a non-negative integer"),
        (lambda: gamma(True), ValueError, r"^gamma: n must be a non-negative integer"),
        (lambda: gamma(-1), ValueError, r"^gamma: n must be a non-negative integer"),
        (lambda: gamma(10**400), ValueError, r"^gamma: n u >= 1 for n = 1000"),
        (lambda: ulp_distance(float("nan"), 1.0), ValueError, r"^ulp_distance: a is NaN"),
        (lambda: ulp_distance(None, 1.0), TypeError, r"^ulp_distance: a must be a real number"),
        (lambda: ulp_distance(1.0, "0.5"), TypeError, r"^ulp_distance: b must be a real number"),
        (
            lambda: assert_close(np.array([1 + 1j]), np.array([1.0])),
            TypeError,
            r"^assert_close: actual must be real numbers; got complex128",
        ),
    ],
)
def test_the_bounds_refuse_what_they_cannot_measure(call: Any, error: type, message: str) -> None:
    """No bound for a count that is not one, no distance from NaN, no real check of complex data.

    (Before: gamma(None) raised Python's own TypeError, ulp_distance(nan, 1) returned a
    19-digit number, and a complex value passed assert_close with only a warning.)
    """
    with pytest.raises(error, match=message):
        call()


def test_assert_close_names_itself_for_a_bad_count_of_terms() -> None:
    """A negative count of terms is refused by assert_close, not by gamma underneath it."""
    with pytest.raises(ValueError, match=r"^assert_close: terms must be a non-negative integer"):
        assert_close(1.0, 1.0, terms=-1)


def test_assert_close_and_unit_roundoff_name_themselves_for_bad_settings() -> None:
    """An integer dtype has no unit round-off; a gauge that cannot broadcast is refused by name."""
    with pytest.raises(TypeError, match=r"^unit_roundoff: dtype must be a floating type"):
        unit_roundoff(np.int32)
    with pytest.raises(ValueError, match=r"^assert_close: gauge must broadcast to the shape"):
        assert_close(np.ones(3), np.ones(3), gauge=np.ones(2))


@given(st.floats(float(np.finfo(np.float32).tiny), 1e30), st.sampled_from([-1.0, 1.0]))
def test_the_precision_is_the_actual_arrays_own_by_default(magnitude: float, sign: float) -> None:
    """Without dtype, a float32 result is judged in float32, a float64 one in float64.

    Rounded once to float32 it passes, two ULPs away it fails; a float64 result is still held
    to float64's u.
    """
    value = sign * magnitude
    assert_close(np.float32(value), value)
    up = np.float32(np.inf)
    with pytest.raises(AssertionError, match="ULPs apart"):
        assert_close(np.nextafter(np.nextafter(np.float32(value), up), up), value)
    with pytest.raises(AssertionError):
        assert_close(np.float64(np.float32(value)), value * (1 + 2.0**-40))


@pytest.mark.parametrize(
    ("value", "precision"),
    [
        (np.ones(2, np.float16), "float16"),
        (np.ones(2, np.float32), "float32"),
        (np.float32(1.0), "float32"),
        (np.ones(2), "float64"),
        (np.ones(2, np.longdouble), "float64"),
        (np.arange(3), "float64"),
        (1.5, "float64"),
    ],
)
def test_the_precision_a_result_is_judged_at(value: object, precision: str) -> None:
    """float16, float32 (and bfloat16) are their own; anything else is judged as float64."""
    assert precision_of(value).name == precision


def test_bfloat16_is_judged_in_bfloat16() -> None:
    """An ml_dtypes bfloat16 result: its own precision, u = 2^-8; named by string too."""
    ml_dtypes = pytest.importorskip("ml_dtypes", reason="bfloat16 needs ml_dtypes (optional)")
    result = np.array([1.0, 3.0], dtype=ml_dtypes.bfloat16)
    assert precision_of(result).name == "bfloat16"
    assert floating_dtype("bfloat16", "f") == np.dtype(ml_dtypes.bfloat16)
    assert_close(result, [1.0, 3.0])  # exact
    with pytest.raises(AssertionError):
        assert_close(result, [1.0, 3.0 * (1 + 2.0**-7)])  # two bfloat16 roundings away


@pytest.mark.parametrize("dtype", ["int32", np.longdouble, None, True, "float8"])
def test_floating_dtype_refuses_what_cannot_be_judged(dtype: object) -> None:
    """A TypeError naming the function: not a float, or a float outside the four precisions."""
    with pytest.raises(TypeError, match="check_gradient: dtype must be"):
        floating_dtype(dtype, "check_gradient")


def _to_bfloat16(a: np.ndarray) -> np.ndarray:
    """float32 values rounded to bfloat16's 8 significant bits (to nearest, ties to even)."""
    bits = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return rounded.astype(np.uint32).view(np.float32)


def _to_tf32(a: np.ndarray) -> np.ndarray:
    """float32 values truncated to TF32's 11 significant bits (13 low bits of 23 dropped)."""
    return (a.astype(np.float32).view(np.uint32) & np.uint32(0xFFFFE000)).view(np.float32)


def _conv_in_float32(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A 3x3 convolution with padding 1, tap by tap, every sum rounded to float32."""
    height, width = x.shape[2:]
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((x.shape[0], w.shape[0], height, width), dtype=np.float32)
    for p in range(3):
        for q in range(3):
            window = padded[:, :, p : p + height, q : q + width]
            out += np.einsum("nchw,oc->nohw", window, w[:, :, p, q])
    return out + b[None, :, None, None]


def test_a_float32_convolution_passes_and_one_with_fewer_input_digits_fails() -> None:
    """A convolution in float32 passes at float32's bound; with bfloat16 or TF32 inputs it fails.

    Judged at float32 (u |y| + gamma_n gauge, n and the gauge the catalog's): the one that
    accumulates in float32 passes (worst ratio 0.06); the same with its inputs rounded to
    bfloat16, or truncated to TF32 as a tensor core does, fails (ratios 1650 and 407: their
    inputs carry up to 2^-9 and 2^-10 of error where float32's carry 2^-24).
    """
    from numerics import catalog
    from numerics.catalog import Example
    from reference import conv

    rng = np.random.default_rng(0)
    x, w, b = (
        rng.standard_normal(shape).astype(np.float32) for shape in ((2, 3, 8, 8), (4, 3, 3, 3), 4)
    )
    attrs = {"stride": 1, "padding": 1, "dilation": 1, "groups": 1}
    entry = catalog.get("conv2d")
    example = Example((x, w, b), attrs)
    expected = conv.conv2d(
        x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), **attrs
    )
    bound = {"gauge": entry.gauge(example), "terms": entry.terms(example)}
    single = _conv_in_float32(x, w, b)
    assert single.dtype == np.float32
    assert_close(single, expected, **bound)
    for rounded in (_to_bfloat16, _to_tf32):
        fewer = _conv_in_float32(rounded(x), rounded(w), rounded(b))
        assert fewer.dtype == np.float32
        with pytest.raises(AssertionError, match="exceed their bound"):
            assert_close(fewer, expected, **bound)
