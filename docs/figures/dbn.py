"""The figures of the page dbn.md, drawn by the reference code at build time."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from reference import dbn, digits, rbm


def greedy() -> Figure:
    """The bound of a two-layer DBN on the binarised digits as its second layer learns."""
    X_train, _, _, _ = digits.load_digits_split()
    images = (X_train > 0.5).astype(float)
    generator = np.random.default_rng(0)
    lower = rbm.train_rbm(images, 12, lr=0.05, epochs=30, batch_size=10, rng=generator)[:3]
    W, b_v, b_h = lower
    start = (np.ascontiguousarray(W.T), b_h.copy(), b_v.copy())
    q = rbm.hidden_probabilities(images, W, b_h)
    samples = (generator.random(q.shape) < q) * 1.0

    def bound(W2: np.ndarray, b_v2: np.ndarray, b_h2: np.ndarray) -> float:
        return float(dbn.variational_bound(images, [lower, (W2, b_v2, b_h2)]).mean())

    *upper, history = rbm.train_rbm(
        samples, 64, lr=0.01, epochs=8, batch_size=10, rng=generator, init=start, monitor=bound
    )
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.0), width_ratios=[1.3, 1.0])
    ax = axes[0]
    first = float(rbm.log_likelihood(images, *lower).mean())
    ax.plot(history, "o-", color="tab:blue", ms=3, label=f"the bound, ends at {history[-1]:.3f}")
    ax.axhline(first, color="black", ls="--", lw=1, label=f"the first RBM's log p(v): {first:.3f}")
    ax.set_xlabel(
        "epoch of the second layer (CD-1 on samples of q(h | v), started at W1 transposed)"
    )
    ax.set_ylabel("mean bound on log p(v) (nats per image)")
    ax.set_title("64 - 12 - 64 DBN on 1 297 binarised digits: exact, by 2^12 states", fontsize=9)
    ax.legend(fontsize=7)
    dreams = dbn.sample_dbn(
        [lower, tuple(upper)], 16, gibbs_steps=1000, rng=np.random.default_rng(1)
    )
    mosaic = np.full((4 * 9 - 1, 4 * 9 - 1), np.nan)
    for index, image in enumerate(dreams):
        row, col = divmod(index, 4)
        mosaic[row * 9 : row * 9 + 8, col * 9 : col * 9 + 8] = image.reshape(8, 8)
    axes[1].imshow(mosaic, cmap="gray_r", vmin=0.0, vmax=1.0)
    axes[1].set_axis_off()
    axes[1].set_title("dreams: 1 000 Gibbs steps in the top RBM, then one pass down", fontsize=9)
    return fig


def wake_sleep() -> Figure:
    """Wake-sleep on the bars: the exact KL divergence of four runs, and the best one's dreams."""
    images, probabilities = dbn.bars_distribution()
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.0), width_ratios=[1.5, 1.0])
    chunk, chunks = 10_000, 15
    best = None
    colors = ("tab:blue", "tab:orange", "tab:green", "tab:red")
    for seed, color in enumerate(colors):
        generator = np.random.default_rng(seed)
        V = dbn.bars(20_000, generator).reshape(-1, 16)
        machine, curve = None, []
        for _ in range(chunks):
            machine, _ = dbn.train_wake_sleep(
                V,
                [16, 8, 1],
                lr=(1.0, 0.3),
                steps=chunk,
                batch_size=10,
                rng=generator,
                init=machine,
            )
            curve.append(dbn.kl_divergence(machine, images, probabilities))
        steps = chunk * np.arange(1, chunks + 1)
        ax = axes[0]
        ax.plot(
            steps, curve, "o-", ms=3, color=color, label=f"seed {seed}: ends at {curve[-1]:.2f}"
        )
        if best is None or curve[-1] < best[0]:
            best = (curve[-1], machine, seed)
    axes[0].axhline(0.5, color="black", ls="--", lw=1, label="0.5 bits")
    axes[0].set_xlabel("wake-sleep steps (10 images each; lr 1.0 awake, 0.3 asleep)")
    axes[0].set_ylabel("KL(bars || model), bits, exact over 2^9 hidden states")
    axes[0].set_title(
        "a 16 - 8 - 1 Helmholtz machine on the bars (zero start: 12.57 bits)", fontsize=9
    )
    axes[0].set_ylim(0.0, 2.0)
    axes[0].legend(fontsize=7)
    _, machine, seed = best
    dreams = dbn.sample(machine, 30, rng=np.random.default_rng(10))
    mosaic = np.full((5 * 5 - 1, 6 * 5 - 1), np.nan)
    for index, image in enumerate(dreams):
        row, col = divmod(index, 6)
        mosaic[row * 5 : row * 5 + 4, col * 5 : col * 5 + 4] = image.reshape(4, 4)
    frames = plt.get_cmap("gray_r").copy()
    frames.set_bad("#cccccc")  # the gaps between images, so that a blank dream shows as a square
    axes[1].imshow(mosaic, cmap=frames, vmin=0.0, vmax=1.0)
    axes[1].set_axis_off()
    axes[1].set_title(f"30 dreams of seed {seed}'s machine, drawn top-down", fontsize=9)
    return fig


FIGURES = {"dbn": greedy, "dbn-wake-sleep": wake_sleep}
