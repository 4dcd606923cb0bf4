"""The figures of the page verification.md, drawn by the reference code at build time."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from numerics import gradcheck
from reference import (
    losses,
    regression,
)


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
        extrapolated.append(abs(float(gradcheck.richardson(differences)[0]) - exact))
    h_values = 2.0**-exponents
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    ax.loglog(h_values, np.maximum(central, 1e-18), "o-", ms=3, label="central difference")
    ax.loglog(
        h_values,
        np.maximum(extrapolated, 1e-18),
        "s-",
        ms=3,
        label=f"Richardson, {gradcheck.LEVELS} steps h … h/{2 ** (gradcheck.LEVELS - 1)}",
    )
    ax.axvline(gradcheck.STEP, color="crimson", ls=":", label="the checker's step $h_0 = 2^{-9}$")
    ax.set_xlabel("step h")
    ax.set_ylabel("error of the derivative")
    ax.set_title("Truncation falls with h, rounding grows as 1/h: the V of finite differences")
    ax.legend(fontsize=8)
    ax.invert_xaxis()
    return fig


#: name (the SVG's file name under figures/) -> the function that draws it
FIGURES: dict[str, Callable[[], Figure]] = {
    "verification-richardson": richardson,
}
