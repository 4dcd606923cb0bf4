"""The figures of the page lstm.md, drawn by the reference code at build time."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from _common import adding_runs
from matplotlib.figure import Figure

from reference import lstm, rnn


def gates() -> Figure:
    params, _, X_val, y_val = adding_runs()["lstm"]
    sequence = X_val[:, :1]
    hidden = params[1].shape[0]
    zeros = np.zeros((1, hidden))
    inside = lstm.lstm_gates(sequence, zeros, zeros, *params[:3])
    prediction = rnn.predict_sequence_regressor(sequence, params, "lstm")[0]
    marked = np.flatnonzero(sequence[:, 0, 1])
    # the units whose cell moves most over the sequence
    units = np.argsort(-np.ptp(inside["c"][:, 0], axis=0))[:4]
    fig, axes = plt.subplots(3, 1, figsize=(9.0, 7.0), sharex=True)
    steps = np.arange(sequence.shape[0])
    for ax, name, label in (
        (axes[0], "i", "input gate $i_t$"),
        (axes[1], "f", "forget gate $f_t$"),
        (axes[2], "c", "cell $c_t$"),
    ):
        for unit in units:
            ax.plot(steps, inside[name][:, 0, unit], lw=1.2, label=f"unit {unit}")
        for t in marked:
            ax.axvline(t, color="crimson", ls=":", lw=1)
        ax.set_ylabel(label)
    axes[0].set_title(
        f"one validation sequence (markers dotted): target {y_val[0]:.3f}, "
        f"prediction {prediction:.3f}",
        fontsize=9,
    )
    axes[0].legend(fontsize=7, ncol=4)
    axes[2].set_xlabel("step t")
    return fig


FIGURES: dict[str, Callable[[], Figure]] = {"lstm-gates": gates}
