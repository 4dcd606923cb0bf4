"""The figures of the page rnn.md, drawn by the reference code at build time."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from _common import adding_runs
from matplotlib.figure import Figure

from reference import lstm, rnn

STEPS = np.arange(1, 101)


def _norm_to_start(backward: Callable[[np.ndarray], np.ndarray], hidden: int) -> float:
    """||d (last state) / d (first state)||_2, one backward call per unit of the last state."""
    rows = [backward(np.eye(hidden)[k : k + 1]) for k in range(hidden)]
    return float(np.linalg.norm(np.vstack(rows), 2))


def gradients() -> Figure:
    hidden = 8
    rng = np.random.default_rng(0)
    q = np.linalg.qr(rng.normal(size=(hidden, hidden)))[0]
    w_x = rng.normal(size=(1, hidden))
    # one sequence of 100 steps and one starting state; a run of T steps reads its first T
    x = rng.normal(size=(STEPS[-1], 1, 1))
    h0 = rng.normal(size=(1, hidden)) / 2
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.0))
    for ax, activation, rhos in (
        (axes[0], "affine", (0.9, 1.0, 1.1)),
        (axes[1], "tanh", (0.9, 1.5, 3.0)),
    ):
        for rho in rhos:
            options = {"w_x": w_x, "w_h": rho * q, "b": np.zeros(hidden), "activation": activation}
            norms = [
                _norm_to_start(
                    lambda d, steps=steps, options=options: rnn.rnn_backward(
                        np.zeros((steps, 1, hidden)), d, x[:steps], h0, **options
                    )[1][0],
                    hidden,
                )
                for steps in STEPS
            ]
            ax.semilogy(STEPS, norms, label=f"$W_h = {rho}\\,Q$")
    axes[0].set_title("linear RNN: exactly $\\rho^T$, vanishing or exploding", fontsize=9)
    c0 = rng.normal(size=(1, hidden))
    w_cell = rng.normal(size=(1, 4 * hidden)) / 4
    zeros = np.zeros((1, hidden))
    for bias in (1.0, 5.0):
        b = np.zeros(4 * hidden)
        b[hidden : 2 * hidden] = bias  # the forget gate's block
        norms = [
            _norm_to_start(
                lambda d, steps=steps, b=b: lstm.lstm_backward(
                    np.zeros((steps, 1, hidden)),
                    zeros,
                    d,
                    x[:steps],
                    zeros,
                    c0,
                    w_cell,
                    np.zeros((hidden, 4 * hidden)),
                    b,
                )[2][0],
                hidden,
            )
            for steps in STEPS
        ]
        axes[1].semilogy(STEPS, norms, ls="--", label=f"LSTM cell, forget bias {bias:g}")
    axes[1].set_title(
        "tanh RNN ($\\|\\partial h_T/\\partial h_0\\|$) and an LSTM's cell "
        "($\\|\\partial c_T/\\partial c_0\\|$)",
        fontsize=9,
    )
    for ax in axes:
        ax.set_xlabel("steps T")
        ax.set_ylabel("gradient norm")
        ax.legend(fontsize=7)
    return fig


def adding() -> Figure:
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    colours = {"rnn": "tab:red", "lstm": "tab:blue", "gru": "tab:green"}
    for cell, (_, history, _, _) in adding_runs().items():
        ax.semilogy(
            history[:, 1],
            color=colours[cell],
            marker="o",
            ms=3,
            label=f"{cell.upper()}: final {history[-1, 1]:.4f}",
        )
    ax.axhline(1 / 6, color="0.4", ls=":", label="predicting the mean: 1/6")
    ax.set_xlabel("epoch (50 steps of Adam each)")
    ax.set_ylabel("validation mean squared error")
    ax.set_title("the adding problem, T = 50: 32 units, the same budget for each", fontsize=9)
    ax.legend(fontsize=8)
    return fig


FIGURES: dict[str, Callable[[], Figure]] = {"rnn-gradients": gradients, "rnn-adding": adding}
