"""Catalog entries of pooling (:mod:`reference.pooling`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from numerics import strategies as nst
from numerics.catalog import BadCall, Example, OpEntry, independent, register
from reference import pooling


@st.composite
def _pool_examples(
    draw: st.DrawFn,
    *,
    tie_free: bool = False,
    away_from_zero: bool = False,
    average: bool = False,
    lp: bool = False,
) -> Example:
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = draw(st.sampled_from([1, 2]))
    stride = draw(st.sampled_from([None, 1, 2, (1, 2)]))
    spans = [dilation * (k - 1) + 1 for k in kernel]
    padding = draw(
        st.one_of(
            st.just(0),
            st.tuples(
                st.tuples(st.integers(0, spans[0] // 2), st.integers(0, spans[0] // 2)),
                st.tuples(st.integers(0, spans[1] // 2), st.integers(0, spans[1] // 2)),
            ),
        )
    )
    shape = (
        draw(st.integers(1, 2)),
        draw(st.integers(1, 2)),
        draw(st.integers(spans[0], 7)),
        draw(st.integers(spans[1], 7)),
    )
    if tie_free:
        x = draw(nst.separated_arrays(shape, min_gap=0.05))
    elif away_from_zero:
        x = draw(nst.away_from([0.0], 0.05, shape, scale=4.0))
    else:
        x = draw(nst.arrays(shape, scale=4.0))
    attrs: dict[str, Any] = {
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "ceil_mode": draw(st.booleans()),
    }
    if average:
        attrs["count_include_pad"] = draw(st.booleans())
    if lp:
        attrs["p"] = draw(st.sampled_from([1.0, 1.5, 2.0, 3.0, 7.5]))
    return Example((x, kernel), attrs)


#: Tie-free maps: every law of every pooling runs on them besides the drawn inputs.
_MAPS = np.random.default_rng(7).permutation(50).reshape(1, 2, 5, 5) / 8.0 - 3.0
_EDGE_CASES = (
    # the written-out fast path of the classic windows
    ("2x2 windows, stride 2 (the fast path)", Example((_MAPS[:, :, :4, :4], (2, 2)))),
    # the last window runs past the end of the image and is cut there
    ("ceil_mode: a last window past the end", Example((_MAPS, 2), {"ceil_mode": True})),
    (
        "dilated windows over asymmetric padding",
        Example((_MAPS, (2, 3)), {"stride": 1, "dilation": 2, "padding": ((1, 0), (0, 2))}),
    ),
)
_IMAGE = np.ones((1, 1, 4, 4))


def _geometry_errors(func: str) -> tuple[BadCall, ...]:
    """The bad windows every pooling refuses the same way."""
    return (
        BadCall(
            "a window of padding alone",
            Example((_IMAGE, 2), {"padding": 2}),
            ValueError,
            r"every window must hold at least one input of the image; window \(0, 0\) holds "
            r"only padding",
        ),
        BadCall(
            "dilated windows whose taps straddle a small image",
            Example((np.ones((1, 1, 2, 2)), 2), {"stride": 1, "dilation": 3, "padding": 2}),
            ValueError,
            r"every window must hold at least one input of the image; window \(0, 1\)",
        ),
        BadCall(
            "a kernel larger than the image",
            Example((_IMAGE, 5)),
            ValueError,
            r"the kernel spans 5x5 inputs .* larger than the padded input, 4x4",
        ),
        BadCall(
            "a zero stride",
            Example((_IMAGE, 2), {"stride": 0}),
            ValueError,
            r"stride must be at least 1",
        ),
        BadCall("a zero kernel", Example((_IMAGE, 0)), ValueError, r"kernel must be at least 1"),
        BadCall(
            "ceil_mode not a bool",
            Example((_IMAGE, 2), {"ceil_mode": 1}),
            TypeError,
            r"ceil_mode must be True or False",
        ),
    )


def _window_size(ex: Example) -> int:
    return int(np.prod(ex.inputs[1]))


register(
    OpEntry(
        name="max_pool2d",
        concept="pooling",
        forward=pooling.max_pool2d,
        backward=pooling.max_pool2d_backward,
        examples=_pool_examples(tie_free=True),
        wrt=(0,),
        # a maximum is exact
        terms=lambda ex: 1,
        gauge=lambda ex: np.abs(ex.call(pooling.max_pool2d)),
        independent=independent.max_pool2d,
        sample=Example(
            (np.arange(2 * 3 * 4 * 4, dtype=np.float64).reshape(2, 3, 4, 4) % 7.0, (3, 2)),
            {"stride": 1, "padding": ((1, 1), (0, 1))},
        ),
        array_inputs=(0,),
        edge_cases=_EDGE_CASES,
        errors=_geometry_errors("max_pool2d"),
    )
)
register(
    OpEntry(
        name="avg_pool2d",
        concept="pooling",
        smooth=True,
        forward=pooling.avg_pool2d,
        backward=pooling.avg_pool2d_backward,
        examples=_pool_examples(average=True),
        wrt=(0,),
        # kH kW additions and a division
        terms=lambda ex: _window_size(ex) + 1,
        gauge=lambda ex: pooling.avg_pool2d(np.abs(ex.inputs[0]), ex.inputs[1], **ex.attrs),
        independent=independent.avg_pool2d,
        sample=Example(
            (np.arange(2 * 3 * 4 * 4, dtype=np.float64).reshape(2, 3, 4, 4) % 7.0, (3, 2)),
            {"stride": 1, "padding": ((1, 1), (0, 1))},
        ),
        array_inputs=(0,),
        edge_cases=(
            *_EDGE_CASES,
            (
                "ceil_mode, padding left out of the mean",
                Example((_MAPS, 2), {"ceil_mode": True, "padding": 1, "count_include_pad": False}),
            ),
        ),
        errors=(
            *_geometry_errors("avg_pool2d"),
            BadCall(
                "count_include_pad not a bool",
                Example((_IMAGE, 2), {"count_include_pad": 1}),
                TypeError,
                r"count_include_pad must be True or False",
            ),
        ),
    )
)
register(
    OpEntry(
        name="lp_pool2d",
        concept="pooling",
        forward=pooling.lp_pool2d,
        backward=pooling.lp_pool2d_backward,
        examples=_pool_examples(away_from_zero=True, lp=True),
        wrt=(0,),
        # per tap a division and a power (pow within 2 ulps: 4u), the sum, the root (4u),
        # the product
        terms=lambda ex: 5 * _window_size(ex) + 6,
        gauge=lambda ex: np.abs(ex.call(pooling.lp_pool2d)),
        independent=independent.lp_pool2d,
        sample=Example(
            (np.arange(2 * 3 * 4 * 4, dtype=np.float64).reshape(2, 3, 4, 4) % 7.0 - 3.0, 2),
            {"p": 2.0},
        ),
        array_inputs=(0,),
        edge_cases=(
            *_EDGE_CASES,
            ("p = 1: the sum of magnitudes", Example((_MAPS, 2), {"p": 1.0})),
            ("a large p, near the maximum", Example((_MAPS, 3), {"p": 40.0})),
        ),
        errors=(
            *_geometry_errors("lp_pool2d"),
            BadCall(
                "p = 0", Example((_IMAGE, 2), {"p": 0.0}), ValueError, r"p must be > 0; got 0.0"
            ),
            BadCall(
                "a negative p", Example((_IMAGE, 2), {"p": -1.0}), ValueError, r"p must be > 0"
            ),
        ),
    )
)


@st.composite
def _global_pool_examples(draw: st.DrawFn) -> Example:
    shape = (
        draw(st.integers(1, 3)),
        draw(st.integers(1, 3)),
        draw(st.integers(1, 6)),
        draw(st.integers(1, 6)),
    )
    return Example((draw(nst.arrays(shape, scale=4.0)),))


register(
    OpEntry(
        name="global_avg_pool2d",
        concept="pooling",
        smooth=True,
        forward=pooling.global_avg_pool2d,
        backward=pooling.global_avg_pool2d_backward,
        examples=_global_pool_examples(),
        wrt=(0,),
        terms=lambda ex: int(np.prod(np.shape(ex.inputs[0])[2:])) + 1,
        gauge=lambda ex: np.abs(ex.inputs[0]).mean(axis=(2, 3), keepdims=True),
        independent=lambda x: np.asarray(x).mean(axis=(2, 3), keepdims=True),
        sample=Example((np.arange(2 * 3 * 4 * 4, dtype=np.float64).reshape(2, 3, 4, 4),)),
        array_inputs=(0,),
    )
)
