"""Catalog entries of regularisation (:mod:`reference.regularization`)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from numerics import strategies as nst
from numerics.catalog import BadCall, Example, OpEntry, register
from reference import regularization


@st.composite
def _weight_decay_examples(draw: st.DrawFn) -> Example:
    w = draw(nst.arrays(nst.shapes(min_dims=1, max_dims=3, max_side=5), scale=4.0))
    return Example((w,), {"lam": draw(st.one_of(st.just(0.0), st.floats(1e-3, 1.0)))})


register(
    OpEntry(
        name="weight_decay",
        concept="regularization",
        forward=regularization.weight_decay,
        backward=regularization.weight_decay_backward,
        examples=_weight_decay_examples(),
        wrt=(0,),
        # n squares summed, two products
        terms=lambda ex: int(np.size(ex.inputs[0])) + 3,
        gauge=lambda ex: np.asarray(regularization.weight_decay(*ex.inputs, **ex.attrs)),
        independent=lambda w, lam: 0.5 * lam * float(np.sum(np.asarray(w) ** 2)),
        sample=Example((np.array([3.0, 4.0]),), {"lam": 0.1}),
        array_inputs=(0,),
        any_rank=(0,),
        errors=(
            BadCall(
                "a negative strength",
                Example((np.ones(2),), {"lam": -0.1}),
                ValueError,
                r"lam must be >= 0.0",
            ),
        ),
    )
)


def _mask_from_seed(example: Example) -> Example:
    """The seed becomes the mask dropout draws with it, so dropout is a linear map of x."""
    (x,) = example.inputs
    p, seed = example.attrs["p"], example.attrs["seed"]
    mask = regularization.dropout(np.ones(np.shape(x)), p, np.random.default_rng(seed))[1]
    return Example((x,), {"p": p, "mask": mask})


@st.composite
def _dropout_examples(draw: st.DrawFn) -> Example:
    x = draw(nst.arrays(nst.shapes(min_dims=1, max_dims=3, max_side=6), scale=4.0))
    return Example(
        (x,), {"p": draw(st.sampled_from([0.0, 0.1, 0.5, 0.9])), "seed": draw(nst.seeds())}
    )


register(
    OpEntry(
        name="dropout",
        concept="regularization",
        forward=regularization.dropout,
        backward=regularization.dropout_backward,
        examples=_dropout_examples(),
        wrt=(0,),
        # a product and a division
        terms=lambda ex: 2,
        gauge=lambda ex: (
            np.abs(np.asarray(ex.inputs[0])) * ex.attrs["mask"] / (1.0 - ex.attrs["p"])
        ),
        independent=lambda x, p, mask: np.where(mask == 1.0, np.asarray(x) / (1.0 - p), 0.0),
        sample=Example((np.array([[1.0, -2.0], [0.5, 3.0]]),), {"p": 0.5, "seed": 0}),
        array_inputs=(0,),
        any_rank=(0,),
        output=0,  # (y, mask)
        prepare=_mask_from_seed,
        backward_args=lambda ex: Example((ex.attrs["mask"], ex.attrs["p"])),
        errors=(
            BadCall(
                "p = 1 (every unit dropped)",
                Example((np.ones(2),), {"p": 1.0, "seed": 0}),
                ValueError,
                r"p must be in \[0, 1\)",
                backward=False,
            ),
        ),
    )
)
