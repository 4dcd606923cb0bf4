"""RNN, LSTM and GRU, forward + backward through time, float64: deepref against PyTorch CPU.

    python benchmarks/recurrent.py

T = 50 steps, N = 32 sequences, F = 64 features, H = 128 units; two threads for both,
interleaved in one run; both peers are first checked to compute the same outputs and
gradients. PyTorch is an optional peer.
"""

from __future__ import annotations

from typing import Any

import _harness  # first: it sets the thread counts before NumPy loads BLAS
import numpy as np

from reference import gru, lstm, rnn

STEPS, COUNT, FEATURES, HIDDEN = 50, 32, 64, 128


def _ours(kind: str, x: np.ndarray, params: list[np.ndarray], d_hs: np.ndarray):  # type: ignore[no-untyped-def]
    zeros = np.zeros((COUNT, HIDDEN))
    if kind == "RNN":
        w_x, w_h, b = rnn.from_torch(*params)
        return lambda: rnn.rnn_backward(d_hs, zeros, x, zeros, w_x, w_h, b)
    if kind == "LSTM":
        w_x, w_h, b = lstm.from_torch(*params)
        return lambda: lstm.lstm_backward(d_hs, zeros, zeros, x, zeros, zeros, w_x, w_h, b)
    weights = gru.from_torch(*params)
    return lambda: gru.gru_backward(d_hs, zeros, x, zeros, *weights, linear_before_reset=True)


def measure() -> list[dict[str, Any]]:
    """Time both peers for each layer, after checking that they compute the same dx."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((STEPS, COUNT, FEATURES))
    d_hs = rng.standard_normal((STEPS, COUNT, HIDDEN))
    torch = _harness.torch_or_none()
    records = []
    for kind, gates in (("RNN", 1), ("LSTM", 4), ("GRU", 3)):
        scale = 1 / np.sqrt(HIDDEN)
        params = [
            rng.uniform(-scale, scale, size)
            for size in (
                (gates * HIDDEN, FEATURES),
                (gates * HIDDEN, HIDDEN),
                gates * HIDDEN,
                gates * HIDDEN,
            )
        ]
        ours = _ours(kind, x, params, d_hs)
        cases = {"deepref": ours}
        if torch is not None:
            module = getattr(torch.nn, kind)(FEATURES, HIDDEN).double()
            with torch.no_grad():
                for name, value in zip(
                    ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"),
                    params,
                    strict=True,
                ):
                    getattr(module, name).copy_(torch.tensor(value))
            tx = torch.tensor(x, requires_grad=True)
            tdy = torch.tensor(d_hs)

            def peer(module=module, tx=tx, tdy=tdy) -> object:  # type: ignore[no-untyped-def]
                tx.grad = None
                module.zero_grad()
                out, _ = module(tx)
                out.backward(tdy)
                return tx.grad

            peer()
            assert np.allclose(ours()[0], tx.grad.numpy()), kind  # the same dx before timing
            cases["PyTorch"] = peer
        seconds = _harness.side_by_side(cases, repeats=7)
        size = f"T={STEPS} N={COUNT} F={FEATURES} H={HIDDEN}"
        records.append(_harness.record(f"{kind} (through time)", size, seconds, peer="PyTorch"))
    return records


def main() -> None:
    """Print the table."""
    _harness.print_report(measure())


if __name__ == "__main__":
    main()
