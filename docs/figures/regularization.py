"""The figures of the page regularization.md, drawn by the reference code at build time."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from reference import (
    init,
    mlp,
    regularization,
)


def _overfit(
    *, weight_decay: float = 0.0, dropout: float = 0.0, epochs: int = 3000
) -> tuple[np.ndarray, np.ndarray]:
    """A 1-64-64-1 tanh network on 20 noisy points of sin: training and validation MSE per step.

    Full-batch Adam (so an epoch is one step) by :func:`reference.mlp.train_regressor`.
    """
    rng = np.random.default_rng(0)
    x_train = np.sort(rng.uniform(-3.0, 3.0, (20, 1)), axis=0)
    y_train = np.sin(x_train) + 0.3 * rng.standard_normal((20, 1))
    x_val = np.linspace(-3.0, 3.0, 200)[:, None]
    sizes = [1, 64, 64, 1]
    params = [(init.glorot_uniform((a, b), rng), np.zeros(b)) for a, b in itertools.pairwise(sizes)]
    _, history = mlp.train_regressor(
        x_train,
        y_train,
        params,
        ["tanh", "tanh", "identity"],
        lr=0.01,
        batch_size=20,
        epochs=epochs,
        rng=rng,
        optimizer="adam",
        weight_decay=weight_decay,
        dropout=dropout,
        validation=(x_val, np.sin(x_val)),
    )
    return history[:, 0], history[:, 1]


def overfitting() -> Figure:
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.0))
    train, val = _overfit()
    best, stop = regularization.early_stopping(val, patience=200)
    ax = axes[0]
    ax.semilogy(train, color="tab:blue", label="training")
    ax.semilogy(val, color="tab:orange", label="validation")
    ax.axvline(best, color="tab:green", ls="--", label=f"best validation: step {best}")
    ax.axvline(stop, color="crimson", ls=":", label=f"early stopping (patience 200): {stop}")
    ax.set_xlabel("step (full batch, Adam)")
    ax.set_ylabel("mean squared error")
    ax.set_title(
        "20 noisy points, 4 353 weights: the training error keeps falling, "
        "the validation error turns",
        fontsize=9,
    )
    ax.legend(fontsize=7)
    ax = axes[1]
    for name, options, colour in (
        ("none", {}, "tab:orange"),
        ("weight decay, lambda = 1e-2", {"weight_decay": 1e-2}, "tab:purple"),
        ("dropout, p = 0.2", {"dropout": 0.2}, "tab:green"),
    ):
        _, curve = (train, val) if not options else _overfit(**options)
        ax.semilogy(curve, color=colour, label=f"{name}: final {curve[-1]:.3f}")
    ax.set_xlabel("step")
    ax.set_ylabel("validation mean squared error")
    ax.set_title("the same network, regularised", fontsize=9)
    ax.legend(fontsize=7)
    return fig


#: name (the SVG's file name under figures/) -> the function that draws it
FIGURES: dict[str, Callable[[], Figure]] = {
    "regularization-overfitting": overfitting,
}
