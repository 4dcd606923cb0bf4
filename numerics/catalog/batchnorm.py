"""Catalog entries of batch normalisation (:mod:`reference.batchnorm`)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from numerics import strategies as nst
from numerics.catalog import BadCall, Example, OpEntry, independent, register
from reference import batchnorm


@st.composite
def _batchnorm_examples(draw: st.DrawFn) -> Example:
    channels = draw(st.integers(1, 4))
    shape = draw(
        st.sampled_from(
            [
                (draw(st.integers(2, 8)), channels),
                (
                    draw(st.integers(1, 3)),
                    channels,
                    draw(st.integers(1, 3)),
                    draw(st.integers(2, 3)),
                ),
            ]
        )
    )
    # spread out, so that the batch variance is well away from 0 and from eps
    x = draw(nst.separated_arrays(shape, min_gap=0.1))
    gamma = draw(nst.arrays((channels,), scale=2.0))
    beta = draw(nst.arrays((channels,), scale=2.0))
    return Example((x, gamma, beta), {"eps": draw(st.sampled_from([1e-5, 1e-3]))})


def _axes(x: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The axes of a per-channel statistic, and the shape of a per-channel value."""
    return ((0,) if x.ndim == 2 else (0, 2, 3)), (1, -1) + (1,) * (x.ndim - 2)


def terms(example: Example) -> int:
    """The rounded operations behind one output, with m values per channel.

    The m-term mean, the m-term variance, the square root and the division, the products.
    """
    x = np.asarray(example.inputs[0])
    return 2 * int(x.size // x.shape[1]) + 8


def _batchnorm_gauge(ex: Example) -> np.ndarray:
    """|gamma| (mean|x| + |x - mu|) / sqrt(var + eps) + |beta| + |y - beta|.

    The rounding of the mean (relative to mean|x|), of x - mu and of the variance, carried
    through the scale.
    """
    x, gamma, beta = (np.asarray(v) for v in ex.inputs)
    axes, shape = _axes(x)
    scale = np.abs(gamma).reshape(shape) / np.sqrt(
        x.var(axis=axes, keepdims=True) + ex.attrs["eps"]
    )
    centred = np.abs(x - x.mean(axis=axes, keepdims=True))
    y = independent.batchnorm_train(x, gamma, beta, eps=ex.attrs["eps"])
    spread = np.abs(x).mean(axis=axes, keepdims=True)
    return (
        scale * (spread + centred) + np.abs(beta).reshape(shape) + np.abs(y - beta.reshape(shape))
    )


register(
    OpEntry(
        name="batchnorm_train",
        concept="batchnorm",
        smooth=True,
        forward=batchnorm.batchnorm_train,
        output=0,  # (y, mean, var): the statistics get no gradient
        backward=batchnorm.batchnorm_backward,
        examples=_batchnorm_examples(),
        wrt=(0, 1, 2),
        terms=terms,
        gauge=_batchnorm_gauge,
        independent=independent.batchnorm_train,
        sample=Example(
            (
                np.array([[1.0, 2.0], [3.0, 5.0], [4.0, 1.0]]),
                np.array([1.0, 0.5]),
                np.array([0.0, 1.0]),
            ),
            {"eps": 1e-5},
        ),
        array_inputs=(0, 1, 2),
        edge_cases=(
            (
                "a channel of two values",
                Example(
                    (np.array([[0.0, 1.0], [0.4, -1.0]]), np.array([1.0, 2.0]), np.zeros(2)),
                    {"eps": 1e-5},
                ),
            ),
            (
                "a batch variance below eps (6.7e-9 against 1e-5): eps sets 1 / sigma",
                Example(
                    (
                        np.array([[1.0, -3.0], [1.0001, -3.0], [0.9999, -2.9999]]),
                        np.array([1.0, 2.0]),
                        np.array([0.5, 0.0]),
                    ),
                    {"eps": 1e-5},
                ),
            ),
            (
                "images: per channel over N, H and W",
                Example(
                    (
                        np.arange(24.0).reshape(2, 3, 2, 2) % 5.0 * 0.7
                        - np.arange(3.0)[:, None, None],
                        np.array([1.0, -0.5, 2.0]),
                        np.array([0.0, 1.0, -1.0]),
                    ),
                    {"eps": 1e-3},
                ),
            ),
        ),
        errors=(
            BadCall(
                "gamma for other features",
                Example((np.ones((3, 2)), np.ones(3), np.ones(2))),
                ValueError,
                r"gamma must have shape \(2,\)",
            ),
            BadCall(
                "a negative eps",
                Example((np.array([[1.0], [2.0]]), np.ones(1), np.ones(1)), {"eps": -1.0}),
                ValueError,
                r"eps must be",
            ),
        ),
    )
)
