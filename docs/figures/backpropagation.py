"""The figures of the page backpropagation.md, drawn by the reference code at build time."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from reference import (
    activations,
    mlp,
)
from reference.digits import load_digits_split, train_digit_network


def digits_result() -> Figure:
    result = train_digit_network()
    _, _, X_test, labels_test = load_digits_split()
    wrong = np.flatnonzero(result.test_predictions != labels_test)
    fig = plt.figure(figsize=(10.5, 4.0))
    ax = fig.add_subplot(1, 2, 1)
    ax.semilogy(np.arange(result.losses.size), result.losses, color="tab:blue")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training cross-entropy")
    ax.set_title(
        f"64-64-10 tanh network: {100 * result.test_accuracy:.1f} % right on 500 held-out digits",
        fontsize=9,
    )
    columns = 6
    rows = int(np.ceil(len(wrong) / columns))
    grid = fig.add_gridspec(
        rows, columns, left=0.55, right=0.98, top=0.88, bottom=0.05, hspace=0.6, wspace=0.15
    )
    for k, index in enumerate(wrong):
        cell = fig.add_subplot(grid[k // columns, k % columns])
        cell.imshow(X_test[index].reshape(8, 8), cmap="gray_r", interpolation="nearest")
        cell.set_title(f"{result.test_predictions[index]} (is {labels_test[index]})", fontsize=7)
        cell.axis("off")
    fig.text(
        0.76, 0.95, f"All {len(wrong)} it gets wrong: predicted (true)", ha="center", fontsize=9
    )
    return fig


def sine_fit() -> Figure:
    x = np.linspace(-np.pi, np.pi, 201)[:, None]
    rng = np.random.default_rng(0)
    params = [
        (rng.standard_normal((1, 10)), rng.standard_normal(10)),
        (rng.standard_normal((10, 1)) / np.sqrt(10), np.zeros(1)),
    ]
    names = ["tanh", "identity"]
    trained, _ = mlp.train_regressor(
        x, np.sin(x), params, names, lr=0.2, batch_size=16, epochs=300, rng=rng
    )
    fit = mlp.mlp_forward(x, trained, names)
    hidden = activations.tanh(x @ trained[0][0] + trained[0][1]) * trained[1][0][:, 0]
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.6))
    axes[0].plot(x, np.sin(x), color="black", lw=2, label="sin x")
    axes[0].plot(x, fit, color="tab:orange", ls="--", label="10 tanh units")
    axes[0].set_title(f"Maximum error {np.max(np.abs(fit - np.sin(x))):.3f}", fontsize=9)
    axes[0].legend(fontsize=8)
    axes[1].plot(x, hidden, lw=1)
    axes[1].set_title("The ten weighted units whose sum (plus a bias) is the fit", fontsize=9)
    for ax in axes:
        ax.set_xlabel("x")
    return fig


def training_memory() -> Figure:
    width = 256
    depths = np.arange(1, 21)
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for batch, colour in ((32, "tab:blue"), (128, "tab:orange"), (512, "tab:green")):
        x = np.zeros((batch, width))
        kept, predicting = [], []
        for depth in depths:
            params = [(np.zeros((width, width)), np.zeros(width))] * int(depth)
            cache = mlp.mlp_forward_cache(x, params, ["relu"] * int(depth))
            kept.append(sum(a.nbytes + z.nbytes for a, z in cache) / 2**20)
            predicting.append(2 * x.nbytes / 2**20)
        ax.plot(depths, kept, "o-", ms=3, color=colour, label=f"training, batch {batch}")
        ax.plot(depths, predicting, ":", color=colour, label=f"prediction, batch {batch}")
    ax.set_xlabel(f"depth (layers of {width} units)")
    ax.set_ylabel("activations held (MiB, float64)")
    ax.set_title(
        "Training keeps every layer's input and pre-activation for the backward", fontsize=9
    )
    ax.legend(fontsize=7, ncol=2)
    return fig


#: name (the SVG's file name under figures/) -> the function that draws it
FIGURES: dict[str, Callable[[], Figure]] = {
    "backpropagation-digits": digits_result,
    "backpropagation-sine": sine_fit,
    "backpropagation-memory": training_memory,
}
