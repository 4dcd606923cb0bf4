"""The figures of the page perceptron.md, drawn by the reference code at build time."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from reference import (
    perceptron,
)

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def _regions(
    ax: plt.Axes, predict: Callable[[np.ndarray], np.ndarray], targets: np.ndarray, title: str
) -> None:
    """Shade where a 0/1 classifier of the plane fires, and mark the four corners."""
    grid = np.linspace(-0.25, 1.25, 301)
    g1, g2 = np.meshgrid(grid, grid)
    fired = predict(np.column_stack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
    ax.contourf(g1, g2, fired, levels=[-0.5, 0.5, 1.5], colors=["#f2f2f2", "#cfe0f7"])
    for (x1, x2), target in zip(CORNERS, targets, strict=True):
        ax.plot(
            x1,
            x2,
            "o" if target else "x",
            color="tab:blue" if target else "crimson",
            ms=10,
            mew=2,
            mfc="tab:blue" if target else "none",
        )
    ax.set_xlim(-0.25, 1.25)
    ax.set_ylim(-0.25, 1.25)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title, fontsize=9)


def and_and_xor() -> Figure:
    w, b = perceptron.and_neuron()
    layers = perceptron.xor_network()
    fig = plt.figure(figsize=(10.5, 3.8))
    ax = fig.add_subplot(1, 3, 1)
    _regions(
        ax,
        lambda x: perceptron.threshold_unit(x, w, b),
        np.array([0, 0, 0, 1]),
        "AND: one unit, the line $0.5x_1 + 0.5x_2 = 0.8$",
    )
    ax = fig.add_subplot(1, 3, 2)
    _regions(
        ax,
        lambda x: perceptron.threshold_network(x, layers)[:, 0],
        np.array([0, 1, 1, 0]),
        "XOR: two layers; no single line separates it",
    )

    ax3 = fig.add_subplot(1, 3, 3, projection="3d")
    lifted = perceptron.threshold_network(CORNERS, layers[:1])
    normal, offset = layers[1][0][:, 0], -layers[1][1][0]
    plane_x1, plane_x2 = np.meshgrid(np.linspace(0, 1, 2), np.linspace(0, 1, 2))
    plane_h = (normal[0] * plane_x1 + normal[1] * plane_x2 - offset) / -normal[2]
    ax3.plot_surface(plane_x1, plane_x2, plane_h, alpha=0.25, color="tab:orange")
    for (x1, x2, h), target in zip(lifted, [0, 1, 1, 0], strict=True):
        ax3.scatter(
            [x1],
            [x2],
            [h],
            s=60,
            marker="o" if target else "x",
            color="tab:blue" if target else "crimson",
        )
    ax3.set_xlabel("$x_1$")
    ax3.set_ylabel("$x_2$")
    ax3.set_zlabel("$h$ = AND")
    ax3.set_title(
        "Lifted by the hidden unit: the plane\n$x_1 + x_2 - 2h = 0.5$ separates XOR", fontsize=9
    )
    ax3.view_init(elev=18, azim=-60)
    return fig


def perceptron_learning() -> Figure:
    rng = np.random.default_rng(3)
    unit = np.array([1.0, -0.6, 0.2])
    unit /= np.linalg.norm(unit)
    X = rng.uniform(-2.0, 2.0, (300, 2))
    score = np.hstack([X, np.ones((300, 1))]) @ unit
    keep = np.abs(score) > 0.15
    X, y = X[keep], (score[keep] > 0).astype(np.float64)
    margin = float(np.min(np.abs(score[keep])))
    radius = float(np.max(np.linalg.norm(np.hstack([X, np.ones((len(X), 1))]), axis=1)))
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.0))
    ax = axes[0]
    ax.scatter(*X[y == 1].T, s=8, color="tab:blue", label="target 1")
    ax.scatter(*X[y == 0].T, s=8, color="crimson", marker="x", label="target 0")
    line = np.linspace(-2, 2, 2)
    mistakes = []
    for seed in range(20):
        result = perceptron.perceptron_learn(X, y, max_epochs=1000, rng=np.random.default_rng(seed))
        mistakes.append(result.mistakes)
        w, b = result.weights, result.bias
        ax.plot(line, -(w[0] * line + b) / w[1], color="0.4", lw=0.6, alpha=0.6)
    ax.set_xlim(-2, 2)
    ax.set_ylim(-2, 2)
    ax.set_aspect("equal")
    ax.set_title(
        f"{len(X)} points, margin $\\gamma$ = {margin:.2f}: twenty runs, twenty lines", fontsize=9
    )
    ax.legend(fontsize=7, loc="lower left")
    ax = axes[1]
    ax.hist(mistakes, bins=10, color="tab:blue")
    ax.axvline(
        (radius / margin) ** 2,
        color="crimson",
        ls="--",
        label=f"Novikoff's bound $(R/\\gamma)^2$ = {(radius / margin) ** 2:.0f}",
    )
    ax.set_xlabel("mistakes until convergence (20 random orders)")
    ax.set_ylabel("runs")
    ax.legend(fontsize=8)
    ax.set_title("Every run stops, far below the bound", fontsize=9)
    return fig


#: name (the SVG's file name under figures/) -> the function that draws it
FIGURES: dict[str, Callable[[], Figure]] = {
    "perceptron-and-xor": and_and_xor,
    "perceptron-learning": perceptron_learning,
}
