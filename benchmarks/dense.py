"""Dense layer, forward + backward, float64: deepref against PyTorch CPU, side by side.

    python benchmarks/dense.py

x (256, 1024), W (1024, 1024), b (1024,); two threads for both. PyTorch is an
optional peer: without it, only deepref's time is printed.
"""

from __future__ import annotations

import platform

import _harness  # first: it sets the thread counts before NumPy loads BLAS
import numpy as np

from reference.dense import dense, dense_backward

BATCH, FAN_IN, FAN_OUT = 256, 1024, 1024


def main() -> None:
    """Time both peers and print the table."""
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
    rows = []
    for name, value in seconds.items():
        ratio = value / seconds["PyTorch"] if "PyTorch" in seconds else float("nan")
        rows.append((name, f"{value * 1e3:.2f}", f"{flops / value / 1e9:.1f}", f"{ratio:.2f}"))
    print(
        f"dense forward + backward, float64, x ({BATCH}, {FAN_IN}), W ({FAN_IN}, {FAN_OUT}); "
        f"{_harness.THREADS} threads; {platform.processor() or platform.machine()}; "
        f"torch {torch.__version__ if torch else 'not installed'}"
    )
    print(_harness.table(rows, ("implementation", "ms (median)", "GFLOP/s", "time / PyTorch's")))


if __name__ == "__main__":
    main()
