"""Batch normalisation, forward + backward, float64: deepref against PyTorch CPU.

    python benchmarks/batchnorm.py

x (256, 512) in training mode; two threads for both. PyTorch is an optional peer.
"""

from __future__ import annotations

from typing import Any

import _harness  # first: it sets the thread counts before NumPy loads BLAS
import numpy as np

from reference.batchnorm import batchnorm_backward, batchnorm_train

SHAPE = (256, 512)


def measure() -> list[dict[str, Any]]:
    """Time both peers, after checking that they compute the same gradients."""
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
    return [_harness.record("batchnorm (training)", f"x {SHAPE}", seconds, peer="PyTorch")]


def main() -> None:
    """Print the table."""
    _harness.print_report(measure())


if __name__ == "__main__":
    main()
