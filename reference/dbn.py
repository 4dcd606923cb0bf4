r"""Deep belief nets: restricted Boltzmann machines stacked and trained one layer at a time.

A deep belief net (Hinton, Osindero & Teh 2006) is a stack of RBMs: the first models the data,
the second models the first one's hidden activities, and so on. Each new layer is trained,
greedily, on what the layers below produce from the data, and each can only raise a
variational lower bound on the data's log-likelihood: with its weights started at the
transpose of the layer below, the bound starts *equal* to the lower RBM's log-likelihood.
The top two layers form an RBM; the lower ones become directed, top-down generative
connections. Sampling runs Gibbs sampling in the top RBM, then one pass down. The stack's
weights also initialise a feed-forward network that labels then fine-tune. The page
``docs/dbn.md`` tells the whole story.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from reference import init as initialisers
from reference import rbm
from reference._validation import (
    as_positive_int,
    as_rows,
    describe,
    require_generator,
)
from reference.mlp import Params

__all__ = ["PROPAGATIONS", "dbn_to_mlp", "sample_dbn", "train_dbn", "variational_bound"]

#: What a layer of :func:`train_dbn` hands up to the next: hidden probabilities or samples.
PROPAGATIONS = ("probabilities", "samples")

RBM = tuple[np.ndarray, np.ndarray, np.ndarray]


def train_dbn(
    V: ArrayLike,
    sizes: Any,
    *,
    propagate: str = "probabilities",
    rng: np.random.Generator,
    **options: Any,
) -> list[RBM]:
    r"""Greedy layer-wise training: one RBM per hidden size, each on the activities below.

    The first RBM is trained on ``V`` by :func:`reference.rbm.train_rbm` with ``options``
    (``lr``, ``epochs``, ``batch_size``, ``k``, ...); the next on the first one's hidden
    activities of ``V``, and so on. The activities are the hidden **probabilities**
    $\sigma(b_h + vW)$ (Hinton's practical guide, section 3.2, for the data fed up) or, with
    ``propagate="samples"``, binary states drawn from them; a layer trained on probabilities
    sees real values in [0, 1], so only its first layer's data must be binary (the CD
    kernels accept real visible values; its exact functions do not). The same generator runs
    through every layer in order. No layer changes once it is trained.

    Returns
    -------
    list of (W, b_v, b_h)
        One RBM per entry of ``sizes``, bottom first.
    """
    func = "train_dbn"
    if not isinstance(sizes, (list, tuple)) or not sizes:
        raise ValueError(
            f"{func}: sizes must be a non-empty list of hidden sizes; got {describe(sizes)}"
        )
    if propagate not in PROPAGATIONS:
        raise ValueError(
            f"{func}: propagate must be one of {list(PROPAGATIONS)}; got {propagate!r}"
        )
    generator = require_generator(rng, func)
    activities = V
    stack: list[RBM] = []
    for index, size in enumerate(sizes):
        hidden = as_positive_int(size, func, f"sizes[{index}]")
        W, b_v, b_h, _ = rbm.train_rbm(
            activities,
            hidden,
            rng=generator,
            binary=index == 0 or propagate == "samples",
            **options,
        )
        stack.append((W, b_v, b_h))
        probabilities = rbm.hidden_probabilities(activities, W, b_h)
        activities = (
            probabilities
            if propagate == "probabilities"
            else (generator.random(probabilities.shape) < probabilities) * 1.0
        )
    return stack


def sample_dbn(stack: Any, n: int, *, gibbs_steps: int, rng: np.random.Generator) -> np.ndarray:
    r"""``n`` samples of the visible layer: Gibbs sampling in the top RBM, then one pass down.

    The top RBM's chains start at random binary visible states (probability 1/2) and run
    ``gibbs_steps`` full steps; each lower layer then draws its units from
    $p(v \mid h) = \sigma(b_v + W h)$ of its own RBM, top-down. The visible layer's
    probabilities are returned for the last step (the usual picture of a DBN's dreams) rather
    than a draw from them.

    Returns
    -------
    numpy.ndarray, shape (n, n_visible of the first RBM)
    """
    func = "sample_dbn"
    layers = _stack(func, stack)
    count = as_positive_int(n, func, "n")
    steps = as_positive_int(gibbs_steps, func, "gibbs_steps")
    generator = require_generator(rng, func)
    W, b_v, b_h = layers[-1]
    states = (generator.random((count, W.shape[0])) < 0.5) * 1.0
    for _ in range(steps):
        states, hidden = rbm.gibbs_step(states, W, b_v, b_h, generator)
    if len(layers) == 1:  # the top RBM is the whole net: its last step's p(v | h)
        return rbm.visible_probabilities(hidden, W, b_v)
    for index, (W, b_v, _) in enumerate(reversed(layers[:-1])):
        probabilities = rbm.visible_probabilities(states, W, b_v)
        bottom = index == len(layers) - 2
        states = (
            probabilities
            if bottom
            else (generator.random(probabilities.shape) < probabilities) * 1.0
        )
    return states


def dbn_to_mlp(stack: Any, classes: int, rng: np.random.Generator) -> tuple[Params, list[str]]:
    r"""A sigmoid network initialised by the stack: each RBM's $(W, b_h)$, then a softmax layer.

    The $l$-th layer computes $\sigma(a W_l + b_{h,l})$, the $l$-th RBM's hidden probabilities,
    so the network's hidden layers start as the DBN's recognition pass; the output layer of
    ``classes`` logits is Glorot-uniform from ``rng``, with zero bias. Train it with
    :func:`reference.mlp.train_classifier` (fine-tuning).

    Returns
    -------
    (params, activations)
        For :mod:`reference.mlp`: ``"sigmoid"`` for each RBM and ``"identity"`` for the logits.
    """
    func = "dbn_to_mlp"
    layers = _stack(func, stack)
    count = as_positive_int(classes, func, "classes")
    generator = require_generator(rng, func)
    top = layers[-1][0].shape[1]
    params = [(W.copy(), b_h.copy()) for W, _, b_h in layers]
    params.append((initialisers.glorot_uniform((top, count), generator), np.zeros(count)))
    return params, ["sigmoid"] * len(layers) + ["identity"]


def variational_bound(v: ArrayLike, stack: Any) -> np.ndarray:
    r"""The variational lower bound on $\log p(v)$ of a two-layer DBN, exactly (nats): (N,).

    With the first RBM's posterior $q(h \mid v) = \prod_j \sigma(b_h + vW_1)_j^{h_j}(\ldots)$
    as the approximating distribution, the first RBM's $p(v \mid h)$, and the second RBM's
    marginal $p_2(h)$ as the prior over $h$ (Hinton, Osindero & Teh 2006, section 4):

    $$\log p(v) \ge \sum_h q(h \mid v)\big[\log p_2(h) + \log p_1(v \mid h)
    - \log q(h \mid v)\big],$$

    summed over every state of $h$ (at most 20 units). With the second RBM at
    $(W_1^\top, b_{h,1}, b_{v,1})$ its marginal $p_2(h)$ is the first RBM's own $p_1(h)$, $q$
    is the exact posterior, and the bound equals the first RBM's $\log p_1(v)$.

    Raises
    ------
    ValueError
        For a stack that is not two RBMs whose sizes chain, non-binary ``v``, or more than
        20 units in the first hidden layer.
    """
    func = "variational_bound"
    layers = _stack(func, stack)
    if len(layers) != 2:
        raise ValueError(f"{func}: stack must be two RBMs (a two-layer DBN); got {len(layers)}")
    (W1, b_v1, b_h1), (W2, b_v2, b_h2) = layers
    data = as_rows(v, func, "v", W1.shape[0], "n_visible of the first RBM")
    rbm._require_binary(data, func, "v")
    hidden = W1.shape[1]
    if hidden > 20:
        raise ValueError(
            f"{func}: the bound enumerates the 2**{hidden} states of the first hidden layer; at "
            f"most 20 units can be enumerated"
        )
    every = ((np.arange(2**hidden).reshape(-1, 1) >> np.arange(hidden)) & 1).astype(np.float64)
    # log p_2(h) for every h: the second RBM's exact marginal of its visible layer
    log_prior = rbm.log_likelihood(every, W2, b_v2, b_h2)
    # log p_1(v | h) for every (v, h): independent Bernoulli units σ(b_v + W h)
    visible_inputs = every @ W1.T + b_v1
    log_visible = data @ visible_inputs.T - np.logaddexp(0.0, visible_inputs).sum(axis=1)
    # log q(h | v) for every (v, h), from the posterior's logits
    logits = data @ W1 + b_h1
    log_posterior = every @ logits.T - np.logaddexp(0.0, logits).sum(axis=1)[None, :]
    posterior = np.exp(log_posterior.T)  # (N, 2**hidden)
    return np.sum(posterior * (log_prior[None, :] + log_visible - log_posterior.T), axis=1)


def _stack(func: str, stack: Any) -> list[RBM]:
    if not isinstance(stack, (list, tuple)) or not stack:
        raise ValueError(
            f"{func}: stack must be a non-empty list of RBMs (W, b_v, b_h); got {describe(stack)}"
        )
    layers: list[RBM] = []
    for index, layer in enumerate(stack):
        if not isinstance(layer, (list, tuple)) or len(layer) != 3:
            raise ValueError(
                f"{func}: stack[{index}] must be an RBM (W, b_v, b_h); got {describe(layer)}"
            )
        W = np.asarray(layer[0], dtype=np.float64)
        b_v, b_h = np.asarray(layer[1], dtype=np.float64), np.asarray(layer[2], dtype=np.float64)
        if W.ndim != 2 or b_v.shape != (W.shape[0],) or b_h.shape != (W.shape[1],):
            raise ValueError(
                f"{func}: stack[{index}] must be W (n_visible, n_hidden), b_v (n_visible,) and "
                f"b_h (n_hidden,); got shapes {W.shape}, {b_v.shape}, {b_h.shape}"
            )
        if layers and layers[-1][0].shape[1] != W.shape[0]:
            raise ValueError(
                f"{func}: the sizes do not chain: stack[{index - 1}] has "
                f"{layers[-1][0].shape[1]} hidden units, stack[{index}] {W.shape[0]} visible ones"
            )
        layers.append((W, b_v, b_h))
    return layers
