"""Laws of the translations from PyTorch's and ONNX's attribute forms and layouts to deepref's.

Each translation must name the same computation: the convolution PyTorch or
ONNX computes with its own attributes is the one deepref computes with the
translated ones (checked against both where they are installed), and SAME
padding has the length and the split ONNX defines.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import assert_close
from numerics import strategies as nst
from reference import compat, conv, pooling

LAYOUTS = {
    "nhwc_to_nchw": (compat.nhwc_to_nchw, compat.nchw_to_nhwc, "nhwc,nchw", (0, 3, 1, 2)),
    "hwio_to_oihw": (compat.hwio_to_oihw, compat.oihw_to_hwio, "hwio,oihw", (3, 2, 0, 1)),
    "ohwi_to_oihw": (compat.ohwi_to_oihw, compat.oihw_to_ohwi, "ohwi,oihw", (0, 3, 1, 2)),
}


@st.composite
def _geometries(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, int], list[int], list[int]]:
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    strides = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    dilations = [draw(st.integers(1, 2)), draw(st.integers(1, 2))]
    shape = (1, 1, draw(st.integers(1, 9)), draw(st.integers(1, 9)))
    return shape, kernel, strides, dilations


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER"])
@given(geometry=_geometries())
def test_same_padding_gives_ceil_n_over_s_with_the_odd_pixel_where_onnx_puts_it(
    auto_pad: str, geometry: tuple[tuple[int, ...], tuple[int, int], list[int], list[int]]
) -> None:
    """Output ceil(n / s), by the least padding that reaches it, split evenly.

    The odd pixel goes at the end (SAME_UPPER) or the start (SAME_LOWER).
    """
    shape, kernel, strides, dilations = geometry
    pads = compat.pads_from_onnx(
        shape, kernel, auto_pad=auto_pad, strides=strides, dilations=dilations
    )
    for axis, (before, after) in enumerate(pads):
        size, span = shape[2 + axis], dilations[axis] * (kernel[axis] - 1) + 1
        out = -(-size // strides[axis])
        assert before + after == max(0, (out - 1) * strides[axis] + span - size)
        assert (after - before) == (
            (before + after) % 2 if auto_pad == "SAME_UPPER" else -((before + after) % 2)
        )
        if before + after and size + before + after >= span:
            assert (size + before + after - span) // strides[axis] + 1 == out


@given(geometry=_geometries())
def test_pytorch_same_is_onnx_same_upper_at_stride_one(
    geometry: tuple[tuple[int, ...], tuple[int, int], list[int], list[int]],
) -> None:
    """PyTorch's "same" keeps n outputs with the odd pixel at the end: SAME_UPPER at stride 1."""
    shape, kernel, _, dilations = geometry
    torch_pads = compat.pads_from_torch(shape, kernel, padding="same", dilation=tuple(dilations))
    onnx_pads = compat.pads_from_onnx(shape, kernel, auto_pad="SAME_UPPER", dilations=dilations)
    assert torch_pads == onnx_pads


def test_onnx_pads_are_every_start_then_every_end() -> None:
    """[top, left, bottom, right] becomes ((top, bottom), (left, right)); VALID and none: zeros."""
    assert compat.pads_from_onnx((1, 1, 5, 4), (3, 3), pads=[1, 2, 3, 4]) == ((1, 3), (2, 4))
    assert compat.pads_from_onnx((1, 1, 5, 4), (3, 3), auto_pad="VALID") == ((0, 0), (0, 0))
    assert compat.pads_from_onnx((1, 1, 5, 4), (3, 3)) == ((0, 0), (0, 0))


def test_onnx_computes_the_same_convolution_with_its_own_attributes() -> None:
    """ONNX's reference evaluator's Conv, with pads, SAME_UPPER or SAME_LOWER, is deepref's."""
    onnx = pytest.importorskip("onnx", reason="ONNX is an optional peer")
    from onnx import helper
    from onnx.reference import ReferenceEvaluator

    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 2, 7, 6)), rng.standard_normal((3, 2, 3, 2))
    for attributes in (
        {"pads": [1, 0, 2, 1], "strides": [2, 1]},
        {"auto_pad": "SAME_UPPER", "strides": [2, 2], "dilations": [2, 1]},
        {"auto_pad": "SAME_LOWER", "strides": [2, 3]},
    ):
        node = helper.make_node("Conv", ["X", "W"], ["Y"], kernel_shape=[3, 2], **attributes)
        graph = helper.make_graph(
            [node],
            "conv",
            [
                helper.make_tensor_value_info("X", onnx.TensorProto.DOUBLE, x.shape),
                helper.make_tensor_value_info("W", onnx.TensorProto.DOUBLE, w.shape),
            ],
            [helper.make_tensor_value_info("Y", onnx.TensorProto.DOUBLE, None)],
        )
        (expected,) = ReferenceEvaluator(helper.make_model(graph)).run(None, {"X": x, "W": w})
        padding = compat.pads_from_onnx(x.shape, (3, 2), **attributes)  # type: ignore[arg-type]
        ours = conv.conv2d(
            x,
            w,
            padding=padding,
            stride=tuple(attributes["strides"]),
            dilation=tuple(attributes.get("dilations", [1, 1])),
        )
        patch = np.abs(x).max() * np.abs(w).sum(axis=(1, 2, 3)).max()
        assert_close(ours, expected, gauge=patch, terms=2 * 12, err_msg=f"{attributes}: ")


@pytest.mark.parametrize(
    ("kernel", "padding", "stride", "dilation"),
    [
        (3, 1, 1, 1),
        ((3, 2), (2, 1), (2, 1), 1),
        ((2, 4), "same", 1, 1),
        ((3, 3), "same", 1, (2, 1)),
        (3, "valid", 2, 1),
    ],
)
def test_pytorch_computes_the_same_convolution_with_its_own_attributes(
    kernel: object, padding: object, stride: object, dilation: object
) -> None:
    """torch.nn.functional.conv2d with PyTorch's padding is deepref's with the translated one.

    (Even kernels with "same" included: the odd pixel at the end.)
    """
    torch = pytest.importorskip("torch", reason="PyTorch is an optional peer")
    rng = np.random.default_rng(1)
    sizes = (kernel, kernel) if isinstance(kernel, int) else kernel
    x, w = rng.standard_normal((2, 3, 8, 7)), rng.standard_normal((4, 3, *sizes))
    with warnings.catch_warnings():  # PyTorch's note that an even "same" kernel copies the input
        warnings.simplefilter("ignore", UserWarning)
        expected = torch.nn.functional.conv2d(
            torch.from_numpy(x),
            torch.from_numpy(w),
            padding=padding,
            stride=stride,
            dilation=dilation,
        ).numpy()
    padding_ours = compat.pads_from_torch(
        x.shape, kernel, padding=padding, stride=stride, dilation=dilation
    )
    ours = conv.conv2d(x, w, padding=padding_ours, stride=stride, dilation=dilation)
    patch = np.abs(x).max() * np.abs(w).sum(axis=(1, 2, 3)).max()
    assert_close(ours, expected, gauge=patch, terms=2 * w[0].size)


def test_pytorch_max_pooling_with_its_own_padding_is_deeprefs() -> None:
    """PyTorch's max_pool2d(padding=(1, 0)) pads with -inf as deepref does ((1, 1), (0, 0))."""
    torch = pytest.importorskip("torch", reason="PyTorch is an optional peer")
    x = np.random.default_rng(2).standard_normal((1, 2, 5, 6))
    expected = torch.nn.functional.max_pool2d(torch.from_numpy(x), 3, stride=2, padding=(1, 0))
    padding = compat.pads_from_torch(x.shape, 3, padding=(1, 0), stride=2)
    assert np.array_equal(pooling.max_pool2d(x, 3, stride=2, padding=padding), expected.numpy())


@pytest.mark.parametrize("name", LAYOUTS)
@given(data=st.data())
def test_a_layout_conversion_moves_each_entry_and_comes_back(
    name: str, data: st.DataObject
) -> None:
    """Each entry lands where the named order puts it, and the inverse brings it back.

    The result is a new C-ordered array, and the input is untouched.
    """
    forward, inverse, orders, axes = LAYOUTS[name]
    x = data.draw(nst.arrays(nst.shapes(min_dims=4, max_dims=4, max_side=4), layout="any"))
    before = x.copy()
    moved = forward(x)
    source, target = orders.split(",")
    assert np.array_equal(moved, np.einsum(f"{source}->{target}", x))
    assert moved.shape == tuple(x.shape[a] for a in axes)
    assert moved.flags["C_CONTIGUOUS"]
    assert not np.shares_memory(moved, x)
    assert np.array_equal(inverse(moved), x)
    assert np.array_equal(x, before)


def test_a_channels_last_convolution_is_deeprefs_in_the_other_layout() -> None:
    """y_nhwc = sum over taps of x_nhwc and w_hwio is conv2d on the converted arrays."""
    rng = np.random.default_rng(3)
    x_nhwc, w_hwio = rng.standard_normal((2, 6, 5, 3)), rng.standard_normal((3, 2, 3, 4))
    y_nhwc = np.zeros((2, 4, 4, 4))
    for p in range(3):
        for q in range(2):
            y_nhwc += np.einsum("nhwc,co->nhwo", x_nhwc[:, p : p + 4, q : q + 4], w_hwio[p, q])
    ours = conv.conv2d(compat.nhwc_to_nchw(x_nhwc), compat.hwio_to_oihw(w_hwio))
    patch = np.abs(x_nhwc).max() * np.abs(w_hwio).sum(axis=(0, 1, 2)).max()
    assert_close(compat.nchw_to_nhwc(ours), y_nhwc, gauge=patch, terms=2 * 18)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: compat.pads_from_onnx((1, 5, 4), (3, 3)), ValueError, r"x_shape must be 4 ints"),
        (
            lambda: compat.pads_from_onnx((1, 1, 5, 4), 3),
            TypeError,
            r"kernel_shape must be a sequence of 2 ints; got int 3",
        ),
        (
            lambda: compat.pads_from_onnx((1, 1, 5, 4), (3, 3), pads=[1, 1, 1]),
            ValueError,
            r"pads must be 4 ints",
        ),
        (
            lambda: compat.pads_from_onnx((1, 1, 5, 4), (3, 3), pads=[1, -1, 1, 1]),
            ValueError,
            r"pads must be ints >= 0",
        ),
        (
            lambda: compat.pads_from_onnx((1, 1, 5, 4), (3, 3), auto_pad="SAME"),
            ValueError,
            r"auto_pad must be one of",
        ),
        (
            lambda: compat.pads_from_onnx((1, 1, 5, 4), (3, 3), pads=[0] * 4, auto_pad="VALID"),
            ValueError,
            r"pads cannot be given with auto_pad='VALID'",
        ),
        (
            lambda: compat.pads_from_onnx((1, 1, 5, 4), (3, 3), strides=[0, 1]),
            ValueError,
            r"strides must be ints >= 1",
        ),
        (
            lambda: compat.pads_from_torch((1, 1, 5, 4), 3, padding="same", stride=2),
            ValueError,
            r"padding='same' needs stride 1",
        ),
        (
            lambda: compat.pads_from_torch((1, 1, 5, 4), 3, padding="full"),
            ValueError,
            r"padding must be an int, a pair",
        ),
        (
            lambda: compat.pads_from_torch((1, 1, 5, 4), 3, padding=-1),
            ValueError,
            r"padding must be >= 0",
        ),
        (lambda: compat.pads_from_torch((1, 1, 5, 4), 0), ValueError, r"kernel_size must be >= 1"),
        (
            lambda: compat.pads_from_torch((1, 1, 5, 4), True),
            TypeError,
            r"kernel_size must be a sequence of 2 ints",
        ),
        (
            lambda: compat.nhwc_to_nchw(np.ones((2, 3, 4))),
            ValueError,
            r"x must have rank 4; got shape \(2, 3, 4\)",
        ),
        (
            lambda: compat.hwio_to_oihw(np.ones((1, 1, 1, 1), dtype=complex)),
            TypeError,
            r"w must hold real numbers",
        ),
    ],
)
def test_bad_attributes_are_refused_by_name(call: object, error: type, message: str) -> None:
    """Each malformed attribute: an error naming the function, the argument and what came."""
    with pytest.raises(
        error, match=rf"^(pads_from_onnx|pads_from_torch|nhwc_to_nchw|hwio_to_oihw): {message}"
    ):
        call()  # type: ignore[operator]
