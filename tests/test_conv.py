"""Laws of 2-D convolution: adjoints, linearity, equivariance, its matrix, its special cases."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import assert_close, catalog
from numerics import strategies as nst
from reference import conv
from reference.dense import dense

examples = catalog.get("conv2d").examples


ENTRY = catalog.get("conv2d")
DEFAULTS = {"stride": 1, "padding": "valid", "dilation": 1, "groups": 1}


def _gauge(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, **attrs) -> np.ndarray:
    """The catalog's gauge of conv2d: the convolution of absolute values."""
    bias = np.zeros(w.shape[0]) if b is None else b
    return ENTRY.gauge(catalog.Example((x, w, bias), {**DEFAULTS, **attrs}))


def _terms(w: np.ndarray) -> int:
    """The catalog's count of the rounded operations behind one output of conv2d."""
    return ENTRY.terms(catalog.Example((None, w, None)))


def test_the_classic_three_by_three_kernel_over_a_five_by_five_image() -> None:
    """A 3x3 kernel over a 5x5 image gives a 3x3 map, each entry the kernel times one patch.

    A 3x3 kernel over a 5x5 image with valid padding gives a 3x3 map, each entry the sum of the
    kernel times one patch (small integers: exact).
    """
    image = np.arange(25.0).reshape(1, 1, 5, 5)
    kernel = np.array([[[[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]]])
    y = conv.conv2d(image, kernel)
    assert y.shape == (1, 1, 3, 3)
    expected = [
        [
            sum(image[0, 0, i + p, j + q] * kernel[0, 0, p, q] for p in range(3) for q in range(3))
            for j in range(3)
        ]
        for i in range(3)
    ]
    assert np.array_equal(y[0, 0], expected)
    assert np.all(y == -8.0)  # a horizontal ramp of slope 1 under a Sobel-like kernel


def test_the_classic_two_kernels_over_a_five_by_five_rgb_image() -> None:
    """Two 3x3x3 kernels over a 5x5 colour image with same padding give two 5x5 maps.

    Two 3x3x3 kernels over a 5x5 RGB image with same padding give 2 maps of 5x5: each output
    sums 27 products (fewer at the border, where the padding reads zeros), plus a bias.
    """
    rng = np.random.default_rng(0)
    image = rng.integers(0, 3, (1, 3, 5, 5)).astype(np.float64)
    kernels = rng.integers(-1, 2, (2, 3, 3, 3)).astype(np.float64)
    bias = np.array([1.0, 0.0])
    y = conv.conv2d(image, kernels, bias, padding="same")
    assert y.shape == (1, 2, 5, 5)
    padded = np.pad(image, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for o in range(2):
        for i in range(5):
            for j in range(5):
                patch = padded[0, :, i : i + 3, j : j + 3]
                assert y[0, o, i, j] == np.sum(patch * kernels[o]) + bias[o]


@given(examples, nst.seeds())
def test_the_backward_is_the_adjoint_of_the_forward(example, seed: int) -> None:
    """The backward pass is the transpose of convolution as a linear map of input and kernel.

    <dy, conv(v, w)> = <dx(dy), v> and <dy, conv(x, V)> = <dw(dy), V> for random v, V (bias 0):
    the backward is the transpose of the linear maps x -> conv(x, w) and w -> conv(x, w). Each
    side is a sum of products: gamma of twice the terms of one output plus the N C H W terms of
    the inner product, of the products' absolute values.
    """
    x, w, _ = example.inputs
    rng = np.random.default_rng(seed)
    zero = np.zeros(w.shape[0])
    y = conv.conv2d(x, w, zero, **example.attrs)
    dy, v, V = (
        rng.standard_normal(y.shape),
        rng.standard_normal(x.shape),
        rng.standard_normal(w.shape),
    )
    dx, dw, _ = conv.conv2d_backward(dy, x, w, zero, **example.attrs)
    terms = 2 * (_terms(w) + x.size + y.size)
    assert_close(
        np.sum(dx * v),
        np.sum(dy * conv.conv2d(v, w, zero, **example.attrs)),
        gauge=np.sum(np.abs(dy) * _gauge(v, w, **example.attrs)),
        terms=terms,
    )
    assert_close(
        np.sum(dw * V),
        np.sum(dy * conv.conv2d(x, V, zero, **example.attrs)),
        gauge=np.sum(np.abs(dy) * _gauge(x, V, **example.attrs)),
        terms=terms,
    )


@given(examples, nst.scalars(3.0), nst.seeds())
def test_conv_is_linear_in_the_input_and_in_the_kernel(example, scale: float, seed: int) -> None:
    """Convolving a x + v gives a times the first map plus the second, and the same for kernels.

    conv(a x + v, w) = a conv(x, w) + conv(v, w), and the same in w (no bias): within gamma_{2
    terms + 3} of the same sums on absolute values.
    """
    x, w, _ = example.inputs
    rng = np.random.default_rng(seed)
    v, V = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
    attrs = example.attrs
    combined = conv.conv2d(scale * x + v, w, **attrs)
    assert_close(
        combined,
        scale * conv.conv2d(x, w, **attrs) + conv.conv2d(v, w, **attrs),
        gauge=_gauge(abs(scale) * np.abs(x) + np.abs(v), w, **attrs),
        terms=2 * _terms(w) + 3,
    )
    combined = conv.conv2d(x, scale * w + V, **attrs)
    assert_close(
        combined,
        scale * conv.conv2d(x, w, **attrs) + conv.conv2d(x, V, **attrs),
        gauge=_gauge(x, abs(scale) * np.abs(w) + np.abs(V), **attrs),
        terms=2 * _terms(w) + 3,
    )


@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 3), st.integers(0, 3), nst.seeds())
def test_conv_commutes_with_translation_away_from_the_borders(
    kernel_h: int, kernel_w: int, down: int, right: int, seed: int
) -> None:
    """Shifting the image shifts the feature map by the same amount, away from the borders.

    Shifting the image shifts the map (stride 1): conv(shift(x)) = shift(conv(x)) wherever
    neither window touches the border or the wrapped-around part. The direct loops take the same
    products in the same order: bit for bit. The im2col path hands every position's sum to BLAS,
    whose kernels may add the last block of columns in another order than the others (OpenBLAS
    0.3.31 on an AVX-512 machine rounds one entry in 270 differently, by 3.3e-16): there both
    sides are sums of the same products, each within its bound.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 2, 10, 11))
    w = rng.standard_normal((3, 2, kernel_h, kernel_w))
    shifted = np.roll(x, (down, right), axis=(2, 3))
    y, y_shifted = conv.conv2d_direct(x, w), conv.conv2d_direct(shifted, w)
    rows, cols = y.shape[2] - down, y.shape[3] - right
    assert np.array_equal(y_shifted[:, :, down:, right:], y[:, :, :rows, :cols])
    assert_close(
        conv.conv2d(shifted, w)[:, :, down:, right:],
        conv.conv2d(x, w)[:, :, :rows, :cols],
        gauge=_gauge(x, w)[:, :, :rows, :cols],
        terms=2 * _terms(w),
    )


def _toeplitz(w: np.ndarray, x_shape: tuple[int, ...], attrs: dict) -> np.ndarray:
    """The matrix T with conv(x) = T vec(x) for one sample, column by column.

    Built from the definition: column k is the convolution of the k-th basis image (zero
    padding: taps outside the image contribute no entry).
    """
    _, channels_out, out_h, out_w = conv.conv2d_output_shape(x_shape, w.shape, **attrs)
    y_probe = conv.conv2d_direct(np.zeros((1, *x_shape[1:])), w, **attrs)
    assert y_probe.shape == (1, channels_out, out_h, out_w)
    columns = []
    for k in range(int(np.prod(x_shape[1:]))):
        basis = np.zeros(int(np.prod(x_shape[1:])))
        basis[k] = 1.0
        columns.append(conv.conv2d_direct(basis.reshape(1, *x_shape[1:]), w, **attrs).ravel())
    return np.array(columns).T


@given(examples)
def test_conv_is_a_product_with_its_toeplitz_matrix(example) -> None:
    """Convolution is one sparse matrix, made of copies of the kernel, times the image.

    conv(x) = T vec(x) + b, with T sparse and banded, its entries copies of w: the kernel is
    shared by every output position. Held to gamma_{2 terms} of |T| |x| + |b|.
    """
    x, w, b = example.inputs
    T = _toeplitz(w, (1, *x.shape[1:]), example.attrs)
    # every nonzero entry of T is a weight of w (weight sharing), and each row has at most
    # C_in/groups kH kW of them (a local receptive field)
    assert set(np.unique(T[T != 0.0])) <= set(np.unique(w))
    assert np.max(np.count_nonzero(T, axis=1)) <= np.prod(w.shape[1:])
    y = conv.conv2d(x, w, b, **example.attrs)
    bias = np.repeat(b, y.shape[2] * y.shape[3])
    for n in range(x.shape[0]):
        assert_close(
            y[n].ravel(),
            T @ x[n].ravel() + bias,
            gauge=np.abs(T) @ np.abs(x[n].ravel()) + np.abs(bias),
            terms=2 * _terms(w),
        )


@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), nst.seeds())
def test_a_one_by_one_convolution_is_a_dense_layer_over_channels(
    batch: int, channels_in: int, channels_out: int, seed: int
) -> None:
    """A 1x1 convolution applies the same dense layer to the channels of every pixel.

    A 1x1 kernel mixes channels pixel by pixel: conv(x, w) at each pixel is dense(pixel, w^T)
    with the same bias. Held to gamma_{2(C_in + 1)}.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, channels_in, 4, 5))
    w = rng.standard_normal((channels_out, channels_in, 1, 1))
    b = rng.standard_normal(channels_out)
    pixels = x.transpose(0, 2, 3, 1).reshape(-1, channels_in)
    expected = dense(pixels, w[:, :, 0, 0].T, b).reshape(batch, 4, 5, channels_out)
    assert_close(
        conv.conv2d(x, w, b),
        expected.transpose(0, 3, 1, 2),
        gauge=_gauge(x, w, b),
        terms=2 * (channels_in + 1),
    )


@given(st.integers(1, 4), st.integers(1, 3), nst.seeds())
def test_groups_equal_to_channels_convolve_each_channel_alone(
    channels: int, kernel: int, seed: int
) -> None:
    """With one group per channel (depthwise), each channel is convolved on its own.

    groups = C_in with one filter per group (depthwise) equals C_in separate one-channel
    convolutions, stacked. Held to gamma_{2(k^2 + 1)}.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, channels, 6, 6))
    w = rng.standard_normal((channels, 1, kernel, kernel))
    b = rng.standard_normal(channels)
    grouped = conv.conv2d(x, w, b, padding="same", groups=channels)
    alone = np.concatenate(
        [
            conv.conv2d(x[:, c : c + 1], w[c : c + 1], b[c : c + 1], padding="same")
            for c in range(channels)
        ],
        axis=1,
    )
    assert_close(
        grouped,
        alone,
        gauge=_gauge(x, w, b, padding="same", groups=channels),
        terms=2 * (kernel * kernel + 1),
    )


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), nst.seeds())
def test_dilation_is_the_kernel_with_zeros_inserted(
    kernel_h: int, kernel_w: int, dilation_h: int, dilation_w: int, seed: int
) -> None:
    """A dilated kernel computes what the kernel with d - 1 zeros between its taps computes.

    Dilation d places d - 1 zeros between the taps: conv(x, w, dilation=d) = conv(x, w_d). The
    zeros add exact zeros, so the direct loops agree bit for bit; im2col within gamma.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 2, 9, 9))
    w = rng.standard_normal((2, 2, kernel_h, kernel_w))
    spread = np.zeros((2, 2, dilation_h * (kernel_h - 1) + 1, dilation_w * (kernel_w - 1) + 1))
    spread[:, :, ::dilation_h, ::dilation_w] = w
    dilated = conv.conv2d_direct(x, w, dilation=(dilation_h, dilation_w))
    assert np.array_equal(dilated, conv.conv2d_direct(x, spread))
    assert_close(
        conv.conv2d(x, w, dilation=(dilation_h, dilation_w)),
        dilated,
        gauge=_gauge(x, w, dilation=(dilation_h, dilation_w)),
        terms=2 * _terms(w),
    )


@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.sampled_from(["valid", "same", "same_lower"]),
    nst.seeds(),
)
def test_the_backward_of_a_convolution_is_a_convolution_with_the_flipped_kernel(
    kernel_h: int, kernel_w: int, padding: str, seed: int
) -> None:
    """The input gradient is the upstream gradient convolved with the kernel turned by 180 degrees.

    Stride 1: dx = conv(dy, w'), where w'[c, o] is w[o, c] turned by 180 degrees and the padding
    is k - 1 - P on each side ("full" correlation when P = 0). Within gamma of twice the terms
    of one output of each.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, 6, 7))
    w = rng.standard_normal((4, 3, kernel_h, kernel_w))
    y = conv.conv2d(x, w, padding=padding)
    dy = rng.standard_normal(y.shape)
    dx, _, db = conv.conv2d_backward(dy, x, w, padding=padding)
    assert db is None
    (top, bottom), (left, right) = conv.conv2d_padding(x.shape, w.shape, padding=padding)
    turned = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    back = (
        (kernel_h - 1 - top, kernel_h - 1 - bottom),
        (kernel_w - 1 - left, kernel_w - 1 - right),
    )
    assert_close(
        dx,
        conv.conv2d(dy, turned, padding=back),
        gauge=_gauge(dy, turned, padding=back),
        terms=2 * (4 * kernel_h * kernel_w + 1),
    )


@given(examples)
def test_the_fast_path_agrees_with_the_definition(example) -> None:
    """im2col with BLAS and the definition's loops agree, forward and backward, within rounding.

    im2col + BLAS and the direct loops compute the same sums in other orders: forward and
    backward within gamma_{2 terms} of their gauges (the backward's: the sums of |dy| |w| and
    |dy| |x| that it adds).
    """
    x, w, b = example.inputs
    attrs = example.attrs
    assert_close(
        conv.conv2d(x, w, b, **attrs),
        conv.conv2d_direct(x, w, b, **attrs),
        gauge=_gauge(x, w, b, **attrs),
        terms=2 * _terms(w),
    )
    dy = np.ones(conv.conv2d_output_shape(x.shape, w.shape, **attrs))
    fast = conv.conv2d_backward(dy, x, w, b, **attrs)
    slow = conv.conv2d_direct_backward(dy, x, w, b, **attrs)
    dx_gauge, dw_gauge, _ = conv.conv2d_direct_backward(dy, np.abs(x), np.abs(w), b, **attrs)
    y = dy.shape[0] * dy.shape[2] * dy.shape[3]
    assert_close(fast[0], slow[0], gauge=dx_gauge, terms=2 * _terms(w) * w.shape[0])
    assert_close(fast[1], slow[1], gauge=dw_gauge, terms=2 * y)
    assert_close(fast[2], slow[2], gauge=np.abs(dy).sum(axis=(0, 2, 3)), terms=2 * y)


@given(examples)
def test_the_output_shape_follows_the_formula(example) -> None:
    """The map is floor((H + padding - span) / stride) + 1 high; 'same' gives ceil(H / stride).

    H_out = floor((H + P_T + P_B - d (k - 1) - 1) / s) + 1, and 'same' gives ceil(H / s) with
    the odd pixel of padding at the end ('same') or the start ('same_lower').
    """
    x, w, _ = example.inputs
    attrs = example.attrs
    shape = conv.conv2d_output_shape(x.shape, w.shape, **attrs)
    assert conv.conv2d(*example.inputs, **attrs).shape == shape
    stride = np.broadcast_to(attrs["stride"], 2)
    dilation = np.broadcast_to(attrs["dilation"], 2)
    padding = attrs["padding"]
    for axis in range(2):
        size, kernel = x.shape[2 + axis], w.shape[2 + axis]
        span = dilation[axis] * (kernel - 1) + 1
        if padding in ("same", "same_lower"):
            expected = -(-size // stride[axis])
        else:
            pads = (
                (padding, padding)
                if isinstance(padding, int)
                else ((0, 0) if padding == "valid" else padding[axis])
            )
            expected = (size + sum(pads) - span) // stride[axis] + 1
        assert shape[2 + axis] == expected


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), nst.seeds())
def test_same_padding_puts_the_odd_pixel_at_the_end_and_same_lower_at_the_start(
    kernel_h: int, kernel_w: int, stride: int, seed: int
) -> None:
    """'same' puts the odd pixel of padding at the end and 'same_lower' at the start.

    'same' (ONNX SAME_UPPER, TensorFlow SAME) pads total = (ceil(H/s) - 1) s + k - H, with total
    // 2 before and the rest after; 'same_lower' the other way round: bit for bit the explicit
    paddings.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 2, 7, 6))
    w = rng.standard_normal((2, 2, kernel_h, kernel_w))
    pads = []
    for size, kernel in ((7, kernel_h), (6, kernel_w)):
        total = max(0, (-(-size // stride) - 1) * stride + kernel - size)
        pads.append((total // 2, total - total // 2))
    upper = (pads[0], pads[1])
    lower = (pads[0][::-1], pads[1][::-1])
    assert np.array_equal(
        conv.conv2d_direct(x, w, stride=stride, padding="same"),
        conv.conv2d_direct(x, w, stride=stride, padding=upper),
    )
    assert np.array_equal(
        conv.conv2d_direct(x, w, stride=stride, padding="same_lower"),
        conv.conv2d_direct(x, w, stride=stride, padding=lower),
    )


def test_why_convolution_the_parameter_count() -> None:
    """A convolution needs 112 384 times fewer weights than the dense layer that makes the same map.

    A 3x3 convolution from 3 to 16 channels has 16 (3 3 3) + 16 = 448 parameters on any image; a
    dense layer from a 32x32 RGB image to the same 16x32x32 map has 3072 x 16384 + 16384 = 50
    348 032: 112 384 times as many. Local receptive fields and shared weights.
    """
    w, b = np.zeros((16, 3, 3, 3)), np.zeros(16)
    out = conv.conv2d_output_shape((1, 3, 32, 32), w.shape, padding="same")
    dense_count = (3 * 32 * 32) * int(np.prod(out[1:])) + int(np.prod(out[1:]))
    assert w.size + b.size == 448
    assert dense_count == 50_348_032
    assert dense_count // (w.size + b.size) == 112_384
    assert conv.conv2d_output_shape((1, 3, 224, 224), w.shape, padding="same")[1] == 16


def test_no_bias_is_a_zero_bias_without_its_gradient() -> None:
    """No bias (None) computes the same as b = 0, and the backward returns db = None."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    assert np.array_equal(conv.conv2d(x, w), conv.conv2d(x, w, np.zeros(3)))
    dy = np.ones((2, 3, 3, 3))
    assert conv.conv2d_backward(dy, x, w)[2] is None
    assert np.array_equal(conv.conv2d_backward(dy, x, w, np.zeros(3))[2], np.full(3, 18.0))


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "message"),
    [
        ((-1, 3, 5, 5), (2, 3, 3, 3), r"x_shape must be a tuple of non-negative ints"),
        ((1, 3, 5, 5), (2, 3, 0, 3), r"the kernel must be at least 1x1"),
        ((1, 3, 5.0, 5), (2, 3, 3, 3), r"x_shape must be a tuple of non-negative ints"),
    ],
)
def test_shapes_that_describe_no_convolution_are_refused(
    x_shape: Any, w_shape: Any, message: str
) -> None:
    """A negative side, a kernel of side 0 or a fractional side is refused, not computed with.

    (Before, a 0x0 kernel gave a map larger than the image, filled with the bias, and a batch
    of -1 samples an output shape of -1 samples.)
    """
    for shape_of in (conv.conv2d_output_shape, conv.conv2d_padding):
        with pytest.raises(ValueError, match=rf"^{shape_of.__name__}: {message}"):
            shape_of(x_shape, w_shape)


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"stride": 2**63}, r"stride must stay below 2\*\*62 positions"),
        ({"padding": 2**62}, r"the padded input must stay below 2\*\*62 positions"),
        ({"padding": 2**63}, r"the padded input must stay below 2\*\*62 positions"),
        ({"dilation": 2**62}, r"span \(dilation included\) must stay below 2\*\*62"),
    ],
)
def test_integers_beyond_the_kernels_int64_are_refused_in_every_process(
    attrs: Any, message: str
) -> None:
    """A stride, padding or dilation the kernels' int64 arithmetic cannot hold is refused up front.

    (Before, stride 2**63 worked in a fresh process and raised OverflowError after any other
    conv2d call; padding 2**62 gave NumPy's "negative shape values".) Called twice, the same way.
    """
    x, w = np.ones((2, 2, 4, 4)), np.ones((3, 2, 3, 3))
    conv.conv2d(x, w, np.zeros(3), padding="same")  # an ordinary call first
    for _ in range(2):
        with pytest.raises(ValueError, match=rf"^conv2d: .*{message}"):
            conv.conv2d(x, w, np.zeros(3), **{"padding": "same", **attrs})
