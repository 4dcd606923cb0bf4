"""The figures of the page optim.md, drawn by the reference code at build time."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from reference import (
    optim,
)


def _two_weight_loss(w: np.ndarray) -> tuple[float, np.ndarray]:
    """A long narrow valley, tilted: L = (w1 + w2 - 1)^2 / 2 + 10 (w1 - w2)^2 / 2 + 0.1 w2."""
    along, across = w[0] + w[1] - 1.0, w[0] - w[1]
    loss = 0.5 * along**2 + 5.0 * across**2 + 0.1 * w[1]
    grad = np.array([along + 10.0 * across, along - 10.0 * across + 0.1])
    return float(loss), grad


#: The six rules of the left panel, each with the settings it is shown with.
STEPS = {
    "SGD": optim.optimizer("sgd", lr=0.05),
    "momentum": optim.optimizer("momentum", lr=0.05, beta=0.8),
    "Nesterov": optim.optimizer("nesterov", lr=0.05, beta=0.8),
    "Adagrad": optim.optimizer("adagrad", lr=0.5),
    "RMSProp": optim.optimizer("rmsprop", lr=0.05, rho=0.9),
    "Adam": optim.optimizer("adam", lr=0.1),
}


def optimizer_paths() -> Figure:
    colours = ["black", "tab:blue", "tab:cyan", "tab:green", "tab:purple", "tab:orange"]
    w1, w2 = np.meshgrid(np.linspace(-2.2, 2.2, 161), np.linspace(-2.2, 2.2, 161))
    grid = np.array(
        [
            [_two_weight_loss(np.array([a, b]))[0] for a, b in zip(r1, r2, strict=True)]
            for r1, r2 in zip(w1, w2, strict=True)
        ]
    )
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.6))
    ax = axes[0]
    ax.contour(w1, w2, grid, levels=np.geomspace(0.05, 40, 14) - 0.2, colors="0.75", linewidths=0.7)
    for (name, step), colour in zip(STEPS.items(), colours, strict=True):
        path, _ = optim.minimize(_two_weight_loss, np.array([-2.0, 1.5]), step, steps=60)
        ax.plot(path[:, 0], path[:, 1], "o-", ms=2, lw=1, color=colour, label=name)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_aspect("equal")
    ax.set_title("60 steps from (-2, 1.5) over the contours of a narrow valley", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")

    def plateau(w: np.ndarray) -> tuple[float, np.ndarray]:
        d = w - 5.0
        return float(np.sum(1e-4 * d**2 - np.exp(-(d**2)))), 2e-4 * d + 2.0 * d * np.exp(-(d**2))

    ax = axes[1]
    line = np.linspace(-6.0, 9.0, 400)
    ax.plot(line, [plateau(np.array([v]))[0] for v in line], color="0.6", lw=1)
    for name, stepper, colour in (
        ("gradient descent", optim.optimizer("sgd", lr=1.0), "black"),
        ("momentum, beta = 0.95", optim.optimizer("momentum", lr=1.0, beta=0.95), "tab:blue"),
    ):
        path, losses_ = optim.minimize(plateau, np.array([-5.0]), stepper, steps=400)
        ax.plot(
            path[::8, 0],
            losses_[::8],
            "o",
            ms=3,
            color=colour,
            label=f"{name}: ends at w = {path[-1, 0]:.2f}",
        )
    ax.set_xlabel("w")
    ax.set_ylabel("loss")
    ax.set_title("400 steps with lr = 1 from w = -5: the ball rolls across the plateau", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    return fig


#: name (the SVG's file name under figures/) -> the function that draws it
FIGURES: dict[str, Callable[[], Figure]] = {
    "optim-paths": optimizer_paths,
}
