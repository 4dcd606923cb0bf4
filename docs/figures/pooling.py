"""The figures of the page pooling.md, drawn by the reference code at build time."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from _common import EDGE_KERNELS, grid, photograph
from matplotlib.figure import Figure

from reference import (
    conv,
    pooling,
)


def pooling_windows() -> Figure:
    x = np.array(
        [[1.0, 3.0, 2.0, 0.0], [4.0, 2.0, 1.0, 1.0], [0.0, 1.0, 5.0, 6.0], [2.0, 1.0, 7.0, 8.0]]
    )
    batch = x[None, None]
    results = [
        ("max", pooling.max_pool2d(batch, 2)),
        ("average", pooling.avg_pool2d(batch, 2)),
        ("L2: sqrt of the sum of squares", pooling.lp_pool2d(batch, 2, p=2.0)),
    ]
    gradient = pooling.max_pool2d_backward(np.ones((1, 1, 2, 2)), batch, 2)[0, 0]
    fig, axes = plt.subplots(1, 5, figsize=(12.0, 2.8))
    grid(axes[0], x, "4x4 map, 2x2 windows", highlight=(0, 0, 2, 2))
    for ax, (name, value) in zip(axes[1:4], results, strict=True):
        grid(ax, np.round(value[0, 0], 2), name, highlight=(0, 0, 1, 1), cmap="Greens")
    grid(axes[4], gradient, "max's gradient: routed", cmap="Oranges")
    return fig


def pooled_photograph() -> Figure:
    image = photograph()
    edges = np.abs(
        conv.conv2d(
            image[None, None], EDGE_KERNELS["vertical edges (Sobel)"][None, None], padding="same"
        )
    )
    fig, axes = plt.subplots(1, 4, figsize=(12.0, 2.9))
    axes[0].imshow(edges[0, 0], cmap="gray")
    axes[0].set_title(f"vertical edges, {edges.shape[2]}x{edges.shape[3]}", fontsize=9)
    for ax, (name, pooled) in zip(
        axes[1:],
        (
            ("max", pooling.max_pool2d(edges, 4)),
            ("average", pooling.avg_pool2d(edges, 4)),
            ("L2", pooling.lp_pool2d(edges, 4, p=2.0)),
        ),
        strict=True,
    ):
        ax.imshow(pooled[0, 0], cmap="gray")
        ax.set_title(f"{name} pooling 4x4: {pooled.shape[2]}x{pooled.shape[3]}", fontsize=9)
    for ax in axes:
        ax.axis("off")
    fig.suptitle("Pooling keeps where the features are, roughly, at a sixteenth of the pixels")
    return fig


#: name (the SVG's file name under figures/) -> the function that draws it
FIGURES: dict[str, Callable[[], Figure]] = {
    "pooling-windows": pooling_windows,
    "pooling-photograph": pooled_photograph,
}
