"""Catalog entries of convolution (:mod:`reference.conv`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from numerics import strategies as nst
from numerics.catalog import BadCall, Example, OpEntry, independent, register
from reference import conv

_PADDINGS = st.one_of(
    st.sampled_from(["valid", "same", "same_lower"]),
    st.integers(0, 2),
    st.tuples(
        st.tuples(st.integers(0, 2), st.integers(0, 2)),
        st.tuples(st.integers(0, 2), st.integers(0, 2)),
    ),
)


@st.composite
def _conv_examples(draw: st.DrawFn) -> Example:
    groups = draw(st.integers(1, 2))
    channels_in = groups * draw(st.integers(1, 2))
    channels_out = groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation: Any = draw(st.sampled_from([1, 2, (1, 2)]))  # both forms: an int and a pair
    spread = (dilation, dilation) if isinstance(dilation, int) else dilation
    stride = draw(st.sampled_from([1, 2, (2, 1)]))
    padding = draw(_PADDINGS)
    # big enough for the dilated kernel without padding
    height = draw(st.integers(spread[0] * (kernel[0] - 1) + 1, 7))
    width = draw(st.integers(spread[1] * (kernel[1] - 1) + 1, 7))
    x = draw(nst.arrays((draw(st.integers(1, 2)), channels_in, height, width), scale=4.0))
    w = draw(nst.arrays((channels_out, channels_in // groups, *kernel), scale=1.0))
    b = draw(nst.arrays((channels_out,), scale=4.0))
    return Example(
        (x, w, b), {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    )


_X = np.random.default_rng(3).standard_normal((1, 4, 5, 5))
_W = np.random.default_rng(4).standard_normal((2, 4, 3, 3))
_EDGE_CASES = (
    (
        "a 1x1 kernel: a dense layer at every pixel",
        Example(
            (_X, _W[:, :, :1, :1], np.ones(2)),
            {"stride": 1, "padding": 0, "dilation": 1, "groups": 1},
        ),
    ),
    (
        "depthwise: one group per channel",
        Example(
            (_X, _W.reshape(8, 1, 3, 3)[:4], np.zeros(4)),
            {"stride": 1, "padding": "same", "dilation": 1, "groups": 4},
        ),
    ),
    (
        "stride 2, SAME_LOWER padding on an odd image",
        Example(
            (_X, _W, np.zeros(2)),
            {"stride": 2, "padding": "same_lower", "dilation": 1, "groups": 1},
        ),
    ),
    (
        "dilation 2 over asymmetric padding",
        Example(
            (_X, _W, np.zeros(2)),
            {"stride": 1, "padding": ((2, 0), (1, 3)), "dilation": 2, "groups": 1},
        ),
    ),
)


def _bad(
    name: str,
    error: type[Exception],
    match: str,
    *,
    w: np.ndarray = _W,
    b: np.ndarray | None = None,
    **attrs: object,
) -> BadCall:
    """A bad call on a (1, 4, 5, 5) image: the sample's attributes with ``attrs`` changed."""
    merged = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, **attrs}
    bias = np.ones(w.shape[0]) if b is None else b
    return BadCall(name, Example((_X, w, bias), merged), error, match)


_ERRORS = (
    _bad(
        "a kernel of side 0",
        ValueError,
        r"the kernel must be at least 1x1",
        w=np.ones((2, 4, 0, 0)),
    ),
    _bad(
        "a kernel taller than the image",
        ValueError,
        r"the kernel spans 7x3 inputs .* larger than the padded input, 5x5",
        w=np.ones((2, 4, 7, 3)),
    ),
    _bad(
        "a dilated kernel larger than the image",
        ValueError,
        r"the kernel spans 7x7 inputs",
        dilation=3,
    ),
    _bad(
        "groups that divide neither channel count",
        ValueError,
        r"groups = 3 must divide both C_in = 4 and C_out = 2",
        w=np.ones((2, 2, 3, 3)),
        groups=3,
    ),
    _bad(
        "a kernel for other input channels",
        ValueError,
        r"w must have C_in / groups = 4 input channels .* got w of shape \(2, 3, 3, 3\)",
        w=np.ones((2, 3, 3, 3)),
    ),
    _bad("a zero stride", ValueError, r"stride must be at least 1; got 0", stride=0),
    _bad("a negative stride", ValueError, r"stride must be at least 1", stride=(1, -2)),
    _bad("a fractional stride", TypeError, r"stride must be an int or a pair of ints", stride=1.5),
    _bad("an unknown padding", ValueError, r"padding must be 'valid', 'same'", padding="full"),
    _bad("a negative padding", ValueError, r"padding must not be negative", padding=-1),
    _bad(
        "a padding pair without sides",
        TypeError,
        r"padding must be .*\(\(top, bottom\)",
        padding=(1, 2),
    ),
    _bad("zero groups", ValueError, r"groups must be a positive integer", groups=0),
    _bad("a bias for other channels", ValueError, r"b must have shape \(2,\)", b=np.ones(3)),
)


def _conv_gauge(ex: Example) -> np.ndarray:
    x, w, b = (np.abs(v) for v in ex.inputs)
    return conv.conv2d_direct(x, w, b, **ex.attrs)


for _name in ("conv2d", "conv2d_direct"):
    register(
        OpEntry(
            name=_name,
            concept="conv",
            smooth=True,
            forward=getattr(conv, _name),
            backward=getattr(conv, f"{_name}_backward"),
            examples=_conv_examples(),
            wrt=(0, 1, 2),
            # C_in/groups kH kW products and additions, then the bias
            terms=lambda ex: int(np.prod(np.shape(ex.inputs[1])[1:])) + 1,
            gauge=_conv_gauge,
            independent=independent.conv2d,
            sample=Example(
                (
                    np.arange(2 * 2 * 4 * 4, dtype=np.float64).reshape(2, 2, 4, 4) / 10.0,
                    np.linspace(-1.0, 1.0, 3 * 2 * 3 * 3).reshape(3, 2, 3, 3),
                    np.array([0.5, -0.5, 0.0]),
                ),
                {"stride": 1, "padding": "same", "dilation": 1, "groups": 1},
            ),
            array_inputs=(0, 1, 2),
            edge_cases=_EDGE_CASES,
            errors=_ERRORS,
        )
    )
