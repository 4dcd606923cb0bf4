"""The figures of the page autoencoder.md, drawn by the reference code at build time."""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from reference import autoencoder as ae
from reference import digits

#: What every digits autoencoder of the page shares: Adam, batches of 32, 30 epochs.
SETTINGS = {"lr": 0.01, "epochs": 30, "batch_size": 32, "optimizer": "adam"}


@functools.lru_cache(maxsize=1)
def _images() -> tuple[np.ndarray, np.ndarray]:
    """The digits' training and test images, grey levels scaled to [0, 1]."""
    X_train, _, X_test, _ = digits.load_digits_split()
    return X_train, X_test


def denoising() -> Figure:
    train, test = _images()
    model, _ = ae.train_autoencoder(
        train,
        64,
        loss="cross_entropy",
        corruption=("mask", 0.3),
        rng=np.random.default_rng(0),
        **SETTINGS,
    )
    clean = test[:8]
    noisy = ae.corrupt(clean, "mask", 0.3, np.random.default_rng(1))
    rows = (
        ("clean test digits", clean),
        ("30 % of the pixels set to 0", noisy),
        ("the denoising autoencoder's reconstruction", ae.decode(ae.encode(noisy, model), model)),
    )
    fig = plt.figure(figsize=(12.0, 4.4))
    grid = fig.add_gridspec(3, 12)
    for row, (title, images) in enumerate(rows):
        for col, image in enumerate(images):
            ax = fig.add_subplot(grid[row, col])
            ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0.0, vmax=1.0)
            ax.set_axis_off()
            if col == 0:
                ax.set_title(title, fontsize=8, loc="left")
    filters = fig.add_subplot(grid[:, 8:])
    mosaic = np.full((4 * 9 - 1, 4 * 9 - 1), np.nan)
    for index in range(16):
        row, col = divmod(index, 4)
        mosaic[row * 9 : row * 9 + 8, col * 9 : col * 9 + 8] = model.w_enc[:, index].reshape(8, 8)
    limit = np.nanmax(np.abs(mosaic))
    filters.imshow(mosaic, cmap="RdBu_r", vmin=-limit, vmax=limit)
    filters.set_axis_off()
    filters.set_title("16 of the 64 code units' weights (red +, blue -)", fontsize=8)
    return fig


def principal_subspace() -> Figure:
    train, _ = _images()
    centred = train - train.mean(axis=0)
    values = np.linalg.eigvalsh(centred.T @ centred / len(train))
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    for code, colour in ((4, "tab:blue"), (8, "tab:green"), (16, "tab:purple")):
        _, history = ae.train_autoencoder(
            train,
            code,
            encoder_activation="identity",
            decoder_activation="identity",
            lr=0.01,
            epochs=1500,
            batch_size=len(train),
            optimizer="adam",
            rng=np.random.default_rng(0),
        )
        residual = 0.5 * values[:-code].sum()
        ax.semilogy(history, color=colour, lw=1, label=f"code of {code}: ends at {history[-1]:.4f}")
        ax.axhline(residual, color=colour, ls="--", lw=1, label=f"PCA's residual: {residual:.4f}")
    ax.set_xlabel("step (full batch, Adam, lr 0.01)")
    ax.set_ylabel("loss: mean of half the squared error")
    ax.set_title("a linear autoencoder on the digits descends to PCA's residual", fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    return fig


def sparsity() -> Figure:
    train, _ = _images()
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    bins = np.linspace(0.0, 1.0, 41)
    for name, penalty, colour in (
        ("no penalty", None, "tab:gray"),
        ("KL penalty, rho = 0.05, beta = 3", ("kl", 0.05, 3.0), "tab:red"),
    ):
        model, _ = ae.train_autoencoder(
            train,
            64,
            loss="cross_entropy",
            sparsity=penalty,
            rng=np.random.default_rng(0),
            **SETTINGS,
        )
        means = ae.encode(train, model).mean(axis=0)
        ax.hist(
            means,
            bins=bins,
            color=colour,
            alpha=0.6,
            label=f"{name}: median {np.median(means):.3f}",
        )
    ax.axvline(0.05, color="black", ls=":", lw=1, label="rho = 0.05")
    ax.set_xlabel("a code unit's mean activation over the training digits")
    ax.set_ylabel("code units (of 64)")
    ax.set_title("the KL penalty pulls every unit's mean activation to rho", fontsize=9)
    ax.legend(fontsize=7)
    return fig


FIGURES = {
    "autoencoder-denoising": denoising,
    "autoencoder-pca": principal_subspace,
    "autoencoder-sparsity": sparsity,
}
