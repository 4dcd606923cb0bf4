"""The figures of the page activations.md, drawn by the reference code at build time."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from reference import (
    activations,
)


def activation_functions() -> Figure:
    x = np.linspace(-5.0, 5.0, 1001)
    curves = [
        ("step", activations.step(x), activations.step_backward(np.ones_like(x), x)),
        ("sigmoid", activations.sigmoid(x), activations.sigmoid_backward(np.ones_like(x), x)),
        ("tanh", activations.tanh(x), activations.tanh_backward(np.ones_like(x), x)),
        ("relu", activations.relu(x), activations.relu_backward(np.ones_like(x), x)),
        (
            "leaky_relu, alpha = 0.1",
            activations.leaky_relu(x, alpha=0.1),
            activations.leaky_relu_backward(np.ones_like(x), x, alpha=0.1),
        ),
    ]
    fig, axes = plt.subplots(2, len(curves), figsize=(11.5, 4.6), sharex=True)
    for column, (name, value, slope) in enumerate(curves):
        axes[0, column].plot(x, value, color="tab:blue")
        axes[0, column].set_title(name, fontsize=9)
        axes[1, column].plot(x, slope, color="tab:orange")
        axes[1, column].set_xlabel("x")
        axes[1, column].set_ylim(-0.1, 1.1)
    axes[0, 0].set_ylabel("f(x)")
    axes[1, 0].set_ylabel("f'(x), from the backward")
    axes[1, 1].axhline(0.25, color="0.5", ls=":", lw=0.8)
    fig.suptitle("The activations (top) and the slopes their backwards return (bottom)")
    return fig


#: name (the SVG's file name under figures/) -> the function that draws it
FIGURES: dict[str, Callable[[], Figure]] = {
    "activations": activation_functions,
}
