"""The figures of the page cnn.md, drawn by the reference code at build time."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from _common import draw_mistakes, trained_cnn
from matplotlib.figure import Figure

from reference.cnn import feature_maps
from reference.digits import load_digits_split, train_digit_network

#: The seeds of the training runs the first figure compares (seed 0 is the default).
SEEDS = (0, 1, 2, 3, 4)


def cnn_training() -> Figure:
    mlp_accuracy = train_digit_network().test_accuracy
    _, _, X_test, labels_test = load_digits_split()
    fig = plt.figure(figsize=(10.5, 4.0))
    ax = fig.add_subplot(1, 2, 1)
    finals = []
    for seed in SEEDS:
        result = trained_cnn(seed)
        error = 100.0 * (1.0 - result.history[:, 1])
        ax.semilogy(np.arange(len(error)), np.maximum(error, 0.1), lw=1.2, label=f"seed {seed}")
        finals.append(100.0 * result.test_accuracy)
    ax.axhline(100.0 * (1.0 - mlp_accuracy), color="black", ls="--", lw=1)
    ax.text(
        len(error) - 1,
        100.0 * (1.0 - mlp_accuracy) * 1.1,
        f"the MLP: {100 * mlp_accuracy:.1f} % right",
        ha="right",
        va="bottom",
        fontsize=8,
    )
    ax.set_xlabel("epoch")
    ax.set_ylabel("held-out error, % (0 drawn at 0.1)")
    ax.set_title(
        "held-out accuracy after 20 epochs: " + ", ".join(f"{a:.1f}" for a in finals) + " %",
        fontsize=9,
    )
    ax.legend(fontsize=7)
    result = trained_cnn(SEEDS[0])
    wrong = np.flatnonzero(result.test_predictions != labels_test)
    columns = 4
    grid = fig.add_gridspec(
        max(1, int(np.ceil(len(wrong) / columns))),
        columns,
        left=0.6,
        right=0.95,
        top=0.8,
        bottom=0.35,
        hspace=0.6,
        wspace=0.2,
    )
    draw_mistakes(fig, grid, X_test, result.test_predictions, labels_test)
    fig.text(
        0.775,
        0.92,
        f"seed 0: all {len(wrong)} it gets wrong, predicted (true)",
        ha="center",
        fontsize=9,
    )
    return fig


def cnn_maps() -> Figure:
    result = trained_cnn(SEEDS[0])
    _, _, X_test, labels_test = load_digits_split()
    digit = X_test[:1].reshape(1, 1, 8, 8)
    maps1, maps2 = feature_maps(digit, result.params, result.statistics)
    kernels = result.params.conv1[:, 0]
    count = len(kernels)
    fig = plt.figure(figsize=(10.5, 5.2))
    rows = fig.add_gridspec(3, 1, hspace=0.5, top=0.88, bottom=0.02, left=0.13, right=0.99)
    panels = [
        (kernels, "block 1's kernels, 3x3", "RdBu_r"),
        (maps1[0], "block 1's maps, 8x8", "viridis"),
        (maps2[0], "block 2's maps, 4x4", "viridis"),
    ]
    for row, (images, label, cmap) in enumerate(panels):
        cells = rows[row].subgridspec(2, count // 2 if count > 1 else 1, wspace=0.08, hspace=0.1)
        for k, image in enumerate(images[:count]):
            ax = fig.add_subplot(cells[k % 2, k // 2])
            limit = float(np.max(np.abs(image))) or 1.0
            if cmap == "RdBu_r":
                ax.imshow(image, cmap=cmap, vmin=-limit, vmax=limit, interpolation="nearest")
            else:
                ax.imshow(image, cmap=cmap, vmin=0.0, vmax=limit, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if k == 0:
                ax.set_title(label, loc="left", fontsize=9)
    inset = fig.add_axes((0.01, 0.38, 0.1, 0.2))
    inset.imshow(digit[0, 0], cmap="gray_r", interpolation="nearest")
    inset.set_title(f"the digit ({labels_test[0]})", fontsize=8)
    inset.axis("off")
    fig.suptitle(
        f"The trained network (seed 0) on a held-out digit: each of the {count} kernels of block 1 "
        f"and its response, and block 2's {maps2.shape[1]} responses (after batch norm and ReLU)",
        fontsize=9,
    )
    return fig


#: name (the SVG's file name under figures/) -> the function that draws it
FIGURES: dict[str, Callable[[], Figure]] = {
    "cnn-training": cnn_training,
    "cnn-maps": cnn_maps,
}
