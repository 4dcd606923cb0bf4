"""One epoch of CD-1 on the binarised digits: deepref against scikit-learn's BernoulliRBM.

    python benchmarks/rbm.py

1 797 images of 8 x 8 binarised at half the grey range, 64 hidden units, batches of 10,
float64. deepref's ``train_rbm`` for one epoch against ``BernoulliRBM.partial_fit`` over the
same 180 batches, interleaved in one run. The two sample differently by design (deepref's
CD-1 starts its chains at the data, scikit-learn's one-step PCD keeps hidden chains), so what
is checked before timing is what both compute the same way: the hidden probabilities and the
free energy of the same RBM. scikit-learn is an optional peer.
"""

from __future__ import annotations

from typing import Any

import _harness  # first: it sets the thread counts before NumPy loads BLAS
import numpy as np

from reference import rbm

HIDDEN, BATCH = 64, 10


def measure() -> list[dict[str, Any]]:
    """Time both peers, after checking that they compute the same probabilities."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.neural_network import BernoulliRBM
    except ImportError:  # pragma: no cover - depends on the environment
        message = "the digits ship inside scikit-learn: pip install 'deepref[test]'"
        raise SystemExit(message) from None
    images = (load_digits().data / 16.0 > 0.5).astype(float)
    batches = [images[start : start + BATCH] for start in range(0, len(images), BATCH)]
    peer = BernoulliRBM(n_components=HIDDEN, learning_rate=0.05, batch_size=BATCH, random_state=0)
    peer.partial_fit(batches[0])
    W, b_v, b_h = peer.components_.T, peer.intercept_visible_, peer.intercept_hidden_
    assert np.allclose(rbm.hidden_probabilities(images, W, b_h), peer.transform(images))
    assert np.allclose(rbm.free_energy(images, W, b_v, b_h), peer._free_energy(images))

    def ours() -> object:
        return rbm.train_rbm(
            images,
            HIDDEN,
            lr=0.05,
            epochs=1,
            batch_size=BATCH,
            rng=np.random.default_rng(0),
            monitor=lambda *params: 0.0,
        )

    def theirs() -> object:
        for batch in batches:
            peer.partial_fit(batch)
        return peer

    seconds = _harness.side_by_side({"deepref": ours, "scikit-learn": theirs}, repeats=9)
    size = f"{len(images)} digits, {HIDDEN} hidden, batches of {BATCH}"
    return [_harness.record("RBM, an epoch of CD-1", size, seconds, peer="scikit-learn")]


def main() -> None:
    """Print the table."""
    _harness.print_report(measure())


if __name__ == "__main__":
    main()
