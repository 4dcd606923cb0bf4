"""Laws of pooling: max, average, Lp and global average."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import assert_close, catalog, gamma
from numerics import strategies as nst
from reference import conv, pooling

max_examples = catalog.get("max_pool2d").examples
AVERAGE = catalog.get("avg_pool2d")
avg_examples = AVERAGE.examples


@st.composite
def tiled(draw: st.DrawFn, *, tie_free: bool = False) -> tuple[np.ndarray, tuple[int, int]]:
    """Non-overlapping windows that cover the map exactly: stride = kernel, H = a kH, W = b kW."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    shape = (
        draw(st.integers(1, 2)),
        draw(st.integers(1, 3)),
        kernel[0] * draw(st.integers(1, 3)),
        kernel[1] * draw(st.integers(1, 3)),
    )
    x = draw(
        nst.separated_arrays(shape, min_gap=0.05) if tie_free else nst.arrays(shape, scale=4.0)
    )
    return x, kernel


@given(
    max_examples,
    st.sampled_from([np.tanh, np.exp, np.arctan, lambda v: 2.0 * v + 1.0, lambda v: v**3]),
)
def test_max_pooling_commutes_with_every_increasing_map(example, increasing) -> None:
    """Applying an increasing function before or after max pooling gives the same map.

    maxpool(f(x)) = f(maxpool(x)) for non-decreasing f: the largest stays the largest. Bit for
    bit, since rounding keeps f non-decreasing.
    """
    x, kernel = example.inputs
    assert np.array_equal(
        pooling.max_pool2d(increasing(x), kernel, **example.attrs),
        increasing(pooling.max_pool2d(x, kernel, **example.attrs)),
    )


@given(tiled(), nst.seeds())
def test_max_pooling_ignores_the_order_inside_each_window(case, seed: int) -> None:
    """Shuffling the values inside each window does not change max pooling.

    With non-overlapping windows, shuffling the values inside each window changes nothing (max
    pooling sees a set, not a picture, inside its window): bit for bit.
    """
    x, (kernel_h, kernel_w) = case
    n, c, h, w = x.shape
    blocks = x.reshape(n, c, h // kernel_h, kernel_h, w // kernel_w, kernel_w)
    blocks = blocks.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // kernel_h, w // kernel_w, -1)
    shuffled = np.random.default_rng(seed).permuted(blocks, axis=-1)
    back = shuffled.reshape(n, c, h // kernel_h, w // kernel_w, kernel_h, kernel_w)
    back = back.transpose(0, 1, 2, 4, 3, 5).reshape(x.shape)
    kernel = (kernel_h, kernel_w)
    assert np.array_equal(pooling.max_pool2d(back, kernel), pooling.max_pool2d(x, kernel))


@given(avg_examples, nst.scalars(3.0), nst.seeds())
def test_average_pooling_is_linear(example, scale: float, seed: int) -> None:
    """avg(a x + v) = a avg(x) + avg(v): within gamma_{2(kH kW + 1) + 3} of the same on |.|."""
    x, kernel = example.inputs
    v = np.random.default_rng(seed).standard_normal(x.shape)
    attrs = example.attrs
    terms = int(np.prod(np.broadcast_to(kernel, 2))) + 1
    assert_close(
        pooling.avg_pool2d(scale * x + v, kernel, **attrs),
        scale * pooling.avg_pool2d(x, kernel, **attrs) + pooling.avg_pool2d(v, kernel, **attrs),
        gauge=pooling.avg_pool2d(abs(scale) * np.abs(x) + np.abs(v), kernel, **attrs),
        terms=2 * terms + 3,
    )


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 1), nst.seeds())
def test_average_pooling_is_a_convolution_with_a_constant_kernel(
    kernel_h: int, kernel_w: int, stride: int, padding: int, seed: int
) -> None:
    """Average pooling is a convolution, channel by channel, with equal weights 1 / (kH kW).

    avg_pool(x) = conv(x, 1/(kH kW)) channel by channel, padding counted (zeros): within
    gamma_{2(kH kW + 1)}.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, 7, 8))
    padding = min(padding, kernel_h // 2, kernel_w // 2)
    pooled = pooling.avg_pool2d(x, (kernel_h, kernel_w), stride=stride, padding=padding)
    flat = x.reshape(6, 1, 7, 8)
    constant = np.full((1, 1, kernel_h, kernel_w), 1.0 / (kernel_h * kernel_w))
    convolved = conv.conv2d(flat, constant, stride=stride, padding=padding)
    assert_close(
        pooled,
        convolved.reshape(pooled.shape),
        gauge=pooling.avg_pool2d(np.abs(x), (kernel_h, kernel_w), stride=stride, padding=padding),
        terms=2 * AVERAGE.terms(catalog.Example((x, (kernel_h, kernel_w)))),
    )


@given(avg_examples)
def test_l1_pooling_of_non_negative_input_is_the_window_size_times_the_average(example) -> None:
    """On non-negative input, L1 pooling is the window size times average pooling.

    With p = 1 and x >= 0 (no padding, full windows): lp = kH kW avg. Within gamma of both sums'
    terms (the Lp path scales by the largest entry and back: three more roundings).
    """
    x, kernel = example.inputs
    attrs = {k: v for k, v in example.attrs.items() if k in ("stride", "dilation")}
    size = int(np.prod(np.broadcast_to(kernel, 2)))
    lp = pooling.lp_pool2d(np.abs(x), kernel, p=1.0, **attrs)
    avg = pooling.avg_pool2d(np.abs(x), kernel, **attrs)
    assert_close(lp, size * avg, terms=2 * (size + 4))


@given(catalog.get("lp_pool2d").examples)
def test_lp_pooling_tends_to_max_pooling_as_p_grows(example) -> None:
    """As p grows, Lp pooling is squeezed onto max pooling of |x|.

    m <= ||x||_p <= n^{1/p} m, with m the largest |x| of the window and n its taps: as p grows
    the norm is squeezed onto max pooling of |x|. Checked for p = 1, 2, 4, 16, 64, 256, each
    side with a gamma_{5n+6} slack for the norm's rounding.
    """
    x, kernel = example.inputs
    attrs = {k: v for k, v in example.attrs.items() if k != "p"}
    largest = pooling.max_pool2d(np.abs(x), kernel, **attrs)
    size = int(np.prod(np.broadcast_to(kernel, 2)))
    slack = 1.0 + gamma(5 * size + 6)
    for order in (1.0, 2.0, 4.0, 16.0, 64.0, 256.0):
        norm = pooling.lp_pool2d(x, kernel, p=order, **attrs)
        assert np.all(largest <= norm * slack)
        assert np.all(norm <= size ** (1.0 / order) * largest * slack)


@given(max_examples)
def test_max_pooling_gradient_is_a_routing(example) -> None:
    """Max pooling's gradient sends each window's gradient to one input, its maximum.

    Each window's gradient lands on exactly one input, its maximum: dx is the sum over windows
    of dy at the arg-max, added in window order (so bit for bit).
    """
    x, kernel = example.inputs
    attrs = example.attrs
    y = pooling.max_pool2d(x, kernel, **attrs)
    dy = np.random.default_rng(0).standard_normal(y.shape)
    dx = pooling.max_pool2d_backward(dy, x, kernel, **attrs)
    expected = np.zeros_like(x)
    for index in np.ndindex(*y.shape):
        n, c = index[:2]
        matches = np.argwhere(x[n, c] == y[index])
        assert len(matches) >= 1
        rows, cols = zip(*matches, strict=True)
        candidates = [(r, q) for r, q in zip(rows, cols, strict=True)]
        # tie-free input: the maximum's value occurs once in the map
        assert len(candidates) == 1
        expected[(n, c, *candidates[0])] += dy[index]
    assert np.array_equal(dx, expected)


def test_ties_send_the_gradient_to_the_first_maximum() -> None:
    """Where values tie, the gradient goes to the first maximum in reading order, as in PyTorch.

    On a constant map every position ties; each window's gradient goes to its first (top left)
    position in row-major order, as in PyTorch.
    """
    x = np.ones((1, 1, 4, 4))
    dx = pooling.max_pool2d_backward(np.full((1, 1, 2, 2), 3.0), x, 2)
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 3.0
    assert np.array_equal(dx[0, 0], expected)


def _expected_size(
    size: int, kernel: int, stride: int, before: int, after: int, dilation: int, ceil_mode: bool
) -> int:
    span = dilation * (kernel - 1) + 1
    if ceil_mode:
        out = math.ceil((size + before + after - span) / stride) + 1
        return out - 1 if (out - 1) * stride >= size + before else out
    return (size + before + after - span) // stride + 1


@given(max_examples)
def test_the_output_shape_follows_the_padding_and_ceil_mode_formulas(example) -> None:
    """The pooled size is the floor formula, or with ceil_mode the ceiling less a window in padding.

    floor((H + P_T + P_B - d (k - 1) - 1) / s) + 1, or with ceil_mode the ceiling, less one when
    the last window would start inside the end padding.
    """
    x, kernel = example.inputs
    attrs = example.attrs
    y = pooling.max_pool2d(x, kernel, **attrs)
    kernels = np.broadcast_to(kernel, 2)
    strides = kernels if attrs["stride"] is None else np.broadcast_to(attrs["stride"], 2)
    padding = attrs["padding"]
    pads = ((0, 0), (0, 0)) if padding == 0 else padding
    for axis in range(2):
        assert y.shape[2 + axis] == _expected_size(
            x.shape[2 + axis],
            int(kernels[axis]),
            int(strides[axis]),
            *pads[axis],
            attrs["dilation"],
            attrs["ceil_mode"],
        )


@given(st.integers(1, 3), st.booleans())
def test_padding_never_wins_and_counts_only_when_asked(padding: int, ceil_mode: bool) -> None:
    """Padding is never a maximum, and counts in an average only with count_include_pad.

    Max pooling over a negative map never returns the padding's 0; average pooling of ones is 1
    everywhere without counting the padding, and (taps on the image) / (taps on the padded
    input) with it.
    """
    kernel = 2 * padding + 1
    x = -np.ones((1, 1, 5, 6))
    assert np.all(
        pooling.max_pool2d(x, kernel, stride=2, padding=padding, ceil_mode=ceil_mode) == -1.0
    )
    ones = np.ones((1, 1, 5, 6))
    assert np.all(
        pooling.avg_pool2d(
            ones, kernel, stride=2, padding=padding, ceil_mode=ceil_mode, count_include_pad=False
        )
        == 1.0
    )
    counted = pooling.avg_pool2d(ones, kernel, stride=1, padding=padding)
    assert counted[0, 0, 0, 0] == (padding + 1) ** 2 / kernel**2


@given(catalog.get("global_avg_pool2d").examples)
def test_global_average_pooling_is_average_pooling_over_the_whole_map(example) -> None:
    """global_avg(x) = avg_pool(x, kernel = (H, W)): within gamma_{2(HW + 1)}."""
    (x,) = example.inputs
    whole = pooling.avg_pool2d(x, x.shape[2:])
    entry = catalog.get("global_avg_pool2d")
    assert_close(
        pooling.global_avg_pool2d(x),
        whole,
        gauge=entry.gauge(example),
        terms=2 * entry.terms(example),
    )


@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(2, 9),
    st.integers(2, 9),
    nst.seeds(),
    st.booleans(),
)
def test_the_2x2_fast_path_is_the_general_kernel(
    batch: int, channels: int, height: int, width: int, seed: int, with_nan: bool
) -> None:
    """The written-out 2x2, stride 2 kernels give the general kernels' results bit for bit.

    Forward and backward, max and average, odd sizes (a last row or column in no window), ties
    and NaNs included.
    """
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, (batch, channels, height, width)).astype(np.float64)  # many ties
    if with_nan:
        x[rng.random(x.shape) < 0.1] = np.nan
    dy = rng.standard_normal((batch, channels, height // 2, width // 2))
    planes, grads = x.reshape(-1, height, width), dy.reshape(-1, height // 2, width // 2)
    geometry = pooling.Windows(
        kernel=(2, 2),
        stride=(2, 2),
        dilation=(1, 1),
        pad_before=(0, 0),
        pad_after=(0, 0),
        out=(height // 2, width // 2),
    )
    general = [
        pooling._max_pool_kernel(planes, geometry),
        pooling._max_pool_backward_kernel(grads, planes, geometry),
        pooling._avg_pool_kernel(planes, geometry, True),
        pooling._avg_pool_backward_kernel(grads, planes, geometry, True),
    ]
    fast = [
        pooling.max_pool2d(x, 2),
        pooling.max_pool2d_backward(dy, x, 2),
        pooling.avg_pool2d(x, 2),
        pooling.avg_pool2d_backward(dy, x, 2),
    ]
    for mine, reference in zip(fast, general, strict=True):
        assert np.array_equal(mine.reshape(reference.shape), reference, equal_nan=True)


def test_nan_propagates_through_max_pooling() -> None:
    """A NaN in a window makes that window's maximum NaN, wherever it sits in the window."""
    x = np.zeros((1, 1, 2, 4))
    x[0, 0, 1, 1] = np.nan
    y = pooling.max_pool2d(x, 2)
    assert np.isnan(y[0, 0, 0, 0])
    assert y[0, 0, 0, 1] == 0.0


def test_a_window_of_ten_to_the_eleven_taps_costs_no_more_than_one_of_three() -> None:
    """The taps of a window that fall on the image are found by division, not by visiting them.

    A 1x1 image under a kernel of 10^11 taps with padding 5 10^10 has one window, holding the
    one pixel: max and L2 give it, the average (padding counted) divides it by 10^22 (a count
    that would overflow an int64 if multiplied as one).
    """
    x, kernel, padding = np.ones((1, 1, 1, 1)), 10**11, 5 * 10**10
    assert pooling.max_pool2d(x, kernel, padding=padding)[0, 0, 0, 0] == 1.0
    assert pooling.lp_pool2d(x, kernel, padding=padding)[0, 0, 0, 0] == 1.0
    assert pooling.avg_pool2d(x, kernel, padding=padding)[0, 0, 0, 0] == 1e-22
    dx = pooling.max_pool2d_backward(np.ones((1, 1, 1, 1)), x, kernel, padding=padding)
    assert dx[0, 0, 0, 0] == 1.0


@pytest.mark.parametrize(
    ("call", "window"),
    [
        # dilation 3 over a 2x2 map with padding 2: five of nine windows hold no image tap
        (
            lambda: pooling.max_pool2d_backward(
                np.ones((1, 1, 3, 3)),
                np.arange(4.0).reshape(1, 1, 2, 2),
                2,
                stride=1,
                dilation=3,
                padding=2,
            ),
            (0, 1),
        ),
        (
            lambda: pooling.avg_pool2d(
                np.ones((1, 1, 1, 1)), 2, dilation=2, padding=1, count_include_pad=False
            ),
            (0, 0),
        ),
        (lambda: pooling.lp_pool2d(np.ones((1, 1, 4, 4)), 2, padding=((0, 0), (2, 0))), (0, 0)),
        (
            lambda: pooling.max_pool2d(
                np.ones((1, 1, 4, 4)), 2, stride=1, padding=((0, 3), (0, 0))
            ),
            (4, 0),
        ),
    ],
)
def test_a_window_of_padding_alone_is_refused_by_its_position(call: Any, window: Any) -> None:
    """A window that holds no input of the image has no maximum and no mean: refused, named.

    (Before, the maximum's gradient of such a window landed on the last pixel and the average
    without padding was NaN.)
    """
    with pytest.raises(ValueError, match=rf"window \({window[0]}, {window[1]}\) holds only"):
        call()


def test_lp_pooling_propagates_nan_and_infinity() -> None:
    """A NaN in a window makes its norm NaN, an infinite entry (and no NaN) makes it infinite."""
    assert np.isnan(pooling.lp_pool2d(np.array([[[[np.nan, 0.0]]]]), (1, 2))).all()
    assert np.isnan(pooling.lp_pool2d(np.array([[[[0.0, np.nan, 3.0]]]]), (1, 3))).all()
    assert pooling.lp_pool2d(np.array([[[[np.inf, 1.0]]]]), (1, 2))[0, 0, 0, 0] == np.inf
    assert pooling.lp_pool2d(np.array([[[[-np.inf, 1.0]]]]), (1, 2), p=3.0)[0, 0, 0, 0] == np.inf


def _onnx_pooling_vectors() -> list:
    """ONNX's own node test vectors of 2-D MaxPool, AveragePool and LpPool on float32."""
    onnx_cases = pytest.importorskip(
        "onnx.backend.test.case.node",
        reason="ONNX's node vectors need the onnx package (the test extra installs it)",
    )
    from onnx import helper

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ONNX's generators divide by zero on purpose
        cases = onnx_cases.collect_testcases()
    found = []
    for case in cases:
        nodes = case.model.graph.node
        if len(nodes) != 1 or nodes[0].op_type not in ("MaxPool", "AveragePool", "LpPool"):
            continue
        ((inputs, outputs),) = case.data_sets
        if inputs[0].ndim != 4 or inputs[0].dtype != np.float32 or len(outputs) != 1:
            continue  # 1-D and 3-D pooling, uint8 data, MaxPool's indices output
        attrs = {a.name: helper.get_attribute_value(a) for a in nodes[0].attribute}
        # the vector's own tolerance, for the vectors written by hand (see below)
        tolerance = {"rtol": case.rtol, "atol": case.atol} if _by_hand(outputs[0]) else {}
        found.append((case.name, nodes[0].op_type, attrs, inputs[0], outputs[0], tolerance))
    return found


def _by_hand(expected: np.ndarray) -> bool:
    """Whether the values were written out to 4 decimals (and need all 4) rather than computed."""

    def written(decimals: int) -> np.ndarray:
        return np.round(expected.astype(np.float64), decimals).astype(np.float32)

    return bool(np.array_equal(expected, written(4)) and not np.array_equal(expected, written(3)))


def _from_onnx(attrs: dict) -> dict:
    """ONNX's pooling attributes as this module's keywords (ONNX's defaults written out)."""
    auto = attrs.get("auto_pad", b"NOTSET").decode()
    top, left, bottom, right = attrs.get("pads", [0, 0, 0, 0])
    padding = {"SAME_UPPER": "same", "SAME_LOWER": "same_lower", "VALID": "valid"}.get(
        auto, ((top, bottom), (left, right))
    )
    return {
        "stride": tuple(attrs.get("strides", [1, 1])),  # ONNX's default stride is 1
        "padding": padding,
        "dilation": tuple(attrs.get("dilations", [1, 1])),
        "ceil_mode": bool(attrs.get("ceil_mode", 0)),
    }


def test_onnx_node_vectors_of_pooling_are_reproduced() -> None:
    """ONNX's own MaxPool, AveragePool and LpPool vectors (2-D, float32), padding 2 included.

    The vectors are float32 results, which ONNX's generators may compute in float32: max
    pooling agrees exactly; the average within gamma_{2(n+1)} in float32 of the mean of |x|
    over the window (n taps and the division, ONNX's float32 sum and its rounding, plus ours
    in float64), the norm within gamma_{2(5n+6)} in float32 of itself (a sum of positive
    powers: relative error). A vector written out by hand to 4 decimals is held to the
    tolerance it declares besides (ONNX's test_averagepool_2d_ceil_last_window_starts_on_pad
    gives 0.2841 for 0.284044..., with rtol 1e-3).
    """
    vectors = _onnx_pooling_vectors()
    names = {name for name, *_ in vectors}
    for wanted in (
        "test_maxpool_2d_pads",
        "test_averagepool_2d_pads",
        "test_averagepool_2d_pads_count_include_pad",
        "test_lppool_2d_pads",
    ):
        assert wanted in names
    for name, op_type, attrs, x, expected, tolerance in vectors:
        kernel = tuple(attrs["kernel_shape"])
        options = _from_onnx(attrs)
        taps = int(np.prod(kernel))
        if op_type == "MaxPool":
            got = pooling.max_pool2d(x, kernel, **options)
            assert np.array_equal(got.astype(np.float32), expected), name
        elif op_type == "AveragePool":
            include = bool(attrs.get("count_include_pad", 0))
            got = pooling.avg_pool2d(x, kernel, count_include_pad=include, **options)
            gauge = pooling.avg_pool2d(np.abs(x), kernel, count_include_pad=include, **options)
            assert_close(
                got,
                expected,
                gauge=gauge,
                terms=2 * (taps + 1),
                dtype=np.float32,
                **tolerance,
                err_msg=name,
            )
        else:
            got = pooling.lp_pool2d(x, kernel, p=float(attrs.get("p", 2)), **options)
            assert_close(
                got,
                expected,
                gauge=np.abs(got),
                terms=2 * (5 * taps + 6),
                dtype=np.float32,
                **tolerance,
                err_msg=name,
            )


def test_the_global_average_of_values_near_the_largest_float_is_finite() -> None:
    """A map of 1e308s has the mean 1e308, though its sum overflows."""
    pooled = pooling.global_avg_pool2d(np.full((1, 2, 2, 2), 1e308))
    assert pooled.ravel().tolist() == [1e308, 1e308]
