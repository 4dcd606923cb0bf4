"""Batch normalisation, forward + backward, float64: deepref against PyTorch CPU.

    python benchmarks/batchnorm.py

x (256, 512), training mode (batch statistics); two threads for both,
interleaved in one run. PyTorch is an optional peer.
"""

from __future__ import annotations

import platform

import _harness  # first: it sets the thread counts before NumPy loads BLAS
import numpy as np

from reference.batchnorm import batchnorm_backward, batchnorm_train

SHAPE = (256, 512)


def main() -> None:
    """Time both peers and print the table."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE)
    gamma, beta = rng.standard_normal(SHAPE[1]), rng.standard_normal(SHAPE[1])
    dy = rng.standard_normal(SHAPE)

    def ours() -> object:
        batchnorm_train(x, gamma, beta)
        return batchnorm_backward(dy, x, gamma, beta)

    cases = {"deepref": ours}
    torch = _harness.torch_or_none()
    if torch is not None:
        tx = torch.tensor(x, requires_grad=True)
        tgamma = torch.tensor(gamma, requires_grad=True)
        tbeta = torch.tensor(beta, requires_grad=True)
        tdy = torch.tensor(dy)

        def peer() -> object:
            tx.grad = tgamma.grad = tbeta.grad = None
            torch.nn.functional.batch_norm(
                tx, None, None, tgamma, tbeta, training=True, eps=1e-5
            ).backward(tdy)
            return tx.grad

        cases["PyTorch"] = peer
        peer()
        dx, dgamma, _ = batchnorm_backward(dy, x, gamma, beta)
        assert np.allclose(dx, tx.grad.numpy())
        assert np.allclose(dgamma, tgamma.grad.numpy())

    seconds = _harness.side_by_side(cases)
    rows = [
        (
            name,
            f"{value * 1e3:.3f}",
            f"{value / seconds['PyTorch']:.2f}" if "PyTorch" in seconds else "n/a",
        )
        for name, value in seconds.items()
    ]
    print(
        f"batchnorm forward + backward, float64, x {SHAPE}; {_harness.THREADS} threads; "
        f"{platform.processor() or platform.machine()}; "
        f"torch {torch.__version__ if torch else 'not installed'}"
    )
    print(_harness.table(rows, ("implementation", "ms (median)", "time / PyTorch's")))


if __name__ == "__main__":
    main()
