"""The figures of the page rbm.md, drawn by the reference code at build time."""

from __future__ import annotations

import functools
import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from numerics.catalog.rbm import slowly_mixing
from reference import digits, rbm


@functools.lru_cache(maxsize=1)
def _digits_run() -> tuple[np.ndarray, np.ndarray, tuple, np.ndarray]:
    """An RBM of 16 hidden units trained by CD-1 on the binarised digits, watched exactly.

    Returns the training and test images, the RBM, and the exact mean log-likelihood of the
    training and test images before training and after each epoch.
    """
    X_train, _, X_test, _ = digits.load_digits_split()
    train, test = (X_train > 0.5).astype(float), (X_test > 0.5).astype(float)

    def exact(W: np.ndarray, b_v: np.ndarray, b_h: np.ndarray) -> tuple[float, float]:
        log_z = rbm.log_partition(W, b_v, b_h)
        return tuple(float(-rbm.free_energy(x, W, b_v, b_h).mean() - log_z) for x in (train, test))

    W, b_v, b_h, history = rbm.train_rbm(
        train,
        16,
        lr=0.05,
        epochs=30,
        batch_size=10,
        rng=np.random.default_rng(0),
        monitor=exact,
    )
    return train, test, (W, b_v, b_h), history


def _independent(train: np.ndarray, images: np.ndarray) -> float:
    """The mean log-likelihood of independent pixels, p_i the smoothed training frequency."""
    p = (train.sum(axis=0) + 1.0) / (len(train) + 2.0)
    return float((images * np.log(p) + (1.0 - images) * np.log1p(-p)).sum(axis=1).mean())


def _tiles(ax: plt.Axes, images: np.ndarray, title: str, cmap: str) -> None:
    """Sixteen 8 x 8 images as one 4 x 4 mosaic, a pixel's gap between them."""
    mosaic = np.full((4 * 9 - 1, 4 * 9 - 1), np.nan)
    for index, image in enumerate(images[:16]):
        row, col = divmod(index, 4)
        mosaic[row * 9 : row * 9 + 8, col * 9 : col * 9 + 8] = image.reshape(8, 8)
    limit = np.nanmax(np.abs(mosaic))
    ax.imshow(mosaic, cmap=cmap, vmin=-limit if cmap != "gray_r" else 0.0, vmax=limit)
    ax.set_axis_off()
    ax.set_title(title, fontsize=9)


def digits_run() -> Figure:
    train, test, model, history = _digits_run()
    fig, axes = plt.subplots(1, 3, figsize=(12.0, 4.0), width_ratios=[1.4, 1.0, 1.0])
    ax = axes[0]
    ax.plot(history[:, 0], color="tab:blue", label=f"RBM, training: {history[-1, 0]:.2f}")
    ax.plot(history[:, 1], color="tab:orange", label=f"RBM, test: {history[-1, 1]:.2f}")
    for images, colour, name in ((train, "tab:blue", "training"), (test, "tab:orange", "test")):
        level = _independent(train, images)
        ax.axhline(
            level, color=colour, ls="--", lw=1, label=f"independent pixels, {name}: {level:.2f}"
        )
    ax.set_ylim(history[1:].min() - 2.0, history[1:].max() + 1.0)
    ax.set_xlabel("epoch (CD-1, lr 0.05, batches of 10)")
    ax.set_ylabel("exact mean log-likelihood (nats per image)")
    ax.set_title("1 297 binarised digits, 16 hidden units: log Z by enumeration", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    W, b_v, b_h = model
    _tiles(axes[1], W.T, "each hidden unit's weights (red +, blue -)", "RdBu_r")
    generator = np.random.default_rng(1)
    chains = (generator.random((16, 64)) < 0.5).astype(float)
    for _ in range(1000):
        chains, _ = rbm.gibbs_step(chains, W, b_v, b_h, generator)
    hidden = rbm.hidden_probabilities(chains, W, b_h)
    _tiles(
        axes[2],
        rbm.visible_probabilities(hidden, W, b_v),
        "dreams: 16 chains after 1 000 Gibbs steps from noise",
        "gray_r",
    )
    return fig


def _cd_biases(ks: tuple[int, ...]) -> np.ndarray:
    """|mean CD-k estimate - exact gradient| on the slowly mixing model of the CD-bias law."""
    model, data = slowly_mixing()
    exact = np.concatenate([g.ravel() for g in rbm.log_likelihood_gradient(data, *model)])
    biases = []
    for k in ks:
        dW, db_v, db_h, _ = rbm.cd_gradient(
            np.tile(data, (20_000, 1)), *model, k=k, rng=np.random.default_rng(k)
        )
        biases.append(np.linalg.norm(np.concatenate([dW.ravel(), db_v, db_h]) - exact))
    return np.array(biases)


def bars_and_stripes() -> Figure:
    images = rbm.bars_and_stripes(3)
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.0))
    ax = axes[0]

    def exact(W: np.ndarray, b_v: np.ndarray, b_h: np.ndarray) -> float:
        return float(rbm.log_likelihood(images, W, b_v, b_h).mean())

    for name, options, colour in (
        ("CD-1", {"k": 1}, "tab:blue"),
        ("CD-10", {"k": 10}, "tab:green"),
        ("PCD-1 (14 chains)", {"k": 1, "persistent": True}, "tab:red"),
    ):
        *_, history = rbm.train_rbm(
            images,
            16,
            lr=0.1,
            epochs=4000,
            batch_size=14,
            rng=np.random.default_rng(0),
            monitor=exact,
            **options,
        )
        ax.plot(history, color=colour, lw=1, label=f"{name}: {history[-1]:.2f} at the end")
    ax.axhline(-math.log(14), color="black", ls="--", lw=1, label="the best: -log 14 = -2.64")
    ax.set_ylim(-8.0, -2.3)
    ax.set_xlabel("update (the 14 images as one batch, lr 0.1, 16 hidden units)")
    ax.set_ylabel("exact mean log-likelihood (nats)")
    ax.set_title("bars and stripes, 3 x 3: the 14 images of the set", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    ax = axes[1]
    ks = (1, 2, 3, 4, 6, 8, 16, 32)
    ax.semilogy(ks, _cd_biases(ks), "o-", color="tab:blue")
    ax.axhline(0.0055, color="0.5", ls=":", lw=1, label="the noise of 80 000 chains (about)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("k, Gibbs steps of the negative phase")
    ax.set_ylabel("|mean CD-k estimate - exact gradient|")
    ax.set_title("CD-k's bias, 6 visible and 4 hidden units, W of sd 2.5", fontsize=9)
    ax.legend(fontsize=7)
    return fig


def ais() -> Figure:
    """AIS against the exact log Z of the digits RBM, as the temperatures grow."""
    _, _, model, _ = _digits_run()
    log_z = rbm.log_partition(*model)
    train, *_ = _digits_run()
    means = np.clip(train.mean(axis=0), 1e-3, 1.0 - 1e-3)
    counts = (10, 30, 100, 300, 1000, 3000)
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    for name, base, colour in (
        ("uniform base", None, "tab:gray"),
        ("base rates of the data", np.log(means / (1.0 - means)), "tab:blue"),
    ):
        estimates = np.array(
            [
                rbm.ais_log_partition(
                    *model,
                    betas=np.linspace(0.0, 1.0, count + 1),
                    runs=100,
                    rng=np.random.default_rng(count),
                    base_bias=base,
                )
                for count in counts
            ]
        )
        ax.errorbar(
            counts,
            estimates[:, 0] - log_z,
            yerr=3.0 * estimates[:, 1],
            fmt="o-",
            color=colour,
            capsize=3,
            label=f"{name} (100 runs, ±3 std)",
        )
    ax.axhline(0.0, color="black", lw=1, label=f"exact: log Z = {log_z:.3f}")
    ax.set_xscale("log")
    ax.set_xlabel("intermediate temperatures K (betas evenly spaced)")
    ax.set_ylabel("AIS estimate - exact log Z (nats)")
    ax.set_title("annealed importance sampling on the digits RBM", fontsize=9)
    ax.legend(fontsize=7)
    return fig


FIGURES = {"rbm-digits": digits_run, "rbm-bars": bars_and_stripes, "rbm-ais": ais}
