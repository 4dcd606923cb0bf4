"""Catalog entries of the dense layer (:mod:`reference.dense`), the page *Backpropagation*."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from numerics import strategies as nst
from numerics.catalog import Example, OpEntry, register
from reference import dense


@st.composite
def _dense_examples(draw: st.DrawFn) -> Example:
    count, fan_in, fan_out = (draw(st.integers(1, 6)) for _ in range(3))
    x = draw(nst.arrays((count, fan_in), scale=10.0))
    W = draw(nst.arrays((fan_in, fan_out), scale=2.0))
    b = draw(nst.arrays((fan_out,), scale=10.0))
    return Example((x, W, b))


register(
    OpEntry(
        name="dense",
        concept="backpropagation",
        smooth=True,
        forward=dense.dense,
        backward=dense.dense_backward,
        examples=_dense_examples(),
        wrt=(0, 1, 2),
        # fan_in products and additions, then the bias
        terms=lambda ex: np.shape(ex.inputs[0])[1] + 1,
        gauge=lambda ex: np.abs(ex.inputs[0]) @ np.abs(ex.inputs[1]) + np.abs(ex.inputs[2]),
        independent=lambda x, W, b: np.asarray(x) @ np.asarray(W) + np.asarray(b),
        sample=Example(
            (
                np.array([[1.0, 2.0], [-1.0, 0.5]]),
                np.array([[1.0, 0.0, -1.0], [0.5, 1.0, 2.0]]),
                np.array([0.0, 0.0, 1.0]),
            )
        ),
        array_inputs=(0, 1, 2),
    )
)
