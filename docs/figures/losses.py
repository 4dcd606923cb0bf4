"""The figures of the page losses.md, drawn by the reference code at build time."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from reference import (
    activations,
    losses,
)


def squared_and_gaussian() -> Figure:
    residual = np.linspace(-4.0, 4.0, 201)
    squared = np.array([losses.squared_loss(np.array([r]), np.zeros(1)) for r in residual])
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.plot(residual, squared, color="black", lw=2, label=r"squared loss $\frac{1}{2} r^2$")
    for sigma, colour in ((1.0, "tab:blue"), (2.0, "tab:orange")):
        nll = squared / sigma**2 + 0.5 * np.log(2 * np.pi * sigma**2)
        ax.plot(
            residual, nll, color=colour, ls="--", label=rf"Gaussian $-\log p$, $\sigma = {sigma:g}$"
        )
    ax.set_xlabel(r"residual $r = \hat y - y$")
    ax.set_ylabel("loss")
    ax.set_title("The Gaussian negative log-likelihood is the squared loss, scaled and shifted")
    ax.legend(fontsize=8)
    return fig


def classification_losses() -> Figure:
    z = np.linspace(-5.0, 5.0, 401)
    ones = np.ones(1)
    zero_one = [losses.zero_one_loss(np.array([[0.0, m]]), np.array([1])) for m in z]
    # in bits: -log2 sigma(z) is 1 at z = 0, where the step is, and above it everywhere
    bits = [losses.binary_cross_entropy_with_logits(np.array([m]), ones) / np.log(2) for m in z]
    squared = [losses.squared_error(activations.sigmoid(np.array([m])), ones) for m in z]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.plot(z, zero_one, color="black", lw=2, label="zero-one loss (the error)")
    ax.plot(z, bits, color="tab:blue", label=r"cross-entropy in bits, $-\log_2\sigma(z)$")
    ax.plot(z, squared, color="tab:orange", ls="--", label=r"squared error $(1 - \sigma(z))^2$")
    ax.set_xlabel("score margin z of the right class (logit)")
    ax.set_ylabel("loss of one example")
    ax.set_title("Cross-entropy in bits is a smooth, convex upper bound on the error", fontsize=9)
    ax.legend(fontsize=8)
    return fig


#: name (the SVG's file name under figures/) -> the function that draws it
FIGURES: dict[str, Callable[[], Figure]] = {
    "losses-squared-and-gaussian": squared_and_gaussian,
    "losses-classification": classification_losses,
}
