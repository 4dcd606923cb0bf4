"""The figures of the page init.md, drawn by the reference code at build time."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from reference import (
    activations,
    init,
)


def variance_through_depth() -> Figure:
    runs = [
        (
            "tanh, Glorot",
            init.glorot_uniform,
            activations.tanh,
            activations.tanh_backward,
            1.0,
            "tab:blue",
            "-",
        ),
        (
            "tanh, Glorot / 10",
            init.glorot_uniform,
            activations.tanh,
            activations.tanh_backward,
            0.1,
            "tab:blue",
            ":",
        ),
        (
            "tanh, Glorot x 10",
            init.glorot_uniform,
            activations.tanh,
            activations.tanh_backward,
            10.0,
            "tab:blue",
            "--",
        ),
        (
            "ReLU, He",
            init.he_normal,
            activations.relu,
            activations.relu_backward,
            1.0,
            "tab:orange",
            "-",
        ),
        (
            "ReLU, Glorot",
            init.glorot_uniform,
            activations.relu,
            activations.relu_backward,
            1.0,
            "tab:orange",
            ":",
        ),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.0))
    for name, initialiser, forward_fn, backward_fn, scale, colour, style in runs:
        run = init.propagate(
            initialiser, forward_fn, backward_fn, np.random.default_rng(0), scale=scale
        )
        axes[0].semilogy(run.forward, color=colour, ls=style, label=name)
        axes[1].semilogy(np.maximum(run.backward, 1e-300), color=colour, ls=style, label=name)
    layers = np.arange(51)
    axes[0].semilogy(
        layers, 1.0 / (1.0 + 2.0 * layers), color="0.5", lw=0.8, label="mean field 1/(1 + 2l)"
    )
    axes[0].set_title("mean square of the activations, layer by layer", fontsize=9)
    axes[1].set_title(
        "mean square of the gradient, from the output (50) back to the input", fontsize=9
    )
    for ax in axes:
        ax.set_xlabel("layer")
        ax.set_ylim(1e-40, 1e40)
    axes[0].legend(fontsize=7)
    fig.suptitle("50 layers of 256 units: only the right scale keeps the signal alive")
    return fig


#: name (the SVG's file name under figures/) -> the function that draws it
FIGURES: dict[str, Callable[[], Figure]] = {
    "init-depth": variance_through_depth,
}
