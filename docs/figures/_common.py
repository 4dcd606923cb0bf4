"""What the figures of several pages share: a grid of numbered cells, the photograph."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from reference import (
    pooling,
)


def grid(
    ax: plt.Axes,
    values: np.ndarray,
    title: str,
    *,
    highlight: tuple[int, int, int, int] | None = None,
    padded: int = 0,
    cmap: str = "Blues",
) -> None:
    """A small array as a grid of numbered cells, one rectangle highlighted (row, col, h, w)."""
    ax.imshow(values, cmap=cmap, vmin=values.min() - 1, vmax=values.max() + 1)
    for (i, j), value in np.ndenumerate(values):
        outside = padded and (
            i < padded
            or j < padded
            or i >= values.shape[0] - padded
            or j >= values.shape[1] - padded
        )
        ax.text(
            j,
            i,
            f"{value:g}",
            ha="center",
            va="center",
            fontsize=8,
            color="0.6" if outside else "black",
        )
    if highlight is not None:
        row, col, height, width = highlight
        ax.add_patch(
            plt.Rectangle(
                (col - 0.5, row - 0.5), width, height, fill=False, edgecolor="crimson", lw=2.5
            )
        )
    ax.set_xticks(np.arange(values.shape[1] + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(values.shape[0] + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", lw=1.5)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title, fontsize=9)


def photograph() -> np.ndarray:
    """The sample photograph that ships with scikit-learn, grey, half its size, in [0, 1]."""
    from sklearn.datasets import load_sample_image

    colour = load_sample_image("china.jpg").astype(np.float64) / 255.0
    grey = colour @ np.array([0.299, 0.587, 0.114])
    # average pooling 2x2: the reference shrinking the photograph itself
    return pooling.avg_pool2d(grey[None, None], 2)[0, 0]


EDGE_KERNELS = {
    "vertical edges (Sobel)": np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]),
    "horizontal edges (Sobel)": np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]]),
    "blur (3x3 mean)": np.full((3, 3), 1.0 / 9.0),
}
