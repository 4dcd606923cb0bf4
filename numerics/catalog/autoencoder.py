"""Catalog entries of the autoencoder (:mod:`reference.autoencoder`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from scipy import special

from numerics import strategies as nst
from numerics.catalog import BadCall, Example, OpEntry, register
from reference import autoencoder

#: The activations as plain NumPy, for the independent computation.
_ACTIVATIONS = {"sigmoid": special.expit, "tanh": np.tanh, "identity": lambda z: z}


@st.composite
def _codes(draw: st.DrawFn) -> Example:
    """Codes in [0.05, 0.95] (a sigmoid layer's, away from the ends) and a target rho."""
    shape = (draw(st.integers(1, 6)), draw(st.integers(1, 5)))
    code = 0.5 + 0.9 * draw(nst.arrays(shape, scale=0.5))
    return Example((code,), {"rho": draw(st.floats(0.05, 0.95))})


def _kl_gauge(ex: Example) -> np.ndarray:
    """Per unit: |each term|, plus rho + (1 - rho) m/(1 - m), the slope in m times m.

    (The mean m errs relatively, so its error enters times m.)
    """
    (code,), rho = ex.inputs, ex.attrs["rho"]
    m = np.asarray(code).mean(axis=0)
    terms = np.abs(special.rel_entr(rho, m)) + np.abs(special.rel_entr(1.0 - rho, 1.0 - m))
    return np.asarray(np.sum(terms + rho + (1.0 - rho) * m / (1.0 - m)))


register(
    OpEntry(
        name="kl_sparsity",
        concept="autoencoder",
        forward=autoencoder.kl_sparsity,
        backward=autoencoder.kl_sparsity_backward,
        examples=_codes(),
        wrt=(0,),
        # per unit: N terms of the mean, a division, two quotients, two logs, two products and
        # a sum (8); then the units summed
        terms=lambda ex: int(np.shape(ex.inputs[0])[0] + 8 + np.shape(ex.inputs[0])[1]),
        gauge=_kl_gauge,
        independent=lambda code, rho: float(
            np.sum(
                special.rel_entr(rho, np.mean(code, axis=0))
                + special.rel_entr(1.0 - rho, 1.0 - np.mean(code, axis=0))
            )
        ),
        sample=Example((np.array([[0.2, 0.7], [0.4, 0.1]]),), {"rho": 0.1}),
        array_inputs=(0,),
        edge_cases=(
            ("every unit at the target: KL = 0", Example((np.full((3, 2), 0.3),), {"rho": 0.3})),
        ),
        errors=(
            BadCall(
                "rho = 1",
                Example((np.full((1, 2), 0.5),), {"rho": 1.0}),
                ValueError,
                r"rho must lie in \(0, 1\)",
            ),
            BadCall(
                "a code outside [0, 1] (a tanh layer's)",
                Example((np.array([[-0.5, 0.5]]),), {"rho": 0.1}),
                ValueError,
                r"code must lie in \[0, 1\]",
            ),
        ),
    )
)


@st.composite
def _signed_codes(draw: st.DrawFn) -> Example:
    shape = (draw(st.integers(1, 6)), draw(st.integers(1, 5)))
    return Example((draw(nst.away_from([0.0], 0.01, shape, scale=3.0)),))


register(
    OpEntry(
        name="l1_sparsity",
        concept="autoencoder",
        forward=autoencoder.l1_sparsity,
        backward=autoencoder.l1_sparsity_backward,
        examples=_signed_codes(),
        wrt=(0,),
        # N n_code absolute values summed, then a division
        terms=lambda ex: int(np.size(ex.inputs[0]) + 1),
        gauge=lambda ex: np.asarray(autoencoder.l1_sparsity(*ex.inputs)),
        independent=lambda code: float(np.abs(code).sum() / np.shape(code)[0]),
        sample=Example((np.array([[1.0, -2.0], [0.5, 3.0]]),)),
        array_inputs=(0,),
    )
)


@st.composite
def _autoencoder_examples(draw: st.DrawFn) -> Example:
    """A small autoencoder, its activations, loss and penalty, and a batch (with a target)."""
    rows, inputs, code = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 4))
    encoder = draw(st.sampled_from(autoencoder.CODE_ACTIVATIONS))
    decoder = draw(st.sampled_from(autoencoder.CODE_ACTIVATIONS))
    loss = draw(
        st.sampled_from(["squared", "cross_entropy"] if decoder == "sigmoid" else ["squared"])
    )
    penalties: list[Any] = [None]
    if encoder == "sigmoid":  # KL needs codes in (0, 1); L1 is smooth where codes stay > 0
        penalties += [
            ("kl", draw(st.floats(0.05, 0.5)), draw(st.floats(0.0, 2.0))),
            ("l1", draw(st.floats(0.0, 1.0))),
        ]
    # the cross-entropy's x (its own target by default) in [0.05, 0.95]: the gradient check's
    # steps (about 0.002) keep it in [0, 1]
    unit = loss == "cross_entropy"
    x = draw(nst.arrays((rows, inputs), scale=0.45 if unit else 2.0)) + (0.5 if unit else 0.0)
    attrs: dict[str, Any] = {
        "encoder_activation": encoder,
        "decoder_activation": decoder,
        "loss": loss,
        "sparsity": draw(st.sampled_from(penalties)),
    }
    if draw(st.booleans()):  # the clean target of a denoising autoencoder
        attrs["target"] = draw(nst.arrays((rows, inputs), scale=0.5)) + 0.5
    return Example(
        (
            x,
            draw(nst.arrays((inputs, code), scale=1.5)),
            draw(nst.arrays((code,), scale=1.0)),
            draw(nst.arrays((code, inputs), scale=1.5)),
            draw(nst.arrays((inputs,), scale=1.0)),
        ),
        attrs,
    )


def _independent_loss(
    x: np.ndarray,
    w_enc: np.ndarray,
    b_enc: np.ndarray,
    w_dec: np.ndarray,
    b_dec: np.ndarray,
    *,
    target: np.ndarray | None = None,
    encoder_activation: str = "sigmoid",
    decoder_activation: str = "sigmoid",
    loss: str = "squared",
    sparsity: Any = None,
) -> float:
    """The objective in whole-array NumPy and SciPy: expit, logaddexp, rel_entr."""
    t = x if target is None else target
    code = _ACTIVATIONS[encoder_activation](x @ w_enc + b_enc)
    a = code @ w_dec + b_dec
    if loss == "squared":
        value = 0.5 * np.sum((_ACTIVATIONS[decoder_activation](a) - t) ** 2) / len(x)
    else:
        value = np.sum(np.logaddexp(0.0, a) - t * a) / len(x)
    if sparsity and sparsity[0] == "kl":
        m = code.mean(axis=0)
        value += sparsity[2] * np.sum(
            special.rel_entr(sparsity[1], m) + special.rel_entr(1.0 - sparsity[1], 1.0 - m)
        )
    elif sparsity:
        value += sparsity[1] * np.abs(code).sum() / len(x)
    return float(value)


def _autoencoder_gauge(ex: Example) -> np.ndarray:
    """The objective's error majorant: each layer's error carried forward by slopes <= 1.

    zg = |x||W_e| + |b_e| bounds the pre-activation's error (over gamma); every activation here
    has slope <= 1, so the code errs by as much; ag = |c||W_d| + |b_d| + zg|W_d| for the
    decoder's pre-activation; the loss carries ag by its slope (|x_hat - t|, or 1 + |t| for
    the cross-entropy) plus its own terms; the penalties theirs.
    """
    x, w_enc, b_enc, w_dec, b_dec = (np.asarray(value) for value in ex.inputs)
    attrs = ex.attrs
    t = x if attrs.get("target") is None else np.asarray(attrs["target"])
    rows = len(x)
    zg = np.abs(x) @ np.abs(w_enc) + np.abs(b_enc)
    code = _ACTIVATIONS[attrs["encoder_activation"]](x @ w_enc + b_enc)
    a = code @ w_dec + b_dec
    ag = np.abs(code) @ np.abs(w_dec) + np.abs(b_dec) + zg @ np.abs(w_dec)
    if attrs["loss"] == "squared":
        residual = np.abs(_ACTIVATIONS[attrs["decoder_activation"]](a) - t)
        total = np.sum(residual * ag + 0.5 * residual**2) / rows
    else:
        total = np.sum((1.0 + np.abs(t)) * ag + np.logaddexp(0.0, a) + np.abs(t * a)) / rows
    sparsity = attrs.get("sparsity")
    if sparsity and sparsity[0] == "kl":
        rho, beta, m = sparsity[1], sparsity[2], code.mean(axis=0)
        slope = np.abs(-rho / m + (1.0 - rho) / (1.0 - m))
        kl = _kl_gauge(Example((code,), {"rho": rho}))
        total += beta * (kl + np.sum(slope * (zg.mean(axis=0) + m)))
    elif sparsity:
        total += sparsity[1] * np.sum(np.abs(code) + zg) / rows
    return np.asarray(total)


register(
    OpEntry(
        name="autoencoder_loss",
        concept="autoencoder",
        forward=autoencoder.autoencoder_loss,
        backward=autoencoder.autoencoder_loss_backward,
        examples=_autoencoder_examples(),
        wrt=(0, 1, 2, 3, 4),
        # the longest chain: n_input products into z, n_code into a, an activation and the
        # loss's few operations (8), the N n_input terms summed, the penalty's N + n_code + 8
        terms=lambda ex: int(
            np.size(ex.inputs[0])
            + 2 * np.shape(ex.inputs[1])[0]
            + 2 * np.shape(ex.inputs[1])[1]
            + 24
        ),
        gauge=_autoencoder_gauge,
        independent=_independent_loss,
        sample=Example(
            (
                np.array([[0.2, 0.9, 0.4]]),
                np.full((3, 2), 0.5),
                np.zeros(2),
                np.full((2, 3), 0.5),
                np.zeros(3),
            ),
            {"sparsity": ("kl", 0.1, 1.0)},
        ),
        array_inputs=(0, 1, 2, 3, 4),
        errors=(
            BadCall(
                "cross-entropy with a linear decoder",
                Example(
                    (np.full((1, 2), 0.5), np.eye(2), np.zeros(2), np.eye(2), np.zeros(2)),
                    {"decoder_activation": "identity", "loss": "cross_entropy"},
                ),
                ValueError,
                r"loss 'cross_entropy' needs decoder_activation 'sigmoid'",
            ),
            BadCall(
                "the KL penalty on tanh codes",
                Example(
                    (np.full((1, 2), 0.5), np.eye(2), np.zeros(2), np.eye(2), np.zeros(2)),
                    {"encoder_activation": "tanh", "sparsity": ("kl", 0.1, 1.0)},
                ),
                ValueError,
                r"the KL sparsity penalty needs encoder_activation 'sigmoid'",
            ),
            BadCall(
                "a decoder that does not fit the encoder",
                Example(
                    (np.ones((1, 2)), np.ones((2, 3)), np.zeros(3), np.ones((2, 2)), np.zeros(2))
                ),
                ValueError,
                r"w_dec must have shape \(3, 2\), w_enc's transposed",
            ),
            BadCall(
                "an unknown penalty",
                Example(
                    (np.ones((1, 2)), np.eye(2), np.zeros(2), np.eye(2), np.zeros(2)),
                    {"sparsity": ("l2", 0.1)},
                ),
                ValueError,
                r"sparsity must be None, \('kl', rho, beta\) or \('l1', lambda\)",
            ),
        ),
    )
)
