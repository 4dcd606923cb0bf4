"""Catalog entries of linear regression (:mod:`reference.regression`)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from numerics import strategies as nst
from numerics.catalog import Example, OpEntry, register
from reference import regression


@st.composite
def _linear_examples(draw: st.DrawFn) -> Example:
    count = draw(st.integers(1, 8))
    width = draw(st.integers(1, 6))
    X = draw(nst.arrays((count, width), scale=10.0))
    w = draw(nst.arrays((width,), scale=2.0))
    b = draw(nst.scalars(10.0))
    return Example((X, w, b))


register(
    OpEntry(
        name="linear",
        concept="regression",
        smooth=True,
        forward=regression.linear,
        backward=regression.linear_backward,
        examples=_linear_examples(),
        wrt=(0, 1, 2),
        # D products and D additions (the bias last) behind each output
        terms=lambda ex: ex.inputs[0].shape[1] + 1,
        gauge=lambda ex: np.abs(ex.inputs[0]) @ np.abs(ex.inputs[1]) + abs(ex.inputs[2]),
        independent=lambda X, w, b: np.asarray(X) @ np.asarray(w) + b,
        sample=Example((np.array([[100.0, 10.0], [50.0, 30.0]]), np.array([2.5, -1.2]), 30.0)),
        array_inputs=(0, 1),
    )
)
