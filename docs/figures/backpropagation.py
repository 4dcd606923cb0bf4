"""The figures of the page backpropagation.md, drawn by the reference code at build time."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from _common import draw_mistakes
from matplotlib.figure import Figure

from reference import (
    activations,
    dense,
    losses,
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
    draw_mistakes(fig, grid, X_test, result.test_predictions, labels_test)
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
def worked_graph() -> Figure:
    """One unit, z = w1 x1 + w2 x2 + b, h = max(z, 0), L = (h - t)^2 / 2, every value shown."""
    x, W, b, t = np.array([[2.0, -1.0]]), np.array([[0.5], [-1.5]]), np.array([-0.5]), 0.5
    z = dense.dense(x, W, b)
    h = activations.relu(z)
    loss = losses.squared_loss(h, np.array([[t]]))
    dh = losses.squared_loss_backward(1.0, h, np.array([[t]]))
    dz = activations.relu_backward(dh, z)
    dx, dW, db = dense.dense_backward(dz, x, W, b)
    products = x[0] * W[:, 0]
    fig, ax = plt.subplots(figsize=(9.6, 4.2))
    ax.set_xlim(-0.6, 8.9)
    ax.set_ylim(-1.3, 4.0)
    ax.axis("off")
    ax.grid(False)
    nodes = {  # name: (x, y, label)
        "x1": (0.0, 3.4, "$x_1$"),
        "w1": (0.0, 2.2, "$w_1$"),
        "x2": (0.0, 1.0, "$x_2$"),
        "w2": (0.0, -0.2, "$w_2$"),
        "b": (2.2, -0.9, "$b$"),
        "q1": (1.9, 2.8, "$\\times$"),
        "q2": (1.9, 0.4, "$\\times$"),
        "z": (3.9, 1.6, "$+$"),
        "zero": (4.7, -0.4, "$0$"),
        "h": (5.7, 1.6, "max"),
        "t": (6.7, -0.4, "$t$"),
        "L": (7.7, 1.6, "$L$"),
    }
    for x_at, y_at, label in nodes.values():
        gate = label in ("$\\times$", "$+$", "max", "$L$")
        ax.text(
            x_at,
            y_at,
            label,
            ha="center",
            va="center",
            fontsize=11,
            bbox={
                "boxstyle": "circle" if gate else "round",
                "facecolor": "#e8eef7" if gate else "white",
                "edgecolor": "#4a6fa5",
            },
        )
    forward, backward = "#2e7d32", "#c62828"
    edges = [  # from, to, forward value, gradient (None: a constant, not learned)
        ("x1", "q1", x[0, 0], dx[0, 0]),
        ("w1", "q1", W[0, 0], dW[0, 0]),
        ("x2", "q2", x[0, 1], dx[0, 1]),
        ("w2", "q2", W[1, 0], dW[1, 0]),
        ("q1", "z", products[0], db[0]),
        ("q2", "z", products[1], db[0]),
        ("b", "z", b[0], db[0]),
        ("z", "h", z[0, 0], dz[0, 0]),
        ("zero", "h", 0.0, None),
        ("h", "L", h[0, 0], dh[0, 0]),
        ("t", "L", t, None),
    ]
    for start, end, value, grad in edges:
        (x0, y0, _), (x1, y1, _) = nodes[start], nodes[end]
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={"arrowstyle": "->", "color": "#555555", "shrinkA": 14, "shrinkB": 14},
        )
        # the numbers a third of the way along, where converging edges are still apart
        label_x, label_y = x0 + 0.38 * (x1 - x0), y0 + 0.38 * (y1 - y0)
        if abs(y1 - y0) > abs(x1 - x0):  # a steep edge: the numbers beside it, not on it
            label_x -= 0.22
        ax.text(label_x, label_y + 0.12, f"{value:g}", color=forward, ha="center", fontsize=9)
        if grad is not None:
            ax.text(label_x, label_y - 0.38, f"{grad:g}", color=backward, ha="center", fontsize=9)
    ax.text(8.3, 1.6, f"= {loss:g}", va="center", fontsize=10, color=forward)
    ax.text(
        -0.5,
        -1.25,
        "green: the forward value on each edge; red: the gradient of L with respect to it",
        fontsize=9,
    )
    return fig


FIGURES: dict[str, Callable[[], Figure]] = {
    "backpropagation-digits": digits_result,
    "backpropagation-sine": sine_fit,
    "backpropagation-memory": training_memory,
    "backpropagation-graph": worked_graph,
}
