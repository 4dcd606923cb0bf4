"""What the figures of several pages share: cells of numbers, a photograph, training runs."""

from __future__ import annotations

import functools
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from reference import (
    cnn,
    pooling,
    rnn,
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


@functools.lru_cache(maxsize=1)
def adding_runs() -> dict[str, tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]]:
    """The adding problem at T = 50, learnt by each recurrent layer: the RNN page's experiment.

    1 600 training and 500 validation sequences (seed 0), 32 units drawn as PyTorch draws them
    (seed 1), Adam at lr 0.01, batches of 32 in an order from seed 2, gradients clipped to
    norm 1, 14 epochs (700 steps) each, by :func:`reference.rnn.train_sequence_regressor`.
    Returns, per layer, the trained parameters, the loss history and the validation data.
    """
    rng = np.random.default_rng(0)
    X, y = rnn.adding_problem(1600, 50, rng)
    X_val, y_val = rnn.adding_problem(500, 50, rng)
    runs = {}
    for cell in rnn.CELLS:
        params = rnn.init_sequence_regressor(cell, 2, 32, np.random.default_rng(1))
        trained, history = rnn.train_sequence_regressor(
            X,
            y,
            params,
            cell=cell,
            lr=0.01,
            batch_size=32,
            epochs=14,
            rng=np.random.default_rng(2),
            max_grad_norm=1.0,
            validation=(X_val, y_val),
        )
        runs[cell] = (trained, history, X_val, y_val)
    return runs


@functools.cache
def trained_cnn(seed: int = 0, lr: float = 0.005, normalise: bool = True) -> cnn.CnnResult:
    """One training run of the digits network, shared by the pages that show it."""
    return cnn.train_digit_cnn(seed=seed, lr=lr, normalise=normalise)


def draw_mistakes(
    fig: plt.Figure, grid: Any, images: np.ndarray, predicted: np.ndarray, labels: np.ndarray
) -> None:
    """Each misclassified 8x8 digit in a cell of ``grid``, titled "predicted (is true)"."""
    columns = grid.ncols
    for k, index in enumerate(np.flatnonzero(predicted != labels)):
        cell = fig.add_subplot(grid[k // columns, k % columns])
        cell.imshow(images[index].reshape(8, 8), cmap="gray_r", interpolation="nearest")
        cell.set_title(f"{predicted[index]} (is {labels[index]})", fontsize=7)
        cell.axis("off")
