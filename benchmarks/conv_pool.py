"""Convolution and pooling, forward + backward, float64: deepref against PyTorch CPU.

    python benchmarks/conv_pool.py

x (32, 16, 32, 32); conv2d with w (32, 16, 3, 3), padding 1; 2x2 max and
average pooling with stride 2. Two threads for both, interleaved in one run.
PyTorch is an optional peer: without it, only deepref's times are measured.
"""

from __future__ import annotations

from typing import Any

import _harness  # first: it sets the thread counts before NumPy loads BLAS
import numpy as np

from reference.conv import conv2d, conv2d_backward
from reference.pooling import (
    avg_pool2d,
    avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
)

SHAPE, WEIGHTS = (32, 16, 32, 32), (32, 16, 3, 3)


def measure() -> list[dict[str, Any]]:
    """Time each op for both peers, after checking that they compute the same gradients."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE)
    w = rng.standard_normal(WEIGHTS) / np.sqrt(16 * 9)
    b = rng.standard_normal(WEIGHTS[0])
    dy_conv = rng.standard_normal((SHAPE[0], WEIGHTS[0], *SHAPE[2:]))
    dy_pool = rng.standard_normal((*SHAPE[:2], SHAPE[2] // 2, SHAPE[3] // 2))

    def convolution() -> object:
        conv2d(x, w, b, padding=1)
        return conv2d_backward(dy_conv, x, w, b, padding=1)

    def max_pooling() -> object:
        max_pool2d(x, 2)
        return max_pool2d_backward(dy_pool, x, 2)

    def average_pooling() -> object:
        avg_pool2d(x, 2)
        return avg_pool2d_backward(dy_pool, x, 2)

    ops = {
        "conv2d 3x3, padding 1": convolution,
        "max_pool2d 2x2": max_pooling,
        "avg_pool2d 2x2": average_pooling,
    }
    torch = _harness.torch_or_none()
    peers = {}
    if torch is not None:
        functional = torch.nn.functional
        tx = torch.tensor(x, requires_grad=True)
        tw = torch.tensor(w, requires_grad=True)
        tb = torch.tensor(b, requires_grad=True)

        def run(forward, dy):  # type: ignore[no-untyped-def]
            def step() -> object:
                tx.grad = tw.grad = tb.grad = None
                forward().backward(torch.tensor(dy))
                return tx.grad

            return step

        peers = {
            "conv2d 3x3, padding 1": run(lambda: functional.conv2d(tx, tw, tb, padding=1), dy_conv),
            "max_pool2d 2x2": run(lambda: functional.max_pool2d(tx, 2), dy_pool),
            "avg_pool2d 2x2": run(lambda: functional.avg_pool2d(tx, 2), dy_pool),
        }
        # the same numbers, before timing anything
        peers["conv2d 3x3, padding 1"]()
        dx, dw, _ = conv2d_backward(dy_conv, x, w, b, padding=1)
        assert np.allclose(dx, tx.grad.numpy())
        assert np.allclose(dw, tw.grad.numpy())

    cases = {f"{name} | deepref": run_ours for name, run_ours in ops.items()}
    cases.update({f"{name} | PyTorch": run_peer for name, run_peer in peers.items()})
    seconds = _harness.side_by_side(cases)
    conv_flops = 3 * 2 * SHAPE[0] * WEIGHTS[0] * SHAPE[2] * SHAPE[3] * 16 * 9
    return [
        {"benchmark": "conv" if name.startswith("conv") else "pooling"}
        | _harness.record(
            name,
            f"x {SHAPE}" + (f", w {WEIGHTS}" if name.startswith("conv") else ""),
            {
                "deepref": seconds[f"{name} | deepref"],
                **({"PyTorch": seconds[f"{name} | PyTorch"]} if peers else {}),
            },
            peer="PyTorch",
            flops=conv_flops if name.startswith("conv") else None,
        )
        for name in ops
    ]


#: The inputs and a first call on one sample (compiling or loading the kernels), in a fresh
#: process: the baseline of the memory measurement.
_MEMORY_SETUP = f"""
import _harness
import numpy as np
rng = np.random.default_rng(0)
x = rng.standard_normal({SHAPE})
w = rng.standard_normal({WEIGHTS}) / 12.0
b = rng.standard_normal({WEIGHTS[0]})
dy = rng.standard_normal({(SHAPE[0], WEIGHTS[0], *SHAPE[2:])})
"""
_MEMORY = {
    "deepref": (
        _MEMORY_SETUP
        + "from reference.conv import conv2d, conv2d_backward\n"
        + "conv2d_backward(dy[:1], x[:1], w, b, padding=1)",
        "y = conv2d(x, w, b, padding=1)\ngrads = conv2d_backward(dy, x, w, b, padding=1)",
    ),
    "PyTorch": (
        _MEMORY_SETUP
        + "torch = _harness.torch_or_none()\n"
        + "leaves = [torch.tensor(v, requires_grad=True) for v in (x, w, b)]\n"
        + "small = torch.tensor(x[:1], requires_grad=True)\n"
        + "torch.nn.functional.conv2d(small, *leaves[1:], padding=1).backward("
        + "torch.tensor(dy[:1]))",
        "y = torch.nn.functional.conv2d(*leaves, padding=1)\ny.backward(torch.tensor(dy))",
    ),
}


def memory() -> dict[str, Any]:
    """conv2d's forward + backward: the im2col buffer and each peer's peak memory growth.

    deepref lays out one sample's patches at a time: (C kH kW) x (H_out W_out) values, once for
    the forward and once more for the backward's gradient columns. The peaks are measured in
    fresh processes (:func:`_harness.peak_memory_mib`) and include the outputs and gradients
    (y, dx, dw, db) that both must allocate.
    """
    channels, kernel_h, kernel_w = WEIGHTS[1], WEIGHTS[2], WEIGHTS[3]
    columns = channels * kernel_h * kernel_w * SHAPE[2] * SHAPE[3] * 8 / 2**20
    # y (N, C_out, H, W) and dx, dw, db, in float64
    outputs = (
        (
            SHAPE[0] * WEIGHTS[0] * SHAPE[2] * SHAPE[3]
            + np.prod(SHAPE)
            + np.prod(WEIGHTS)
            + WEIGHTS[0]
        )
        * 8
        / 2**20
    )
    peers = ["deepref"] + (["PyTorch"] if _harness.torch_or_none() is not None else [])
    return {
        "benchmark": "conv",  # the page's name, as measure()'s records say it
        "op": "conv2d 3x3, padding 1",
        "size": f"x {SHAPE}, w {WEIGHTS}",
        "outputs_mib": float(outputs),
        "im2col_mib_per_sample": columns,
        "peak_mib": {peer: _harness.peak_memory_mib(*_MEMORY[peer]) for peer in peers},
    }


def main() -> None:
    """Print the table, and conv2d's memory."""
    _harness.print_report(measure())
    print(_harness.memory_report([memory()]))


if __name__ == "__main__":
    main()
