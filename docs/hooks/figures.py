"""Figures, drawn when the site is built, by the reference code itself.

Each function below computes what it shows with ``reference`` (or ``numerics``)
and returns a matplotlib figure; the hook renders it to a deterministic SVG
(fixed hash salt, no date, text kept as text) under ``figures/<name>.svg``. A
page shows it with ``![what it shows](figures/<name>.svg)``, so a figure can
never show a result the code no longer gives.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from numerics import gradcheck
from reference import (
    activations,
    batchnorm,
    conv,
    dense,
    init,
    losses,
    mlp,
    optim,
    perceptron,
    pooling,
    regression,
    regularization,
)
from reference.digits import load_digits_split, train_digit_network

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


CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def _regions(ax: plt.Axes, predict: Callable[[np.ndarray], np.ndarray], targets: np.ndarray,
             title: str) -> None:
    """Shade where a 0/1 classifier of the plane fires, and mark the four corners."""
    grid = np.linspace(-0.25, 1.25, 301)
    g1, g2 = np.meshgrid(grid, grid)
    fired = predict(np.column_stack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
    ax.contourf(g1, g2, fired, levels=[-0.5, 0.5, 1.5], colors=["#f2f2f2", "#cfe0f7"])
    for (x1, x2), target in zip(CORNERS, targets, strict=True):
        ax.plot(x1, x2, "o" if target else "x", color="tab:blue" if target else "crimson",
                ms=10, mew=2, mfc="tab:blue" if target else "none")
    ax.set_xlim(-0.25, 1.25)
    ax.set_ylim(-0.25, 1.25)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title, fontsize=9)


@figure("perceptron-and-xor")
def and_and_xor() -> Figure:
    w, b = perceptron.and_neuron()
    layers = perceptron.xor_network()
    fig = plt.figure(figsize=(10.5, 3.8))
    ax = fig.add_subplot(1, 3, 1)
    _regions(ax, lambda x: perceptron.threshold_unit(x, w, b), np.array([0, 0, 0, 1]),
             "AND: one unit, the line $0.5x_1 + 0.5x_2 = 0.8$")
    ax = fig.add_subplot(1, 3, 2)
    _regions(ax, lambda x: perceptron.threshold_network(x, layers)[:, 0],
             np.array([0, 1, 1, 0]), "XOR: two layers; no single line separates it")

    ax3 = fig.add_subplot(1, 3, 3, projection="3d")
    lifted = perceptron.threshold_network(CORNERS, layers[:1])
    normal, offset = layers[1][0][:, 0], -layers[1][1][0]
    plane_x1, plane_x2 = np.meshgrid(np.linspace(0, 1, 2), np.linspace(0, 1, 2))
    plane_h = (normal[0] * plane_x1 + normal[1] * plane_x2 - offset) / -normal[2]
    ax3.plot_surface(plane_x1, plane_x2, plane_h, alpha=0.25, color="tab:orange")
    for (x1, x2, h), target in zip(lifted, [0, 1, 1, 0], strict=True):
        ax3.scatter([x1], [x2], [h], s=60, marker="o" if target else "x",
                    color="tab:blue" if target else "crimson")
    ax3.set_xlabel("$x_1$")
    ax3.set_ylabel("$x_2$")
    ax3.set_zlabel("$h$ = AND")
    ax3.set_title("Lifted by the hidden unit: the plane\n$x_1 + x_2 - 2h = 0.5$ separates XOR",
                  fontsize=9)
    ax3.view_init(elev=18, azim=-60)
    return fig


@figure("perceptron-learning")
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
        result = perceptron.perceptron_learn(X, y, max_epochs=1000,
                                             rng=np.random.default_rng(seed))
        mistakes.append(result.mistakes)
        w, b = result.weights, result.bias
        ax.plot(line, -(w[0] * line + b) / w[1], color="0.4", lw=0.6, alpha=0.6)
    ax.set_xlim(-2, 2)
    ax.set_ylim(-2, 2)
    ax.set_aspect("equal")
    ax.set_title(f"{len(X)} points, margin $\\gamma$ = {margin:.2f}: twenty runs, twenty lines",
                 fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    ax = axes[1]
    ax.hist(mistakes, bins=10, color="tab:blue")
    ax.axvline((radius / margin) ** 2, color="crimson", ls="--",
               label=f"Novikoff's bound $(R/\\gamma)^2$ = {(radius / margin) ** 2:.0f}")
    ax.set_xlabel("mistakes until convergence (20 random orders)")
    ax.set_ylabel("runs")
    ax.legend(fontsize=8)
    ax.set_title("Every run stops, far below the bound", fontsize=9)
    return fig


@figure("activations")
def activation_functions() -> Figure:
    x = np.linspace(-5.0, 5.0, 1001)
    curves = [
        ("step", activations.step(x), activations.step_backward(np.ones_like(x), x)),
        ("sigmoid", activations.sigmoid(x), activations.sigmoid_backward(np.ones_like(x), x)),
        ("tanh", activations.tanh(x), activations.tanh_backward(np.ones_like(x), x)),
        ("relu", activations.relu(x), activations.relu_backward(np.ones_like(x), x)),
        ("leaky_relu, alpha = 0.1", activations.leaky_relu(x, alpha=0.1),
         activations.leaky_relu_backward(np.ones_like(x), x, alpha=0.1)),
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


@figure("losses-classification")
def classification_losses() -> Figure:
    z = np.linspace(-5.0, 5.0, 401)
    ones = np.ones(1)
    zero_one = [losses.zero_one_loss(np.array([[0.0, m]]), np.array([1])) for m in z]
    bce = [losses.binary_cross_entropy_with_logits(np.array([m]), ones) for m in z]
    squared = [losses.squared_error(activations.sigmoid(np.array([m])), ones) for m in z]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.plot(z, zero_one, color="black", lw=2, label="zero-one loss (the error)")
    ax.plot(z, bce, color="tab:blue", label=r"cross-entropy $-\log\sigma(z)$")
    ax.plot(z, squared, color="tab:orange", ls="--", label=r"squared error $(1 - \sigma(z))^2$")
    ax.set_xlabel("score margin z of the right class (logit)")
    ax.set_ylabel("loss of one example")
    ax.set_title("Cross-entropy is a smooth, convex upper bound on the error (over log 2)",
                 fontsize=9)
    ax.legend(fontsize=8)
    return fig


@figure("backpropagation-digits")
def digits_result() -> Figure:
    result = train_digit_network()
    _, _, X_test, labels_test = load_digits_split()
    wrong = np.flatnonzero(result.test_predictions != labels_test)
    fig = plt.figure(figsize=(10.5, 4.0))
    ax = fig.add_subplot(1, 2, 1)
    ax.semilogy(np.arange(result.losses.size), result.losses, color="tab:blue")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training cross-entropy")
    ax.set_title(f"64-64-10 tanh network: {100 * result.test_accuracy:.1f} % right on 500 "
                 f"held-out digits", fontsize=9)
    columns = 6
    rows = int(np.ceil(len(wrong) / columns))
    grid = fig.add_gridspec(rows, columns, left=0.55, right=0.98, top=0.88, bottom=0.05,
                            hspace=0.6, wspace=0.15)
    for k, index in enumerate(wrong):
        cell = fig.add_subplot(grid[k // columns, k % columns])
        cell.imshow(X_test[index].reshape(8, 8), cmap="gray_r", interpolation="nearest")
        cell.set_title(f"{result.test_predictions[index]} (is {labels_test[index]})", fontsize=7)
        cell.axis("off")
    fig.text(0.76, 0.95, f"All {len(wrong)} it gets wrong: predicted (true)", ha="center",
             fontsize=9)
    return fig


@figure("backpropagation-sine")
def sine_fit() -> Figure:
    x = np.linspace(-np.pi, np.pi, 201)[:, None]
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal((1, 10)), rng.standard_normal(10)),
              (rng.standard_normal((10, 1)) / np.sqrt(10), np.zeros(1))]
    names = ["tanh", "identity"]
    trained, _ = mlp.train_regressor(x, np.sin(x), params, names, lr=0.2, batch_size=16,
                                     epochs=300, rng=rng)
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


@figure("backpropagation-memory")
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
    ax.set_title("Training keeps every layer's input and pre-activation for the backward",
                 fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    return fig


def _grid(ax: plt.Axes, values: np.ndarray, title: str, *, highlight: tuple[int, int, int, int]
          | None = None, padded: int = 0, cmap: str = "Blues") -> None:
    """A small array as a grid of numbered cells, one rectangle highlighted (row, col, h, w)."""
    ax.imshow(values, cmap=cmap, vmin=values.min() - 1, vmax=values.max() + 1)
    for (i, j), value in np.ndenumerate(values):
        outside = padded and (i < padded or j < padded or i >= values.shape[0] - padded
                              or j >= values.shape[1] - padded)
        ax.text(j, i, f"{value:g}", ha="center", va="center", fontsize=8,
                color="0.6" if outside else "black")
    if highlight is not None:
        row, col, height, width = highlight
        ax.add_patch(plt.Rectangle((col - 0.5, row - 0.5), width, height, fill=False,
                                   edgecolor="crimson", lw=2.5))
    ax.set_xticks(np.arange(values.shape[1] + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(values.shape[0] + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", lw=1.5)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title, fontsize=9)


@figure("convolution-sliding")
def kernel_sliding() -> Figure:
    image = np.array([[1, 2, 0, 1, 3], [0, 1, 3, 2, 1], [2, 1, 0, 1, 0], [1, 3, 1, 0, 2],
                      [0, 2, 1, 1, 1]], dtype=np.float64)
    kernel = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=np.float64)
    valid = conv.conv2d(image[None, None], kernel[None, None])[0, 0]
    same = conv.conv2d(image[None, None], kernel[None, None], padding="same")[0, 0]
    fig, axes = plt.subplots(1, 5, figsize=(12.0, 3.0),
                             gridspec_kw={"width_ratios": [5, 3, 3, 7, 5]})
    _grid(axes[0], image, "5x5 image", highlight=(1, 2, 3, 3))
    _grid(axes[1], kernel, "3x3 kernel", cmap="Oranges")
    _grid(axes[2], valid, "valid: 3x3 map", highlight=(1, 2, 1, 1), cmap="Greens")
    _grid(axes[3], np.pad(image, 1), "same: zero padding", highlight=(0, 0, 3, 3), padded=1)
    _grid(axes[4], same, "same: 5x5 map", highlight=(0, 0, 1, 1), cmap="Greens")
    fig.suptitle("Each output is the sum of the kernel times the patch under it "
                 "(red: one patch and its output)", y=1.08)
    return fig


def _photograph() -> np.ndarray:
    """The sample photograph that ships with scikit-learn, grey, half its size, in [0, 1]."""
    from sklearn.datasets import load_sample_image

    colour = load_sample_image("china.jpg").astype(np.float64) / 255.0
    grey = colour @ np.array([0.299, 0.587, 0.114])
    # average pooling 2x2: the reference shrinking the photograph itself
    return pooling.avg_pool2d(grey[None, None], 2)[0, 0]


EDGE_KERNELS = {
    "vertical edges (Sobel)": np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]),
    "horizontal edges (Sobel)": np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]]),
    "blur (3x3 mean)": np.full((3, 3), 1.0 / 9.0),
}


@figure("convolution-photograph")
def photograph_maps() -> Figure:
    image = _photograph()
    kernels = np.array(list(EDGE_KERNELS.values()))[:, None]
    maps = conv.conv2d(image[None, None], kernels, padding="same")[0]
    fig, axes = plt.subplots(1, 4, figsize=(12.0, 2.9))
    axes[0].imshow(image, cmap="gray")
    axes[0].set_title(f"input, {image.shape[0]}x{image.shape[1]}", fontsize=9)
    for ax, name, feature in zip(axes[1:], EDGE_KERNELS, maps, strict=True):
        ax.imshow(np.abs(feature) if "edges" in name else feature, cmap="gray")
        ax.set_title(name, fontsize=9)
    for ax in axes:
        ax.axis("off")
    fig.suptitle("One convolution, three 3x3 kernels: three feature maps of a photograph "
                 "(edges shown as |value|)")
    return fig


@figure("pooling-windows")
def pooling_windows() -> Figure:
    x = np.array([[1.0, 3.0, 2.0, 0.0], [4.0, 2.0, 1.0, 1.0], [0.0, 1.0, 5.0, 6.0],
                  [2.0, 1.0, 7.0, 8.0]])
    batch = x[None, None]
    results = [("max", pooling.max_pool2d(batch, 2)), ("average", pooling.avg_pool2d(batch, 2)),
               ("L2: sqrt of the sum of squares", pooling.lp_pool2d(batch, 2, p=2.0))]
    gradient = pooling.max_pool2d_backward(np.ones((1, 1, 2, 2)), batch, 2)[0, 0]
    fig, axes = plt.subplots(1, 5, figsize=(12.0, 2.8))
    _grid(axes[0], x, "4x4 map, 2x2 windows", highlight=(0, 0, 2, 2))
    for ax, (name, value) in zip(axes[1:4], results, strict=True):
        _grid(ax, np.round(value[0, 0], 2), name, highlight=(0, 0, 1, 1), cmap="Greens")
    _grid(axes[4], gradient, "max's gradient: routed", cmap="Oranges")
    return fig


@figure("pooling-photograph")
def pooled_photograph() -> Figure:
    image = _photograph()
    edges = np.abs(conv.conv2d(image[None, None], EDGE_KERNELS["vertical edges (Sobel)"][None,
                                                                                        None],
                               padding="same"))
    fig, axes = plt.subplots(1, 4, figsize=(12.0, 2.9))
    axes[0].imshow(edges[0, 0], cmap="gray")
    axes[0].set_title(f"vertical edges, {edges.shape[2]}x{edges.shape[3]}", fontsize=9)
    for ax, (name, pooled) in zip(axes[1:], (
            ("max", pooling.max_pool2d(edges, 4)), ("average", pooling.avg_pool2d(edges, 4)),
            ("L2", pooling.lp_pool2d(edges, 4, p=2.0))), strict=True):
        ax.imshow(pooled[0, 0], cmap="gray")
        ax.set_title(f"{name} pooling 4x4: {pooled.shape[2]}x{pooled.shape[3]}", fontsize=9)
    for ax in axes:
        ax.axis("off")
    fig.suptitle("Pooling keeps where the features are, roughly, at a sixteenth of the pixels")
    return fig


@figure("initialization-depth")
def variance_through_depth() -> Figure:
    runs = [
        ("tanh, Glorot", init.glorot_uniform, activations.tanh, activations.tanh_backward, 1.0,
         "tab:blue", "-"),
        ("tanh, Glorot / 10", init.glorot_uniform, activations.tanh, activations.tanh_backward,
         0.1, "tab:blue", ":"),
        ("tanh, Glorot x 10", init.glorot_uniform, activations.tanh, activations.tanh_backward,
         10.0, "tab:blue", "--"),
        ("ReLU, He", init.he_normal, activations.relu, activations.relu_backward, 1.0,
         "tab:orange", "-"),
        ("ReLU, Glorot", init.glorot_uniform, activations.relu, activations.relu_backward, 1.0,
         "tab:orange", ":"),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.0))
    for name, initialiser, forward_fn, backward_fn, scale, colour, style in runs:
        run = init.propagate(initialiser, forward_fn, backward_fn, np.random.default_rng(0),
                             scale=scale)
        axes[0].semilogy(run.forward, color=colour, ls=style, label=name)
        axes[1].semilogy(np.maximum(run.backward, 1e-300), color=colour, ls=style, label=name)
    layers = np.arange(51)
    axes[0].semilogy(layers, 1.0 / (1.0 + 2.0 * layers), color="0.5", lw=0.8,
                     label="mean field 1/(1 + 2l)")
    axes[0].set_title("mean square of the activations, layer by layer", fontsize=9)
    axes[1].set_title("mean square of the gradient, from the output (50) back to the input",
                      fontsize=9)
    for ax in axes:
        ax.set_xlabel("layer")
        ax.set_ylim(1e-40, 1e40)
    axes[0].legend(fontsize=7)
    fig.suptitle("50 layers of 256 units: only the right scale keeps the signal alive")
    return fig


@figure("batchnorm-distributions")
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
    fig.suptitle("tanh units with weights too large and a bias: without normalisation they "
                 "saturate at +-1")
    return fig


def _two_weight_loss(w: np.ndarray) -> tuple[float, np.ndarray]:
    """A long narrow valley, tilted: L = (w1 + w2 - 1)^2 / 2 + 10 (w1 - w2)^2 / 2 + 0.1 w2."""
    along, across = w[0] + w[1] - 1.0, w[0] - w[1]
    loss = 0.5 * along**2 + 5.0 * across**2 + 0.1 * w[1]
    grad = np.array([along + 10.0 * across, along - 10.0 * across + 0.1])
    return float(loss), grad


def _stepper(name: str) -> Callable[..., tuple[np.ndarray, object]]:
    def step(w: np.ndarray, g: np.ndarray, state: object) -> tuple[np.ndarray, object]:
        zeros = np.zeros_like(w)
        if name == "SGD":
            return optim.sgd_step(w, g, lr=0.05), None
        if name == "momentum":
            return optim.momentum_step(w, g, zeros if state is None else state, lr=0.05,
                                       beta=0.8)
        if name == "Nesterov":
            return optim.nesterov_step(w, g, zeros if state is None else state, lr=0.05,
                                       beta=0.8)
        if name == "Adagrad":
            return optim.adagrad_step(w, g, zeros if state is None else state, lr=0.5)
        if name == "RMSProp":
            return optim.rmsprop_step(w, g, zeros if state is None else state, lr=0.05,
                                      rho=0.9)
        m, v, t = (zeros, zeros, 0) if state is None else state
        w, m, v = optim.adam_step(w, g, m, v, t + 1, lr=0.1)
        return w, (m, v, t + 1)
    return step


@figure("optimizers-paths")
def optimizer_paths() -> Figure:
    names = ["SGD", "momentum", "Nesterov", "Adagrad", "RMSProp", "Adam"]
    colours = ["black", "tab:blue", "tab:cyan", "tab:green", "tab:purple", "tab:orange"]
    w1, w2 = np.meshgrid(np.linspace(-2.2, 2.2, 161), np.linspace(-2.2, 2.2, 161))
    grid = np.array([[_two_weight_loss(np.array([a, b]))[0] for a, b in zip(r1, r2, strict=True)]
                     for r1, r2 in zip(w1, w2, strict=True)])
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.6))
    ax = axes[0]
    ax.contour(w1, w2, grid, levels=np.geomspace(0.05, 40, 14) - 0.2, colors="0.75",
               linewidths=0.7)
    for name, colour in zip(names, colours, strict=True):
        path, _ = optim.minimize(_two_weight_loss, np.array([-2.0, 1.5]), _stepper(name),
                                 steps=60)
        ax.plot(path[:, 0], path[:, 1], "o-", ms=2, lw=1, color=colour, label=name)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_aspect("equal")
    ax.set_title("60 steps from (-2, 1.5) over the contours of a narrow valley", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")

    def plateau(w: np.ndarray) -> tuple[float, np.ndarray]:
        d = w - 5.0
        return float(np.sum(1e-4 * d**2 - np.exp(-d**2))), 2e-4 * d + 2.0 * d * np.exp(-d**2)

    def heavy_ball(w: np.ndarray, g: np.ndarray, state: object) -> tuple[np.ndarray, object]:
        velocity = np.zeros_like(w) if state is None else state
        return optim.momentum_step(w, g, velocity, lr=1.0, beta=0.95)

    def plain(w: np.ndarray, g: np.ndarray, state: object) -> tuple[np.ndarray, object]:
        return optim.sgd_step(w, g, lr=1.0), None

    ax = axes[1]
    line = np.linspace(-6.0, 9.0, 400)
    ax.plot(line, [plateau(np.array([v]))[0] for v in line], color="0.6", lw=1)
    for name, stepper, colour in (("gradient descent", plain, "black"),
                                  ("momentum, beta = 0.95", heavy_ball, "tab:blue")):
        path, losses_ = optim.minimize(plateau, np.array([-5.0]), stepper, steps=400)
        ax.plot(path[::8, 0], losses_[::8], "o", ms=3, color=colour,
                label=f"{name}: ends at w = {path[-1, 0]:.2f}")
    ax.set_xlabel("w")
    ax.set_ylabel("loss")
    ax.set_title("400 steps with lr = 1 from w = -5: the ball rolls across the plateau",
                 fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    return fig


def _overfit(*, lam: float = 0.0, keep_out: float = 0.0,
             epochs: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """A 1-64-64-1 tanh network on 20 noisy points of sin: training and validation MSE per step.

    Full-batch Adam; weight decay adds lam w to each weight's gradient; dropout (rate
    keep_out) on both hidden layers during training only.
    """
    rng = np.random.default_rng(0)
    x_train = np.sort(rng.uniform(-3.0, 3.0, (20, 1)), axis=0)
    y_train = np.sin(x_train) + 0.3 * rng.standard_normal((20, 1))
    x_val = np.linspace(-3.0, 3.0, 200)[:, None]
    y_val = np.sin(x_val)
    sizes = [1, 64, 64, 1]
    params = [[init.glorot_uniform((a, b), rng), np.zeros(b)]
              for a, b in itertools.pairwise(sizes)]
    state = [[(np.zeros_like(p), np.zeros_like(p)) for p in layer] for layer in params]
    train_losses, val_losses = [], []
    for t in range(1, epochs + 1):
        activity, tape = x_train, []
        for index, (W, b) in enumerate(params):
            z = dense.dense(activity, W, b)
            out = z if index == len(params) - 1 else activations.tanh(z)
            mask = None
            if keep_out and index < len(params) - 1:
                out, mask = regularization.dropout(out, keep_out, rng)
            tape.append((activity, z, mask))
            activity = out
        train_losses.append(losses.squared_error(
            mlp.mlp_forward(x_train, params, ["tanh", "tanh", "identity"]), y_train))
        val_losses.append(losses.squared_error(
            mlp.mlp_forward(x_val, params, ["tanh", "tanh", "identity"]), y_val))
        d_out = losses.squared_error_backward(1.0, activity, y_train)
        for index in reversed(range(len(params))):
            previous, z, mask = tape[index]
            if index < len(params) - 1:
                if mask is not None:
                    d_out = regularization.dropout_backward(d_out, mask, keep_out)
                d_out = activations.tanh_backward(d_out, z)
            W, b = params[index]
            d_in, dW, db = dense.dense_backward(d_out, previous, W, b)
            dW = dW + regularization.weight_decay_backward(1.0, W, lam=lam)
            for slot, (value, grad) in enumerate(((W, dW), (b, db))):
                m, v = state[index][slot]
                params[index][slot], m, v = optim.adam_step(value, grad, m, v, t, lr=0.01)
                state[index][slot] = (m, v)
            d_out = d_in
    return np.array(train_losses), np.array(val_losses)


@figure("regularization-overfitting")
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
    ax.set_title("20 noisy points, 4 353 weights: the training error keeps falling, "
                 "the validation error turns", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[1]
    for name, options, colour in (("none", {}, "tab:orange"),
                                  ("weight decay, lambda = 1e-2", {"lam": 1e-2}, "tab:purple"),
                                  ("dropout, p = 0.2", {"keep_out": 0.2}, "tab:green")):
        _, curve = (train, val) if not options else _overfit(**options)
        ax.semilogy(curve, color=colour, label=f"{name}: final {curve[-1]:.3f}")
    ax.set_xlabel("step")
    ax.set_ylabel("validation mean squared error")
    ax.set_title("the same network, regularised", fontsize=9)
    ax.legend(fontsize=7)
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
