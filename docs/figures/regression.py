"""The figures of the page regression.md, drawn by the reference code at build time."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from reference import (
    losses,
    regression,
)


def _houses() -> tuple[np.ndarray, np.ndarray]:
    return regression.house_prices(200, np.random.default_rng(0))


def _standardised_houses() -> tuple[np.ndarray, np.ndarray]:
    X, y = _houses()
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def _path(X: np.ndarray, y: np.ndarray, *, lr: float, batch_size: int, epochs: int) -> np.ndarray:
    """(w1, w2) after each epoch; one epoch per call, one generator: the same run as epochs=n."""
    rng = np.random.default_rng(1)
    w, b = np.zeros(X.shape[1]), 0.0
    points = [w.copy()]
    for _ in range(epochs):
        w, b, _ = regression.fit_sgd(
            X, y, lr=lr, batch_size=batch_size, epochs=1, rng=rng, w0=w, b0=b
        )
        points.append(w.copy())
    return np.array(points)


def _contours(ax: plt.Axes, X: np.ndarray, y: np.ndarray, span: tuple[float, ...]) -> None:
    """Contours of the loss over (w1, w2), the bias at its best for each pair."""
    w1 = np.linspace(span[0], span[1], 121)
    w2 = np.linspace(span[2], span[3], 121)
    loss = np.empty((w2.size, w1.size))
    for i, second in enumerate(w2):
        for j, first in enumerate(w1):
            w = np.array([first, second])
            # the best bias for these weights: mean(y) - mean(x) . w
            loss[i, j] = losses.squared_loss(regression.linear(X, w, y.mean() - X.mean(0) @ w), y)
    lowest = loss.min()
    levels = lowest + (loss.max() - lowest) * np.geomspace(1e-3, 0.6, 10)
    ax.contour(w1, w2, loss, levels=levels, colors="0.6", linewidths=0.8)


def sgd_path() -> Figure:
    X, y = _houses()
    # the same houses in two units: centred, in 100 m2 and in decades; and standardised
    centred = (X - X.mean(axis=0)) / np.array([100.0, 10.0])
    problems = [
        ("area in 100 m², age in decades (centred)", centred, 1.8, (-20.0, 300.0, -40.0, 20.0)),
        (
            "standardised: mean 0, variance 1",
            (X - X.mean(axis=0)) / X.std(axis=0),
            1.0,
            (-20.0, 160.0, -60.0, 30.0),
        ),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.4))
    for ax, (title, features, rate, span) in zip(axes, problems, strict=True):
        L = regression.largest_curvature(features)
        _contours(ax, features, y, span)
        gd = _path(features, y, lr=rate / L, batch_size=len(y), epochs=25)
        sgd = _path(features, y, lr=0.3 / L, batch_size=10, epochs=25)
        w_star, _ = regression.fit_least_squares(features, y)
        ax.plot(
            gd[:, 0],
            gd[:, 1],
            "o-",
            color="tab:blue",
            ms=3,
            lw=1,
            label=f"gradient descent, lr = {rate:g}/λ_max (one step per marker)",
        )
        ax.plot(
            sgd[:, 0],
            sgd[:, 1],
            "s-",
            color="tab:orange",
            ms=3,
            lw=1,
            label="minibatch SGD, batch 10, lr = 0.3/λ_max (one epoch per marker)",
        )
        ax.plot(
            *w_star,
            marker="*",
            color="crimson",
            ms=14,
            ls="none",
            label="analytic minimum (normal equation)",
        )
        ax.set_xlim(span[0], span[1])
        ax.set_ylim(span[2], span[3])
        ax.set_xlabel("$w_1$ (floor area)")
        ax.set_ylabel("$w_2$ (age)")
        ax.set_title(title, fontsize=9)
        ax.legend(loc="lower right", fontsize=7)
    fig.suptitle(
        "25 steps of gradient descent and 25 epochs of SGD from w = 0, "
        "over the contours of the loss"
    )
    return fig


def learning_rates() -> Figure:
    X, y = _standardised_houses()
    L = regression.largest_curvature(X)
    w_star, b_star = regression.fit_least_squares(X, y)
    best = losses.squared_loss(regression.linear(X, w_star, b_star), y)
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for factor, colour in (
        (0.5, "tab:blue"),
        (1.0, "tab:green"),
        (1.9, "tab:purple"),
        (2.1, "tab:red"),
    ):
        _, _, history = regression.fit_sgd(
            X, y, lr=factor / L, batch_size=len(y), epochs=60, rng=np.random.default_rng(0)
        )
        gap = np.maximum(history - best, 1e-16)
        ax.semilogy(np.arange(gap.size), gap, color=colour, label=f"lr = {factor}/λ_max")
    ax.set_xlabel("step (full batch: one step per epoch)")
    ax.set_ylabel("loss - smallest loss")
    ax.set_title(
        f"Gradient descent converges for lr < 2/λ_max and diverges above (λ_max = {L:.3f})"
    )
    ax.legend(fontsize=8, ncol=2)
    return fig


#: name (the SVG's file name under figures/) -> the function that draws it
FIGURES: dict[str, Callable[[], Figure]] = {
    "regression-sgd-path": sgd_path,
    "regression-learning-rates": learning_rates,
}
