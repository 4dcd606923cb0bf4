"""Dense layer, forward + backward, float64: deepref against PyTorch CPU, side by side.

    python benchmarks/dense.py

x (256, 1024), W (1024, 1024), b (1024,); two threads for both. PyTorch is an
optional peer: without it, only deepref's time is measured.
"""

from __future__ import annotations

from typing import Any

import _harness  # first: it sets the thread counts before NumPy loads BLAS
import numpy as np

from reference.dense import dense, dense_backward

BATCH, FAN_IN, FAN_OUT = 256, 1024, 1024


def measure() -> list[dict[str, Any]]:
    """Time both peers, after checking that they compute the same gradients."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, FAN_IN))
    W = rng.standard_normal((FAN_IN, FAN_OUT)) / np.sqrt(FAN_IN)
    b = rng.standard_normal(FAN_OUT)
    dy = rng.standard_normal((BATCH, FAN_OUT))

    def ours() -> object:
        dense(x, W, b)
        return dense_backward(dy, x, W, b)

    cases = {"deepref": ours}
    torch = _harness.torch_or_none()
    if torch is not None:
        tx = torch.tensor(x, requires_grad=True)
        tW = torch.tensor(W, requires_grad=True)
        tb = torch.tensor(b, requires_grad=True)
        tdy = torch.tensor(dy)

        def peer() -> object:
            tx.grad = tW.grad = tb.grad = None
            y = torch.addmm(tb, tx, tW)
            y.backward(tdy)
            return tW.grad

        cases["PyTorch"] = peer
        # the same numbers, before timing anything
        dx, dW, _db = dense_backward(dy, x, W, b)
        peer()
        assert np.allclose(dW, tW.grad.numpy())
        assert np.allclose(dx, tx.grad.numpy())

    seconds = _harness.side_by_side(cases)
    flops = 3 * 2 * BATCH * FAN_IN * FAN_OUT  # three products of the same size
    size = f"x ({BATCH}, {FAN_IN}), W ({FAN_IN}, {FAN_OUT})"
    return [_harness.record("dense", size, seconds, peer="PyTorch", flops=flops)]


def main() -> None:
    """Print the table."""
    _harness.print_report(measure())


if __name__ == "__main__":
    main()
