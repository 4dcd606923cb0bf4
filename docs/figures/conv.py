"""The figures of the page conv.md, drawn by the reference code at build time."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from _common import EDGE_KERNELS, grid, photograph
from matplotlib.figure import Figure

from reference import (
    conv,
)


def kernel_sliding() -> Figure:
    image = np.array(
        [[1, 2, 0, 1, 3], [0, 1, 3, 2, 1], [2, 1, 0, 1, 0], [1, 3, 1, 0, 2], [0, 2, 1, 1, 1]],
        dtype=np.float64,
    )
    kernel = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=np.float64)
    valid = conv.conv2d(image[None, None], kernel[None, None])[0, 0]
    same = conv.conv2d(image[None, None], kernel[None, None], padding="same")[0, 0]
    fig, axes = plt.subplots(
        1, 5, figsize=(12.0, 3.0), gridspec_kw={"width_ratios": [5, 3, 3, 7, 5]}
    )
    grid(axes[0], image, "5x5 image", highlight=(1, 2, 3, 3))
    grid(axes[1], kernel, "3x3 kernel", cmap="Oranges")
    grid(axes[2], valid, "valid: 3x3 map", highlight=(1, 2, 1, 1), cmap="Greens")
    grid(axes[3], np.pad(image, 1), "same: zero padding", highlight=(0, 0, 3, 3), padded=1)
    grid(axes[4], same, "same: 5x5 map", highlight=(0, 0, 1, 1), cmap="Greens")
    fig.suptitle(
        "Each output is the sum of the kernel times the patch under it "
        "(red: one patch and its output)",
        y=1.08,
    )
    return fig


def photograph_maps() -> Figure:
    image = photograph()
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
    fig.suptitle(
        "One convolution, three 3x3 kernels: three feature maps of a photograph "
        "(edges shown as |value|)"
    )
    return fig


#: name (the SVG's file name under figures/) -> the function that draws it
FIGURES: dict[str, Callable[[], Figure]] = {
    "conv-sliding": kernel_sliding,
    "conv-photograph": photograph_maps,
}
