r"""Deep belief nets: restricted Boltzmann machines stacked and trained one layer at a time.

A deep belief net (Hinton, Osindero & Teh 2006) is a stack of RBMs: the first models the data,
the second models the first one's hidden activities, and so on. Each new layer is trained,
greedily, on what the layers below produce from the data, and each can only raise a
variational lower bound on the data's log-likelihood: with its weights started at the
transpose of the layer below, the bound starts *equal* to the lower RBM's log-likelihood.
The top two layers form an RBM; the lower ones become directed, top-down generative
connections. Sampling runs Gibbs sampling in the top RBM, then one pass down. The stack's
weights also initialise a feed-forward network that labels then fine-tune. The page
[Deep belief nets][deep-belief-nets] tells the whole story.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numba.typed import List
from numpy.typing import ArrayLike

from reference import init as initialisers
from reference import rbm
from reference._validation import (
    as_float_array,
    as_positive_int,
    as_real,
    as_rows,
    describe,
    require_finite,
    require_generator,
)
from reference.mlp import Params

__all__ = [
    "HIDDEN_LIMIT",
    "PROPAGATIONS",
    "DeepBeliefNet",
    "HelmholtzMachine",
    "bars",
    "bars_distribution",
    "dbn_to_mlp",
    "kl_divergence",
    "log_likelihood",
    "sample",
    "sample_dbn",
    "train_dbn",
    "train_up_down",
    "train_wake_sleep",
    "untie",
    "up_down_step",
    "variational_bound",
    "wake_sleep_step",
]

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

    $$\begin{aligned}
    \log p(v) &\ge \sum_h q(h \mid v)\big[\log p_2(h) + \log p_1(v \mid h)\\
    &\qquad - \log q(h \mid v)\big],
    \end{aligned}$$

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


# -- the Helmholtz machine and wake-sleep ---------------------------------------------------

#: At most this many hidden units in all for the exact :func:`log_likelihood`.
HIDDEN_LIMIT = 20


@dataclass(frozen=True)
class HelmholtzMachine:
    r"""A sigmoid belief net with its recognition net: layers ``sizes = [n_0, ..., n_L]``.

    Layer 0 is the visible one, layer $L$ the top. The **generative** weights run down:
    the top units are independent, $p(s_{L,j} = 1) = \sigma(g_{\mathrm{top}})_j$, and for
    $l = L-1$ down to 0, $p(s_l = 1 \mid s_{l+1}) = \sigma(s_{l+1} G_l + g_l)$ unit by unit.
    The **recognition** weights run up: $q(s_{l+1} = 1 \mid s_l) = \sigma(s_l R_l + r_l)$.

    Fields
    ------
    sizes : tuple of int, L + 1 entries
    g_top : numpy.ndarray, shape (n_L,)
    G, g : tuples of L arrays
        ``G[l]`` of shape ``(n_{l+1}, n_l)``, ``g[l]`` of shape ``(n_l,)``.
    R, r : tuples of L arrays
        ``R[l]`` of shape ``(n_l, n_{l+1})``, ``r[l]`` of shape ``(n_{l+1},)``.

    The constructor copies every array into float64 (lists are accepted) and checks that the
    shapes chain; a machine is never changed afterwards (the learning functions return a new
    one).
    """

    sizes: Sequence[int]
    g_top: np.ndarray
    G: Sequence[np.ndarray]
    g: Sequence[np.ndarray]
    R: Sequence[np.ndarray]
    r: Sequence[np.ndarray]

    def __post_init__(self) -> None:
        func = "HelmholtzMachine"
        sizes = _sizes(func, self.sizes)
        fields = _directed_layers(func, self, sizes)
        fields["g_top"] = _array(func, "g_top", self.g_top, (sizes[-1],))
        for name, value in fields.items():
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class DeepBeliefNet:
    r"""A deep belief net with untied weights, for up-down fine-tuning: ``sizes = [n_0, ..., n_L]``.

    The top two layers form an RBM, ``top = (W, b_v, b_h)`` with ``W (n_{L-1}, n_L)``; below
    it the layers are a Helmholtz machine's, directed generative weights ``G[l], g[l]`` and
    recognition weights ``R[l], r[l]`` for ``l = 0, ..., L-2``, shaped as in
    :class:`HelmholtzMachine`. :func:`untie` makes one from a greedily trained stack, whose
    weights serve both directions until fine-tuning lets them differ.
    """

    sizes: Sequence[int]
    top: Sequence[np.ndarray]
    G: Sequence[np.ndarray]
    g: Sequence[np.ndarray]
    R: Sequence[np.ndarray]
    r: Sequence[np.ndarray]

    def __post_init__(self) -> None:
        func = "DeepBeliefNet"
        sizes = _sizes(func, self.sizes)
        if len(sizes) < 3:
            raise ValueError(
                f"{func}: sizes must name at least three layers (directed ones below a top RBM); "
                f"got {list(sizes)}"
            )
        fields = _directed_layers(func, self, sizes[:-1])
        fields["sizes"] = sizes
        if not isinstance(self.top, (list, tuple)) or len(self.top) != 3:
            raise ValueError(f"{func}: top must be an RBM (W, b_v, b_h); got {describe(self.top)}")
        below, above = sizes[-2], sizes[-1]
        fields["top"] = tuple(
            _array(func, f"top[{index}]", array, shape)
            for index, (array, shape) in enumerate(
                zip(self.top, ((below, above), (below,), (above,)), strict=True)
            )
        )
        for name, value in fields.items():
            object.__setattr__(self, name, value)


def wake_sleep_step(
    machine: HelmholtzMachine,
    v: ArrayLike,
    *,
    lr: float | tuple[float, float],
    rng: np.random.Generator,
) -> HelmholtzMachine:
    r"""One step of wake-sleep on the rows of ``v``: a new machine (``machine`` is unchanged).

    **Wake.** Each row goes up through the recognition weights, every layer sampled,
    $s_{l+1} \sim q(\cdot \mid s_l)$, and the generative weights learn to reproduce each
    layer from the one above (the delta rule, the gradient of $\log p(s_0, \ldots, s_L)$
    at those states):

    $$\begin{aligned}
    \Delta g_{\mathrm{top}} &= \eta\,\langle s_L - \sigma(g_{\mathrm{top}})\rangle,\\
    \Delta G_l &= \eta\,\langle s_{l+1}^\top (s_l - p_l)\rangle,\\
    \Delta g_l &= \eta\,\langle s_l - p_l\rangle,\quad p_l = \sigma(s_{l+1} G_l + g_l).
    \end{aligned}$$

    **Sleep.** One dream per row is drawn top-down from the generative weights, and the
    recognition weights learn to recover its causes (the gradient of
    $\log q(s_1, \ldots, s_L \mid s_0)$ at the dream's states):

    $$\begin{aligned}
    \Delta R_l &= \eta'\,\langle s_l^\top (s_{l+1} - q_{l+1})\rangle,\\
    \Delta r_l &= \eta'\,\langle s_{l+1} - q_{l+1}\rangle,\\
    q_{l+1} &= \sigma(s_l R_l + r_l).
    \end{aligned}$$

    $\langle\cdot\rangle$ is the mean over the rows. Every unit is drawn as $[u < p]$ with $u$
    uniform on [0, 1) from ``rng``: the wake pass layer by layer upward (one array of shape
    ``(N, n_l)`` per layer), then the dream from the top down; both use the machine as
    given, and both updates are made after them.

    Parameters
    ----------
    machine : HelmholtzMachine
    v : array_like, shape (N, n_0)
        Binary rows.
    lr : float or (float, float)
        The learning rate $\eta$ of both phases, or $(\eta, \eta')$: the wake phase's
        (generative) and the sleep phase's (recognition).
    rng : numpy.random.Generator
    """
    func = "wake_sleep_step"
    machine = _machine(func, machine)
    data = as_rows(v, func, "v", machine.sizes[0], "n_0 of the machine's sizes")
    rbm._require_binary(data, func, "v")
    wake_rate, sleep_rate = _rates(func, lr)
    generator = require_generator(rng, func)
    learned = _copy(machine)
    _run_wake_sleep(learned, data, 1, data.shape[0], False, wake_rate, sleep_rate, generator)
    return learned


def train_wake_sleep(
    V: ArrayLike,
    sizes: Any,
    *,
    lr: float | tuple[float, float],
    steps: int,
    batch_size: int = 1,
    rng: np.random.Generator,
    init: HelmholtzMachine | None = None,
) -> tuple[HelmholtzMachine, np.ndarray]:
    r"""Train a Helmholtz machine on the binary rows of ``V`` by wake-sleep.

    Unless ``init`` gives the start (to continue a run: nothing is drawn for it then), every
    weight and bias starts at zero, generative and recognition alike: every unit is then on
    with probability 1/2 and the sampling itself breaks the symmetry (as in Hinton, Dayan,
    Frey & Neal 1995).

    Each of the ``steps`` is one :func:`wake_sleep_step` on ``batch_size`` rows of ``V``
    drawn with replacement, row $\lfloor uN \rfloor$ for $u$ uniform on [0, 1) from ``rng``
    just before the step's own draws; the whole loop is one compiled kernel.

    Returns
    -------
    (machine, history)
        The trained machine and, for each step, the mean over its rows of the sampled
        *description length* $\log q(s_1, \ldots, s_L \mid v) - \log p(v, s_1, \ldots, s_L)$
        at the wake pass's states (nats). Its expectation is the variational free energy,
        never below $-\log p(v)$: what wake-sleep lowers, seen through one sample per row.

    References
    ----------
    G. E. Hinton, P. Dayan, B. J. Frey & R. M. Neal, "The wake-sleep algorithm for
    unsupervised neural networks", Science 268 (1995).
    """
    func = "train_wake_sleep"
    data = as_float_array(V, func, "V", ndim=2, layout="(N, n_0)")
    rbm._require_binary(data, func, "V")
    if data.shape[0] == 0:
        raise ValueError(f"{func}: V must hold at least one row; got shape {data.shape}")
    layers = _sizes(func, sizes)
    if layers[0] != data.shape[1]:
        raise ValueError(
            f"{func}: sizes[0] must be V's number of columns, {data.shape[1]}; got {layers[0]}"
        )
    wake_rate, sleep_rate = _rates(func, lr)
    count = as_positive_int(steps, func, "steps")
    size = as_positive_int(batch_size, func, "batch_size")
    generator = require_generator(rng, func)
    if init is None:
        pairs = list(itertools.pairwise(layers))
        machine = HelmholtzMachine(
            sizes=layers,
            g_top=np.zeros(layers[-1]),
            G=[np.zeros((above, below)) for below, above in pairs],
            g=[np.zeros(below) for below, _ in pairs],
            R=[np.zeros((below, above)) for below, above in pairs],
            r=[np.zeros(above) for _, above in pairs],
        )
    else:
        machine = _copy(_machine(func, init))
        if machine.sizes != layers:
            raise ValueError(
                f"{func}: init's sizes {list(machine.sizes)} are not sizes {list(layers)}"
            )
    history = _run_wake_sleep(machine, data, count, size, True, wake_rate, sleep_rate, generator)
    return machine, history


def sample(machine: HelmholtzMachine, n: int, *, rng: np.random.Generator) -> np.ndarray:
    r"""``n`` dreams of the machine: binary visible states drawn top-down, shape (n, n_0).

    The top layer from $\sigma(g_{\mathrm{top}})$, then each layer below from
    $p(s_l \mid s_{l+1})$, each unit $[u < p]$ with $u$ from ``rng``: the sleep phase's draws.
    """
    func = "sample"
    machine = _machine(func, machine)
    count = as_positive_int(n, func, "n")
    generator = require_generator(rng, func)
    G, g, _, _ = _layers(machine)
    return _down(_draw_top(count, machine.g_top, generator), G, g, generator)[0]


def log_likelihood(machine: HelmholtzMachine | DeepBeliefNet, v: ArrayLike) -> np.ndarray:
    r"""$\log p(v)$ of each binary row under the generative model, exactly (nats): shape (N,).

    Every hidden layer is summed out in turn, top-down, by enumerating its states:

    $$\begin{aligned}
    m_L(s_L) &= \log p(s_L),\\
    m_l(s_l) &= \log \sum_{s_{l+1}} e^{m_{l+1}(s_{l+1})}\, p(s_l \mid s_{l+1}),\\
    \log p(v) &= \log\sum_{s_1} e^{m_1(s_1)}\, p(v \mid s_1),
    \end{aligned}$$

    each log-sum-exp at its own maximum. For a :class:`DeepBeliefNet` the top message is the
    top RBM's exact marginal of its visible layer, $m_{L-1} = \log p_{\mathrm{RBM}}(s_{L-1})$.

    Raises
    ------
    ValueError
        When the layers to enumerate (every hidden layer of a Helmholtz machine; a deep
        belief net's below its top layer) have more than :data:`HIDDEN_LIMIT` units in all.
    """
    func = "log_likelihood"
    _generative(func, machine)
    data = as_rows(v, func, "v", machine.sizes[0], "n_0 of the machine's sizes")
    rbm._require_binary(data, func, "v")
    enumerated = machine.sizes[1:-1] if isinstance(machine, DeepBeliefNet) else machine.sizes[1:]
    if sum(enumerated) > HIDDEN_LIMIT:
        raise ValueError(
            f"{func}: the exact value enumerates every hidden state; the machine has "
            f"{sum(enumerated)} hidden units to enumerate (sizes {list(machine.sizes)}), at "
            f"most {HIDDEN_LIMIT} can be enumerated"
        )
    states = [_every_state(size) for size in enumerated]
    if isinstance(machine, DeepBeliefNet):  # m_{L-1}: the top RBM's marginal of its visible layer
        message = rbm.log_likelihood(states[-1], *machine.top)
    else:  # m_L: the top layer's independent units
        message = _log_bernoulli(states[-1], machine.g_top[None, :])
    for layer in range(len(states) - 1, 0, -1):
        below, above = states[layer - 1], states[layer]
        message = _sum_out(below, above, machine.G[layer], machine.g[layer], message)
    # the data's rows in blocks, so that no block's table passes 2**22 entries
    block = max(1, 2**22 // len(states[0]))
    return np.concatenate(
        [
            _sum_out(data[start : start + block], states[0], machine.G[0], machine.g[0], message)
            for start in range(0, max(len(data), 1), block)
        ]
    )[: len(data)]


def kl_divergence(machine: HelmholtzMachine, images: ArrayLike, probabilities: ArrayLike) -> float:
    r"""$\mathrm{KL}(P \,\|\, p) = \sum_x P(x) \log_2 \frac{P(x)}{p(x)}$ in **bits**, exactly.

    ``images`` (M, n_0) are the distinct binary vectors the data distribution $P$ gives
    probability to, with ``probabilities`` (M,) summing to 1 (:func:`bars_distribution`
    gives them for the bars); $p$ is the machine's exact :func:`log_likelihood`.
    """
    func = "kl_divergence"
    _generative(func, machine)
    support = as_rows(images, func, "images", machine.sizes[0], "n_0 of the machine's sizes")
    weights = as_float_array(probabilities, func, "probabilities", ndim=1, layout="(M,)")
    if weights.shape != (support.shape[0],) or (weights <= 0.0).any():
        raise ValueError(
            f"{func}: probabilities must hold one positive probability per row of images "
            f"({support.shape[0]}); got {describe(weights)}"
        )
    # M probabilities sum to 1 up to the rounding of their M - 1 additions (as for the losses)
    if abs(weights.sum() - 1.0) > weights.size * np.finfo(np.float64).eps:
        raise ValueError(f"{func}: probabilities must sum to 1; got {weights.sum()!r}")
    model = log_likelihood(machine, support)
    return float(np.sum(weights * (np.log(weights) - model)) / np.log(2.0))


def untie(stack: Any) -> DeepBeliefNet:
    r"""The DBN of a greedily trained stack, its weights untied for up-down fine-tuning.

    Each RBM below the top one, $(W_l, b_{v,l}, b_{h,l})$, gives recognition weights
    $R_l = W_l$, $r_l = b_{h,l}$ and generative weights $G_l = W_l^\top$, $g_l = b_{v,l}$
    (copies); the top RBM stays as it is. The net is the stack's own generative model, the
    same $p(v)$ as :func:`sample_dbn` draws from, until fine-tuning moves the two directions
    apart.
    """
    func = "untie"
    layers = _stack(func, stack)
    if len(layers) < 2:
        raise ValueError(
            f"{func}: stack must hold at least two RBMs (one becomes the top); got {len(layers)}"
        )
    sizes = [layers[0][0].shape[0], *(W.shape[1] for W, _, _ in layers)]
    below = layers[:-1]
    return DeepBeliefNet(
        sizes=sizes,
        top=layers[-1],
        G=[W.T for W, _, _ in below],
        g=[b_v for _, b_v, _ in below],
        R=[W for W, _, _ in below],
        r=[b_h for _, _, b_h in below],
    )


def up_down_step(
    net: DeepBeliefNet, v: ArrayLike, *, lr: float, k: int = 1, rng: np.random.Generator
) -> DeepBeliefNet:
    r"""One step of the up-down algorithm (Hinton, Osindero & Teh 2006): a new net.

    **Up.** Each row goes up through the recognition weights, every layer sampled, to the
    top RBM's visible layer $s_{L-1}$; the generative weights learn to reproduce each layer
    from the one above, as in :func:`wake_sleep_step`'s wake phase.

    **The top.** The top RBM learns by CD-k from $s_{L-1}$, exactly
    :func:`reference.rbm.cd_gradient` with ``k`` and the same generator:
    $\Delta\theta = \eta\,\Delta\theta_{\mathrm{CD}}$.

    **Down.** From the state its chains reach (sampled binary), one pass down through the
    generative weights, every layer sampled; the recognition weights learn to recover each
    layer's cause, as in the sleep phase.

    The draws come in that order (up, the CD-k chain, down), all from the net as given; the
    updates are made after them. The paper's top RBM also holds the labels; this is the
    unsupervised form.

    Parameters
    ----------
    net : DeepBeliefNet
    v : array_like, shape (N, n_0)
        Binary rows.
    lr : float
        The learning rate $\eta$ of all three parts.
    k : int, default 1
        Gibbs steps in the top RBM.
    rng : numpy.random.Generator
    """
    func = "up_down_step"
    net = _net(func, net)
    data = as_rows(v, func, "v", net.sizes[0], "n_0 of the net's sizes")
    rbm._require_binary(data, func, "v")
    rate = as_real(lr, func, "lr", strictly_positive=True, finite=True)
    steps = as_positive_int(k, func, "k")
    generator = require_generator(rng, func)
    learned = _copy(net)
    _run_up_down(learned, data, 1, data.shape[0], False, steps, rate, generator)
    return learned


def train_up_down(
    net: DeepBeliefNet,
    V: ArrayLike,
    *,
    lr: float,
    steps: int,
    batch_size: int = 1,
    k: int = 1,
    rng: np.random.Generator,
) -> DeepBeliefNet:
    r"""Fine-tune a deep belief net by ``steps`` of :func:`up_down_step` (``net`` is unchanged).

    Each step takes ``batch_size`` rows of ``V`` drawn with replacement, row $\lfloor uN
    \rfloor$ for $u$ uniform on [0, 1) from ``rng`` just before the step's own draws; the
    whole loop is one compiled kernel. Start from :func:`untie` of a greedily trained stack.
    """
    func = "train_up_down"
    net = _copy(_net(func, net))
    data = as_rows(V, func, "V", net.sizes[0], "n_0 of the net's sizes")
    rbm._require_binary(data, func, "V")
    if data.shape[0] == 0:
        raise ValueError(f"{func}: V must hold at least one row; got shape {data.shape}")
    rate = as_real(lr, func, "lr", strictly_positive=True, finite=True)
    count = as_positive_int(steps, func, "steps")
    size = as_positive_int(batch_size, func, "batch_size")
    gibbs = as_positive_int(k, func, "k")
    generator = require_generator(rng, func)
    _run_up_down(net, data, count, size, True, gibbs, rate, generator)
    return net


def bars(n: int, rng: np.random.Generator) -> np.ndarray:
    r"""``n`` images of the bars problem (Hinton, Dayan, Frey & Neal 1995): shape (n, 4, 4).

    Each image is vertical with probability 2/3, else horizontal; each of its four bars
    (columns if vertical, rows if horizontal) is on with probability 0.2, independently.
    From ``rng``: ``u = rng.random(n)`` (vertical when $u < 2/3$), then
    ``rng.random((n, 4))`` for the bars ($[u < 0.2]$).
    """
    func = "bars"
    count = as_positive_int(n, func, "n")
    generator = require_generator(rng, func)
    vertical = generator.random(count) < 2.0 / 3.0
    on = (generator.random((count, 4)) < 0.2) * 1.0
    columns = np.repeat(on[:, None, :], 4, axis=1)  # image[row, column] = on[column]
    return np.where(vertical[:, None, None], columns, columns.transpose(0, 2, 1))


def bars_distribution() -> tuple[np.ndarray, np.ndarray]:
    r"""Every distinct image of :func:`bars` with its exact probability.

    The blank image arises from both orientations, $0.8^4$ each way; so does the full one,
    $0.2^4$; the other 28 from one orientation only. Entropy 3.428 bits.

    Returns
    -------
    (images, probabilities)
        ``images`` shape (30, 16), each 4 x 4 image in row-major order; ``probabilities``
        shape (30,), summing to 1.
    """
    found: dict[bytes, float] = {}
    for orientation, weight in ((0, 2.0 / 3.0), (1, 1.0 / 3.0)):
        for on in _every_state(4):
            image = np.repeat(on[None, :], 4, axis=0)
            image = image if orientation == 0 else image.T
            key = np.ascontiguousarray(image).tobytes()
            chance = weight * np.prod(np.where(on == 1.0, 0.2, 0.8))
            found[key] = found.get(key, 0.0) + chance
    images = np.array([np.frombuffer(key, dtype=np.float64) for key in found])
    return images, np.array(list(found.values()))


def _directed_layers(func: str, net: Any, sizes: tuple[int, ...]) -> dict[str, Any]:
    """The checked copies of ``net``'s G, g, R and r for the directed layers of ``sizes``."""
    depth = len(sizes) - 1
    fields: dict[str, Any] = {"sizes": sizes}
    for name, shape in (
        ("G", lambda layer: (sizes[layer + 1], sizes[layer])),
        ("g", lambda layer: (sizes[layer],)),
        ("R", lambda layer: (sizes[layer], sizes[layer + 1])),
        ("r", lambda layer: (sizes[layer + 1],)),
    ):
        arrays = getattr(net, name)
        if not isinstance(arrays, (list, tuple)) or len(arrays) != depth:
            raise ValueError(
                f"{func}: {name} must be a list of {depth} arrays, one per pair of directed "
                f"layers of sizes {list(sizes)}; got {describe(arrays)}"
            )
        fields[name] = tuple(
            _array(func, f"{name}[{layer}]", array, shape(layer))
            for layer, array in enumerate(arrays)
        )
    return fields


def _sizes(func: str, sizes: Any) -> tuple[int, ...]:
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(
            f"{func}: sizes must be a list of at least two layer sizes, [n_0 (visible), ..., "
            f"n_L (top)]; got {describe(sizes)}"
        )
    return tuple(as_positive_int(size, func, f"sizes[{layer}]") for layer, size in enumerate(sizes))


def _array(func: str, name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    array = np.array(value, dtype=np.float64, order="C")  # a copy: the machine owns it
    if array.shape != shape:
        raise ValueError(f"{func}: {name} must have shape {shape}; got shape {array.shape}")
    require_finite(array, func, name)
    return array


def _generative(func: str, machine: Any) -> None:
    if not isinstance(machine, (HelmholtzMachine, DeepBeliefNet)):
        raise TypeError(
            f"{func}: machine must be a HelmholtzMachine or a DeepBeliefNet; got "
            f"{describe(machine)}"
        )


def _net(func: str, net: Any) -> DeepBeliefNet:
    if not isinstance(net, DeepBeliefNet):
        raise TypeError(f"{func}: net must be a DeepBeliefNet (see untie); got {describe(net)}")
    return net


def _machine(func: str, machine: Any) -> HelmholtzMachine:
    if not isinstance(machine, HelmholtzMachine):
        raise TypeError(f"{func}: machine must be a HelmholtzMachine; got {describe(machine)}")
    return machine


def _copy(machine: Any) -> Any:
    """A copy with arrays of its own (the constructor copies every array)."""
    return type(machine)(**{name: getattr(machine, name) for name in machine.__dataclass_fields__})


def _layers(machine: Any) -> tuple[Any, Any, Any, Any]:
    """G, g, R and r for the kernels, in typed lists, which share the arrays' memory.

    One typed list type for every depth, so that the kernels compile once, not once per depth.
    """
    return List(machine.G), List(machine.g), List(machine.R), List(machine.r)


def _run_wake_sleep(
    machine: HelmholtzMachine,
    data: np.ndarray,
    steps: int,
    batch: int,
    draw_rows: bool,
    wake_rate: float,
    sleep_rate: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Wake-sleep steps on ``machine``'s own arrays, changed in place: each step's length."""
    G, g, R, r = _layers(machine)
    return _wake_sleep_kernel(
        data, steps, batch, draw_rows, machine.g_top, G, g, R, r, wake_rate, sleep_rate, rng
    )


def _run_up_down(
    net: DeepBeliefNet,
    data: np.ndarray,
    steps: int,
    batch: int,
    draw_rows: bool,
    k: int,
    rate: float,
    rng: np.random.Generator,
) -> None:
    """Up-down steps on ``net``'s own arrays, changed in place."""
    W, b_v, b_h = net.top
    G, g, R, r = _layers(net)
    _up_down_kernel(data, steps, batch, draw_rows, W, b_v, b_h, G, g, R, r, k, rate, rng)


def _rates(func: str, lr: Any) -> tuple[float, float]:
    if isinstance(lr, tuple):
        if len(lr) != 2:
            raise ValueError(
                f"{func}: lr must be a rate or a pair (wake rate, sleep rate); got {lr!r}"
            )
        return tuple(  # type: ignore[return-value]
            as_real(rate, func, f"lr[{i}]", strictly_positive=True, finite=True)
            for i, rate in enumerate(lr)
        )
    rate = as_real(lr, func, "lr", strictly_positive=True, finite=True)
    return rate, rate


def _every_state(units: int) -> np.ndarray:
    """All 2**units binary states, shape (2**units, units), unit 0 the lowest bit."""
    return ((np.arange(2**units).reshape(-1, 1) >> np.arange(units)) & 1).astype(np.float64)


def _sum_out(
    below: np.ndarray, above: np.ndarray, G: np.ndarray, g: np.ndarray, message: np.ndarray
) -> np.ndarray:
    """The sum over s_{l+1} of e^{m(s_{l+1})} p(s_l | s_{l+1}), in logs, per row s_l of below."""
    # p(s_l | s_{l+1}) = σ(s_{l+1} G_l + g_l) unit by unit, for every state s_{l+1} above
    inputs = above @ G + g
    # log p(s_l | s_{l+1}) for every pair: rows s_l, columns s_{l+1}
    log_conditional = below @ inputs.T - rbm._softplus(inputs).sum(axis=1)[None, :]
    return _log_sum_exp(message[None, :] + log_conditional)


def _log_sum_exp(a: np.ndarray) -> np.ndarray:
    """Log Σ_j e^{a_ij} of each row, at the row's maximum (a row of -inf gives -inf)."""
    top = a.max(axis=1)
    shift = np.where(np.isfinite(top), top, 0.0)
    return shift + np.log(np.exp(a - shift[:, None]).sum(axis=1))


@numba.njit(cache=True)
def _log_bernoulli(states: np.ndarray, a: np.ndarray) -> np.ndarray:
    # log p(s) = Σ_j s_j a_j − softplus(a_j) for binary s with p(s_j = 1) = σ(a_j), per row
    return (states * a - rbm._softplus(a)).sum(axis=1)


@numba.njit(cache=True)
def _draw(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # s = [u < σ(a)], u uniform on [0, 1)
    return (rng.random(a.shape) < rbm._sigmoid(a)) * 1.0


@numba.njit(cache=True)
def _draw_top(rows: int, g_top: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # the top layer's independent units, s_L = [u < σ(g_top)] in each of the rows
    return _draw(np.zeros((rows, g_top.shape[0])) + g_top, rng)


@numba.njit(cache=True)
def _up(
    v: np.ndarray, R: Any, r: Any, rng: np.random.Generator
) -> tuple[list[np.ndarray], np.ndarray]:
    states = [v]
    log_q = np.zeros(v.shape[0])
    for layer in range(len(R)):
        a = np.dot(states[layer], R[layer]) + r[layer]
        # s_{l+1} ~ q(s_{l+1} | s_l) = σ(s_l R_l + r_l)
        states.append(_draw(a, rng))
        # log q(s_1, ..., s_L | v) adds log q(s_{l+1} | s_l)
        log_q += _log_bernoulli(states[layer + 1], a)
    return states, log_q


@numba.njit(cache=True)
def _down(top: np.ndarray, G: Any, g: Any, rng: np.random.Generator) -> list[np.ndarray]:
    states = [top]
    for layer in range(len(G) - 1, -1, -1):
        # s_l ~ p(s_l | s_{l+1}) = σ(s_{l+1} G_l + g_l), inserted below the layers drawn
        states.insert(0, _draw(np.dot(states[0], G[layer]) + g[layer], rng))
    return states


@numba.njit(cache=True)
def _delta_rule(
    cause: np.ndarray, target: np.ndarray, weights: np.ndarray, bias: np.ndarray, rate: float
) -> np.ndarray:
    rows = cause.shape[0]
    # a = cause W + b: the logits of the target's units
    a = np.dot(cause, weights) + bias
    # the error of predicting the target from its cause
    error = target - rbm._sigmoid(a)
    # W ← W + η ⟨causeᵀ error⟩
    weights += rate * np.dot(np.ascontiguousarray(cause.T), error) / rows
    # b ← b + η ⟨error⟩
    bias += rate * error.sum(axis=0) / rows
    # log p(target | cause) of each row, at the weights before the step
    return _log_bernoulli(target, a)


@numba.njit(cache=True)
def _rows(data: np.ndarray, batch: int, draw: bool, rng: np.random.Generator) -> np.ndarray:
    # the step's rows: row ⌊u N⌋ for each of batch u uniform on [0, 1), or all of them
    return data[(rng.random(batch) * data.shape[0]).astype(np.int64)] if draw else data


@numba.njit(cache=True)
def _wake_sleep_kernel(
    data: np.ndarray,
    steps: int,
    batch: int,
    draw_rows: bool,
    g_top: np.ndarray,
    G: Any,
    g: Any,
    R: Any,
    r: Any,
    wake_rate: float,
    sleep_rate: float,
    rng: np.random.Generator,
) -> np.ndarray:
    depth = len(G)
    lengths = np.empty(steps)
    for step in range(steps):
        v = _rows(data, batch, draw_rows, rng)
        rows = v.shape[0]
        # wake: a stochastic pass up through the recognition weights
        wake, log_q = _up(v, R, r, rng)
        # sleep: one dream per row, down through the generative weights
        dream = _down(_draw_top(rows, g_top, rng), G, g, rng)
        # wake learning: g_top ← g_top + η ⟨s_L − σ(g_top)⟩ ...
        top = np.zeros((rows, g_top.shape[0])) + g_top
        log_p = _log_bernoulli(wake[depth], top)
        g_top += wake_rate * (wake[depth] - rbm._sigmoid(top)).sum(axis=0) / rows
        # ... and each layer's generative weights learn to predict it from the layer above
        for layer in range(depth):
            log_p += _delta_rule(wake[layer + 1], wake[layer], G[layer], g[layer], wake_rate)
        # sleep learning: each layer's recognition weights learn to recover the dream's causes
        for layer in range(depth):
            _delta_rule(dream[layer], dream[layer + 1], R[layer], r[layer], sleep_rate)
        # the description length log q(s | v) − log p(v, s), averaged over the rows
        lengths[step] = (log_q - log_p).sum() / rows
    return lengths


@numba.njit(cache=True)
def _up_down_kernel(
    data: np.ndarray,
    steps: int,
    batch: int,
    draw_rows: bool,
    W: np.ndarray,
    b_v: np.ndarray,
    b_h: np.ndarray,
    G: Any,
    g: Any,
    R: Any,
    r: Any,
    k: int,
    rate: float,
    rng: np.random.Generator,
) -> None:
    depth = len(G)
    for _ in range(steps):
        v = _rows(data, batch, draw_rows, rng)
        # up: a stochastic pass through the recognition weights to the top RBM's visible layer
        wake, _ = _up(v, R, r, rng)
        # the top RBM: CD-k from the up pass's state of its visible layer
        d_W, d_b_v, d_b_h, reached = rbm._cd_kernel(wake[depth], wake[depth], W, b_v, b_h, k, rng)
        # down: from the state the chains reached, through the generative weights
        sleep = _down(reached, G, g, rng)
        # the generative weights learn to predict each layer of the up pass from the one above
        for layer in range(depth):
            _delta_rule(wake[layer + 1], wake[layer], G[layer], g[layer], rate)
        # θ_top ← θ_top + η Δθ_CD
        W += rate * d_W
        b_v += rate * d_b_v
        b_h += rate * d_b_h
        # the recognition weights learn to recover each layer of the down pass from the one below
        for layer in range(depth):
            _delta_rule(sleep[layer], sleep[layer + 1], R[layer], r[layer], rate)
