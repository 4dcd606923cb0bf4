"""Catalog entries of the restricted Boltzmann machine (:mod:`reference.rbm`)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from numerics import strategies as nst
from numerics.catalog import BadCall, Example, OpEntry, register
from reference import rbm


@st.composite
def _rbm_examples(draw: st.DrawFn) -> Example:
    """A real v (the free energy is defined for any real v, and smooth in it) and an RBM."""
    rows, visible, hidden = (
        draw(st.integers(1, 5)),
        draw(st.integers(1, 6)),
        draw(st.integers(1, 5)),
    )
    v = draw(nst.arrays((rows, visible), scale=2.0))
    W = draw(nst.arrays((visible, hidden), scale=2.0))
    return Example(
        (v, W, draw(nst.arrays((visible,), scale=2.0)), draw(nst.arrays((hidden,), scale=2.0)))
    )


def _free_energy_gauge(ex: Example) -> np.ndarray:
    """|v|·|b_v| + Σ_j (softplus(a_j) + (|v||W|)_j + |b_h,j|): softplus' <= 1 carries a's error."""
    v, W, b_v, b_h = (np.asarray(value) for value in ex.inputs)
    a = b_h + v @ W
    spread = np.abs(v) @ np.abs(W) + np.abs(b_h)
    return np.abs(v) @ np.abs(b_v) + (np.logaddexp(0.0, a) + spread).sum(axis=1)


register(
    OpEntry(
        name="free_energy",
        concept="rbm",
        forward=rbm.free_energy,
        backward=rbm.free_energy_backward,
        examples=_rbm_examples(),
        wrt=(0, 1, 2, 3),
        # a_j: n_v products summed and b_h added; softplus: exp, log1p, max (3); then the
        # n_h softplus terms and the n_v terms of v·b_v summed
        terms=lambda ex: 2 * np.shape(ex.inputs[1])[0] + np.shape(ex.inputs[1])[1] + 4,
        gauge=_free_energy_gauge,
        independent=lambda v, W, b_v, b_h: (
            -np.asarray(v) @ b_v - np.logaddexp(0.0, b_h + np.asarray(v) @ W).sum(axis=1)
        ),
        sample=Example(
            (np.array([[1.0, 0.0, 1.0]]), np.full((3, 2), 0.5), np.zeros(3), np.array([0.0, -1.0]))
        ),
        array_inputs=(0, 1, 2, 3),
        edge_cases=(
            (
                "saturated hidden units (inputs of ±40: softplus is 0 or the input)",
                Example(
                    (
                        np.array([[1.0, 1.0], [0.0, 1.0]]),
                        np.array([[20.0, -20.0], [20.0, -20.0]]),
                        np.array([0.5, -0.5]),
                        np.array([0.0, 0.0]),
                    )
                ),
            ),
        ),
        errors=(
            BadCall(
                "b_h of the wrong length",
                Example((np.ones((1, 3)), np.ones((3, 2)), np.zeros(3), np.zeros(3))),
                ValueError,
                r"b_h must have shape \(2,\), n_hidden of W",
            ),
            BadCall(
                "v with a column count other than W's rows",
                Example((np.ones((1, 2)), np.ones((3, 2)), np.zeros(3), np.zeros(2))),
                ValueError,
                r"v must have 3 columns \(n_visible of W\)",
            ),
        ),
    )
)


def slowly_mixing() -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """A tiny RBM whose Gibbs chains mix slowly, and 4 binary data rows: ((W, b_v, b_h), v).

    6 visible and 4 hidden units, W with standard deviation 2.5 (seed 1): CD-1's estimate of
    the gradient is visibly biased, CD-4's hardly. The CD-bias law and the page's figure use it.
    """
    generator = np.random.default_rng(1)
    model = (
        2.5 * generator.standard_normal((6, 4)),
        generator.standard_normal(6),
        generator.standard_normal(4),
    )
    return model, (generator.random((4, 6)) < 0.5).astype(float)
