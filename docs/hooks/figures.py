"""Figures, drawn when the site is built, by the reference code itself.

Each function below computes what it shows with ``reference`` (or ``numerics``)
and returns a matplotlib figure; the hook renders it to a deterministic SVG
(fixed hash salt, no date, text kept as text) under ``figures/<name>.svg``. A
page shows it with ``![what it shows](figures/<name>.svg)``, so a figure can
never show a result the code no longer gives.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from numerics import gradcheck
from reference import losses, regression

FIGURES: dict[str, Callable[[], Figure]] = {}
STYLE = {
    "svg.hashsalt": "deepref",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


def figure(name: str) -> Callable[[Callable[[], Figure]], Callable[[], Figure]]:
    def register(draw: Callable[[], Figure]) -> Callable[[], Figure]:
        FIGURES[name] = draw
        return draw
    return register


def _houses() -> tuple[np.ndarray, np.ndarray]:
    return regression.house_prices(200, np.random.default_rng(0))


def _standardised_houses() -> tuple[np.ndarray, np.ndarray]:
    X, y = _houses()
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def _path(X: np.ndarray, y: np.ndarray, *, lr: float, batch_size: int,
          epochs: int) -> np.ndarray:
    """(w1, w2) after each epoch; one epoch per call, one generator: the same run as epochs=n."""
    rng = np.random.default_rng(1)
    w, b = np.zeros(X.shape[1]), 0.0
    points = [w.copy()]
    for _ in range(epochs):
        w, b, _ = regression.fit_sgd(X, y, lr=lr, batch_size=batch_size, epochs=1, rng=rng,
                                     w0=w, b0=b)
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


@figure("regression-sgd-path")
def sgd_path() -> Figure:
    X, y = _houses()
    # the same houses in two units: centred, in 100 m2 and in decades; and standardised
    centred = (X - X.mean(axis=0)) / np.array([100.0, 10.0])
    problems = [
        ("area in 100 m², age in decades (centred)", centred, 1.8, (-20.0, 300.0, -40.0, 20.0)),
        ("standardised: mean 0, variance 1", (X - X.mean(axis=0)) / X.std(axis=0), 1.0,
         (-20.0, 160.0, -60.0, 30.0)),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.4))
    for ax, (title, features, rate, span) in zip(axes, problems, strict=True):
        L = regression._largest_curvature(features)
        _contours(ax, features, y, span)
        gd = _path(features, y, lr=rate / L, batch_size=len(y), epochs=25)
        sgd = _path(features, y, lr=0.3 / L, batch_size=10, epochs=25)
        w_star, _ = regression.fit_least_squares(features, y)
        ax.plot(gd[:, 0], gd[:, 1], "o-", color="tab:blue", ms=3, lw=1,
                label=f"gradient descent, lr = {rate:g}/L (one step per marker)")
        ax.plot(sgd[:, 0], sgd[:, 1], "s-", color="tab:orange", ms=3, lw=1,
                label="minibatch SGD, batch 10, lr = 0.3/L (one epoch per marker)")
        ax.plot(*w_star, marker="*", color="crimson", ms=14, ls="none",
                label="analytic minimum (normal equation)")
        ax.set_xlim(span[0], span[1])
        ax.set_ylim(span[2], span[3])
        ax.set_xlabel("$w_1$ (floor area)")
        ax.set_ylabel("$w_2$ (age)")
        ax.set_title(title, fontsize=9)
        ax.legend(loc="lower right", fontsize=7)
    fig.suptitle("25 steps of gradient descent and 25 epochs of SGD from w = 0, "
                 "over the contours of the loss")
    return fig


@figure("regression-learning-rates")
def learning_rates() -> Figure:
    X, y = _standardised_houses()
    L = regression._largest_curvature(X)
    w_star, b_star = regression.fit_least_squares(X, y)
    best = losses.squared_loss(regression.linear(X, w_star, b_star), y)
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for factor, colour in ((0.5, "tab:blue"), (1.0, "tab:green"), (1.9, "tab:purple"),
                           (2.1, "tab:red")):
        _, _, history = regression.fit_sgd(X, y, lr=factor / L, batch_size=len(y), epochs=60,
                                           rng=np.random.default_rng(0))
        gap = np.maximum(history - best, 1e-16)
        ax.semilogy(np.arange(gap.size), gap, color=colour, label=f"lr = {factor}/L")
    ax.set_xlabel("step (full batch: one step per epoch)")
    ax.set_ylabel("loss - smallest loss")
    ax.set_title(f"Gradient descent converges for lr < 2/L and diverges above (L = {L:.3f})")
    ax.legend(fontsize=8, ncol=2)
    return fig


@figure("losses-squared-and-gaussian")
def squared_and_gaussian() -> Figure:
    residual = np.linspace(-4.0, 4.0, 201)
    squared = np.array([losses.squared_loss(np.array([r]), np.zeros(1)) for r in residual])
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.plot(residual, squared, color="black", lw=2, label=r"squared loss $\frac{1}{2} r^2$")
    for sigma, colour in ((1.0, "tab:blue"), (2.0, "tab:orange")):
        nll = squared / sigma**2 + 0.5 * np.log(2 * np.pi * sigma**2)
        ax.plot(residual, nll, color=colour, ls="--",
                label=rf"Gaussian $-\log p$, $\sigma = {sigma:g}$")
    ax.set_xlabel(r"residual $r = \hat y - y$")
    ax.set_ylabel("loss")
    ax.set_title("The Gaussian negative log-likelihood is the squared loss, scaled and shifted")
    ax.legend(fontsize=8)
    return fig


@figure("verification-richardson")
def richardson() -> Figure:
    rng = np.random.default_rng(0)
    X, w, v = rng.standard_normal((6, 3)), rng.standard_normal(3), rng.standard_normal(3)
    y = rng.standard_normal(6)

    def phi(t: float) -> float:
        # a smooth function of one variable: softplus of a linear model, against a target
        return losses.squared_loss(np.logaddexp(0.0, regression.linear(X, w + t * v, 0.1)), y)

    prediction = np.logaddexp(0.0, regression.linear(X, w, 0.1))
    slope = 1.0 / (1.0 + np.exp(-regression.linear(X, w, 0.1)))
    d_prediction = losses.squared_loss_backward(1.0, prediction, y) * slope
    exact = float(regression.linear_backward(d_prediction, X, w, 0.1)[1] @ v)

    exponents = np.arange(1, 41)
    central, extrapolated = [], []
    for e in exponents:
        h = 2.0**-e
        steps = h / 2.0 ** np.arange(gradcheck.LEVELS)
        differences = np.array([(phi(s) - phi(-s)) / (2 * s) for s in steps])
        central.append(abs(differences[0] - exact))
        extrapolated.append(abs(float(gradcheck._extrapolate(differences)[0]) - exact))
    h_values = 2.0**-exponents
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    ax.loglog(h_values, np.maximum(central, 1e-18), "o-", ms=3, label="central difference")
    ax.loglog(h_values, np.maximum(extrapolated, 1e-18), "s-", ms=3,
              label=f"Richardson, {gradcheck.LEVELS} steps h … h/{2 ** (gradcheck.LEVELS - 1)}")
    ax.axvline(gradcheck.STEP, color="crimson", ls=":",
               label="the checker's step $h_0 = 2^{-9}$")
    ax.set_xlabel("step h")
    ax.set_ylabel("error of the derivative")
    ax.set_title("Truncation falls with h, rounding grows as 1/h: the V of finite differences")
    ax.legend(fontsize=8)
    ax.invert_xaxis()
    return fig


def _svg(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue()


def on_files(files: Files, config: MkDocsConfig) -> Files:
    with plt.rc_context(STYLE):
        for name, draw in FIGURES.items():
            files.append(File.generated(config, f"figures/{name}.svg", content=_svg(draw())))
    return files
