"""The figures of the page batchnorm.md, drawn by the reference code at build time."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from _common import trained_cnn
from matplotlib.figure import Figure

from reference import (
    activations,
    batchnorm,
    dense,
    init,
)


def batchnorm_distributions() -> Figure:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 64))
    plain, normalised = x, x
    snapshots = []
    for layer in range(1, 21):
        W = init.uniform((64, 64), rng, scale=0.5)
        plain = activations.tanh(dense.dense(plain, W, np.zeros(64)) + 0.5)
        z = dense.dense(normalised, W, np.zeros(64)) + 0.5
        z, _, _ = batchnorm.batchnorm_train(z, np.ones(64), np.zeros(64))
        normalised = activations.tanh(z)
        if layer in (1, 5, 20):
            snapshots.append((layer, plain[:, 0], normalised[:, 0]))
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.2), sharey=True)
    bins = np.linspace(-1.0, 1.0, 41)
    for ax, (layer, without, with_bn) in zip(axes, snapshots, strict=True):
        ax.hist(without, bins=bins, alpha=0.6, color="tab:red", label="no normalisation")
        ax.hist(with_bn, bins=bins, alpha=0.6, color="tab:blue", label="batch normalisation")
        ax.set_title(f"unit 0 after layer {layer}", fontsize=9)
        ax.set_xlabel("activation")
    axes[0].legend(fontsize=7)
    fig.suptitle(
        "tanh units with weights too large and a bias: without normalisation they saturate at +-1"
    )
    return fig


#: The learning rates of Adam the training figure compares, smallest first.
RATES = (0.001, 0.005, 0.02)


def batchnorm_training() -> Figure:
    fig, axes = plt.subplots(1, len(RATES), figsize=(10.5, 3.4), sharey=True)
    for ax, rate in zip(axes, RATES, strict=True):
        for normalise, color, label in (
            (True, "tab:blue", "batch norm"),
            (False, "tab:red", "none"),
        ):
            result = trained_cnn(lr=rate, normalise=normalise)
            error = 100.0 * (1.0 - result.history[:, 1])
            ax.semilogy(
                np.arange(len(error)),
                np.maximum(error, 0.1),
                color=color,
                lw=1.2,
                label=f"{label}: {100 * result.test_accuracy:.1f} % at the end",
            )
        ax.set_title(f"Adam, learning rate {rate:g}", fontsize=9)
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("held-out error, %")
    fig.suptitle(
        "The digits network of the next page with batch normalisation and without it "
        r"($\gamma z + \beta$ in its place), seed 0",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


#: name (the SVG's file name under figures/) -> the function that draws it
FIGURES: dict[str, Callable[[], Figure]] = {
    "batchnorm-distributions": batchnorm_distributions,
    "batchnorm-training": batchnorm_training,
}
