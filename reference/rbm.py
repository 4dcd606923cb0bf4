r"""Restricted Boltzmann machines: binary units, an energy, and learning by Gibbs sampling.

A Bernoulli-Bernoulli RBM joins a layer of visible units $v \in \{0,1\}^{n_v}$ to a layer of
hidden units $h \in \{0,1\}^{n_h}$, with no connection inside a layer, through the energy

$$\begin{aligned}
E(v, h) &= -v \cdot b_v - h \cdot b_h - v^\top W h,\\
p(v, h) &= e^{-E(v, h)} / Z.
\end{aligned}$$

Given one layer the units of the other are independent sigmoids, so Gibbs sampling alternates
whole layers. Learning raises the log-likelihood of the data, whose gradient is a data term
minus a model term; contrastive divergence (CD-k) estimates the model term with k Gibbs steps
started at the data, persistent CD with chains that carry over between updates. For small
models this module also computes everything **exactly**, by enumerating every state of the
smaller layer: the partition function, the log-likelihood and its gradient, the
pseudo-likelihood, so every stochastic estimate can be held to the value it approximates.
The page [Restricted Boltzmann machines][restricted-boltzmann-machines] tells the whole
story.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numpy.typing import ArrayLike

from reference._validation import (
    as_float_array,
    as_positive_int,
    as_real,
    as_rows,
    describe,
    require_finite,
    require_generator,
    require_unit_interval,
)
from reference.optim import optimizer, train_minibatch

__all__ = [
    "ENUMERATION_LIMIT",
    "ais_log_partition",
    "bars_and_stripes",
    "cd_gradient",
    "free_energy",
    "free_energy_backward",
    "gibbs_step",
    "hidden_probabilities",
    "log_likelihood",
    "log_likelihood_gradient",
    "log_partition",
    "pseudo_log_likelihood",
    "reconstruction_error",
    "train_rbm",
    "visible_probabilities",
]

#: The most units the exact functions enumerate in the smaller layer: 2**24 states.
ENUMERATION_LIMIT = 24

Parameters = tuple[np.ndarray, np.ndarray, np.ndarray]


def free_energy(v: ArrayLike, W: ArrayLike, b_v: ArrayLike, b_h: ArrayLike) -> np.ndarray:
    r"""The free energy of each row of ``v``: $F(v) = -\log \sum_h e^{-E(v, h)}$.

    Summing the hidden units out one at a time (each is 0 or 1),

    $$\begin{aligned}
    F(v) &= -v \cdot b_v\\
    &\quad - \sum_j \operatorname{softplus}\big(b_{h,j} + (vW)_j\big),\\
    \operatorname{softplus}(a) &= \log(1 + e^a),
    \end{aligned}$$

    so $p(v) = e^{-F(v)}/Z$. The formula is defined for any real ``v``, and so is this
    function (its gradient in ``v`` is :func:`free_energy_backward`'s first output).

    Parameters
    ----------
    v : array_like, shape (N, n_visible)
    W : array_like, shape (n_visible, n_hidden)
    b_v : array_like, shape (n_visible,)
    b_h : array_like, shape (n_hidden,)

    Returns
    -------
    numpy.ndarray, shape (N,)

    Examples
    --------
    With no weights, each hidden unit contributes $-\log(1 + e^{b_h})$:

    >>> free_energy(np.array([[1.0, 0.0]]), np.zeros((2, 1)), np.array([0.5, 2.0]), np.zeros(1))
    array([-1.19314718])
    """
    states, weights, visible_bias, hidden_bias = _arguments("free_energy", v, W, b_v, b_h)
    return _free_energy_kernel(states, weights, visible_bias, hidden_bias)


def free_energy_backward(
    d_F: ArrayLike, v: ArrayLike, W: ArrayLike, b_v: ArrayLike, b_h: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradient of $\sum_n \text{d\_F}_n F(v_n)$ with respect to ``v``, ``W``, ``b_v``, ``b_h``.

    With $p_n = \sigma(b_h + v_n W)$, the hidden probabilities given $v_n$:

    $$\begin{aligned}
    \frac{\partial F}{\partial v} &= -b_v - W p,\\
    \frac{\partial F}{\partial W} &= -v\, p^\top,\\
    \frac{\partial F}{\partial b_v} &= -v,\\
    \frac{\partial F}{\partial b_h} &= -p.
    \end{aligned}$$

    The log-likelihood's gradient is the model's mean of these minus the data's
    (:func:`log_likelihood_gradient`).

    Returns
    -------
    (dv, dW, db_v, db_h)
        Shapes (N, n_visible), (n_visible, n_hidden), (n_visible,), (n_hidden,).
    """
    func = "free_energy_backward"
    states, weights, visible_bias, hidden_bias = _arguments(func, v, W, b_v, b_h)
    cotangent = as_float_array(d_F, func, "d_F", ndim=1, layout="(N,)")
    if cotangent.shape != (states.shape[0],):
        raise ValueError(
            f"{func}: d_F must have shape ({states.shape[0]},), one entry per row of v; "
            f"got shape {cotangent.shape}"
        )
    return _free_energy_backward_kernel(cotangent, states, weights, visible_bias, hidden_bias)


def hidden_probabilities(v: ArrayLike, W: ArrayLike, b_h: ArrayLike) -> np.ndarray:
    r"""$p(h_j = 1 \mid v) = \sigma(b_{h,j} + (vW)_j)$, for each row of ``v``: shape (N, n_hidden).

    Examples
    --------
    >>> hidden_probabilities(np.array([[1.0, 1.0]]), np.array([[1.0], [-1.0]]), np.zeros(1))
    array([[0.5]])
    """
    func = "hidden_probabilities"
    weights = _weights(func, W)
    states = as_rows(v, func, "v", weights.shape[0], "n_visible of W")
    bias = _bias(func, "b_h", b_h, weights.shape[1], "n_hidden")
    return _sigmoid_kernel(np.dot(states, weights), bias)


def visible_probabilities(h: ArrayLike, W: ArrayLike, b_v: ArrayLike) -> np.ndarray:
    r"""$p(v_i = 1 \mid h) = \sigma(b_{v,i} + (W h)_i)$, each row of ``h``: shape (N, n_visible).

    Examples
    --------
    >>> visible_probabilities(np.array([[1.0]]), np.array([[2.0], [0.0]]), np.array([-2.0, 0.0]))
    array([[0.5, 0.5]])
    """
    func = "visible_probabilities"
    weights = _weights(func, W)
    states = as_rows(h, func, "h", weights.shape[1], "n_hidden of W")
    bias = _bias(func, "b_v", b_v, weights.shape[0], "n_visible")
    return _sigmoid_kernel(np.dot(states, weights.T), bias)


def gibbs_step(
    v: ArrayLike, W: ArrayLike, b_v: ArrayLike, b_h: ArrayLike, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    r"""One full step of block Gibbs sampling from each row of ``v``.

    First $h \sim p(h \mid v)$, then $v' \sim p(v \mid h)$.

    Each unit is drawn as $[u < p]$ with $u$ uniform on [0, 1) from ``rng`` (hidden units of
    a row, then its visible units, row after row), so a seed reproduces the chain.

    Parameters
    ----------
    v : array_like, shape (N, n_visible)
        Binary states (0.0 or 1.0).
    W, b_v, b_h : array_like
        The RBM.
    rng : numpy.random.Generator

    Returns
    -------
    (v_next, h)
        The new visible states (N, n_visible) and the hidden states drawn on the way
        (N, n_hidden), both binary.
    """
    func = "gibbs_step"
    states, weights, visible_bias, hidden_bias = _arguments(func, v, W, b_v, b_h, finite=True)
    _require_binary(states, func, "v")
    generator = require_generator(rng, func)
    v_next, h, _ = _gibbs_kernel(states, weights, visible_bias, hidden_bias, 1, generator)
    return v_next, h


def cd_gradient(
    v: ArrayLike,
    W: ArrayLike,
    b_v: ArrayLike,
    b_h: ArrayLike,
    *,
    k: int = 1,
    rng: np.random.Generator,
    chain: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""The contrastive-divergence estimate (CD-k, or persistent CD) of the likelihood's gradient.

    The gradient of the mean log-likelihood of the rows of ``v`` is a data term minus a
    model term (:func:`log_likelihood_gradient`); CD-k replaces the model's expectation by
    the states that k full Gibbs steps reach from each data row (Hinton 2002):

    $$\begin{aligned}
    \Delta W &= \tfrac1N \textstyle\sum_n v_n\, p(h \mid v_n)^\top\\
    &\quad - \tfrac1M \textstyle\sum_m v^{(k)}_m\, p(h \mid v^{(k)}_m)^\top,
    \end{aligned}$$

    with $\Delta b_v$ and $\Delta b_h$ the same means of $v$ and of $p(h \mid v)$. As in
    Hinton's practical guide (and scikit-learn's ``BernoulliRBM``) the positive phase uses the
    hidden *probabilities* at the data, the chain's last visible state $v^{(k)}$ is a
    *sampled* binary vector, and the negative phase uses the hidden probabilities at it.

    The result is an **ascent** direction: add ``lr`` times it to climb the
    log-likelihood (:func:`train_rbm` hands its negative to a minimising step).

    Parameters
    ----------
    v : array_like, shape (N, n_visible)
        The minibatch: binary rows.
    W, b_v, b_h : array_like
        The RBM.
    k : int, default 1
        Full Gibbs steps (hidden, then visible) in the negative phase.
    rng : numpy.random.Generator
    chain : array_like, shape (M, n_visible), optional
        Persistent chains (PCD, Tieleman 2008): the negative phase starts from these states
        instead of the data; M is their own count. Not modified.

    Returns
    -------
    (dW, db_v, db_h, chain)
        The estimate, and the negative phase's visible states $v^{(k)}$ (the data's rows
        advanced k steps, or the chains advanced): pass them back as ``chain`` for PCD.

    References
    ----------
    G. E. Hinton, "Training products of experts by minimizing contrastive divergence",
    Neural Computation 14 (2002). G. E. Hinton, "A practical guide to training restricted
    Boltzmann machines", UTML TR 2010-003. T. Tieleman, "Training restricted Boltzmann
    machines using approximations to the likelihood gradient", ICML 2008.
    """
    func = "cd_gradient"
    data, weights, visible_bias, hidden_bias = _arguments(func, v, W, b_v, b_h, finite=True)
    _require_binary(data, func, "v")
    steps = as_positive_int(k, func, "k")
    generator = require_generator(rng, func)
    start = data
    if chain is not None:
        start = as_rows(chain, func, "chain", weights.shape[0], "n_visible of W")
        _require_binary(start, func, "chain")
    return _cd_kernel(data, start, weights, visible_bias, hidden_bias, steps, generator)


def log_partition(W: ArrayLike, b_v: ArrayLike, b_h: ArrayLike) -> float:
    r"""$\log Z$ exactly, by enumerating every state of the smaller layer (nats).

    Summing the other layer out as in :func:`free_energy`, with the hidden layer enumerated,

    $$\begin{aligned}
    \log Z &= \log \sum_{h \in \{0,1\}^{n_h}} \exp\Big(h \cdot b_h\\
    &\qquad + \sum_i \operatorname{softplus}\big(b_{v,i} + (W h)_i\big)\Big),
    \end{aligned}$$

    and symmetrically when the visible layer is the smaller. The log-sum-exp is taken over
    blocks of 4096 states, each block summed at its own maximum.

    Raises
    ------
    ValueError
        When the smaller layer has more than :data:`ENUMERATION_LIMIT` units
        (:func:`ais_log_partition` estimates $\log Z$ for larger models).

    Examples
    --------
    With no weights and no biases every one of the $2^{n_v + n_h}$ states has energy 0:

    >>> bool(np.isclose(log_partition(np.zeros((3, 2)), np.zeros(3), np.zeros(2)), 5 * np.log(2)))
    True
    """
    weights, visible_bias, hidden_bias = _parameters("log_partition", W, b_v, b_h)
    _enumerable("log_partition", weights)
    return _log_partition_kernel(*_smaller_first(weights, visible_bias, hidden_bias))


def log_likelihood(v: ArrayLike, W: ArrayLike, b_v: ArrayLike, b_h: ArrayLike) -> np.ndarray:
    r"""$\log p(v) = -F(v) - \log Z$ of each binary row of ``v``, exactly (nats): shape (N,).

    Raises
    ------
    ValueError
        When ``v`` holds anything but 0 and 1, or the smaller layer is too large to enumerate.
    """
    func = "log_likelihood"
    states, weights, visible_bias, hidden_bias = _arguments(func, v, W, b_v, b_h)
    _require_binary(states, func, "v")
    _enumerable(func, weights)
    log_z = _log_partition_kernel(*_smaller_first(weights, visible_bias, hidden_bias))
    return -_free_energy_kernel(states, weights, visible_bias, hidden_bias) - log_z


def log_likelihood_gradient(
    v: ArrayLike, W: ArrayLike, b_v: ArrayLike, b_h: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The exact gradient of the mean log-likelihood of the rows of ``v``: (dW, db_v, db_h).

    Since $\log p(v) = -F(v) - \log Z$ and $\partial \log Z = \mathbb{E}_{p}[-\partial F]$,

    $$\begin{aligned}
    \frac{\partial}{\partial W} \frac1N \sum_n \log p(v_n)
    &= \frac1N \sum_n v_n\, \sigma(b_h + v_n W)^\top\\
    &\quad - \mathbb{E}_{p(v, h)}\big[v h^\top\big],
    \end{aligned}$$

    and likewise $\mathbb{E}[v]$ for $b_v$ and $\mathbb{E}[h]$ for $b_h$. The model's
    expectations are sums over every state of the smaller layer, weighted by its exact
    probability, with the other layer's conditional means in closed form. An ascent
    direction, like :func:`cd_gradient`, which estimates it.
    """
    func = "log_likelihood_gradient"
    states, weights, visible_bias, hidden_bias = _arguments(func, v, W, b_v, b_h)
    _require_binary(states, func, "v")
    _enumerable(func, weights)
    hidden = _sigmoid_kernel(np.dot(states, weights), hidden_bias)
    count = states.shape[0]
    data_w = np.dot(states.T, hidden) / count
    data_v, data_h = states.mean(axis=0), hidden.mean(axis=0)
    small_first = weights.shape[1] <= weights.shape[0]
    oriented = _smaller_first(weights, visible_bias, hidden_bias)
    log_z = _log_partition_kernel(*oriented)
    mean_small, mean_other, mean_outer = _expectations_kernel(*oriented, log_z)
    if small_first:  # the hidden layer was enumerated: outer is (n_h, n_v)
        model_w, model_v, model_h = mean_outer.T, mean_other, mean_small
    else:
        model_w, model_v, model_h = mean_outer, mean_small, mean_other
    return data_w - model_w, data_v - model_v, data_h - model_h


def pseudo_log_likelihood(v: ArrayLike, W: ArrayLike, b_v: ArrayLike, b_h: ArrayLike) -> np.ndarray:
    r"""The exact pseudo-log-likelihood of each binary row: $\sum_i \log p(v_i \mid v_{-i})$.

    With $v^{(i)}$ the row with bit $i$ flipped, $p(v_i \mid v_{-i}) =
    \sigma\big(F(v^{(i)}) - F(v)\big)$, and every bit is summed (scikit-learn's
    ``score_samples`` draws one bit $i$ at random and returns $n_v \log \sigma(\ldots)$, an
    unbiased estimate of this sum). Each difference of free energies is computed term by
    term, not as the difference of two sums. Shape (N,), in nats; it needs no partition
    function and is not the log-likelihood.
    """
    func = "pseudo_log_likelihood"
    states, weights, visible_bias, hidden_bias = _arguments(func, v, W, b_v, b_h)
    _require_binary(states, func, "v")
    return _pseudo_log_likelihood_kernel(states, weights, visible_bias, hidden_bias)


def ais_log_partition(
    W: ArrayLike,
    b_v: ArrayLike,
    b_h: ArrayLike,
    *,
    betas: ArrayLike,
    runs: int,
    rng: np.random.Generator,
    base_bias: ArrayLike | None = None,
) -> tuple[float, float]:
    r"""Estimate $\log Z$ by annealed importance sampling (Salakhutdinov & Murray 2008).

    The base-rate model A has no weights, visible biases ``base_bias`` and hidden biases 0,
    so $\log Z_A = \sum_i \operatorname{softplus}(b_{A,i}) + n_h \log 2$ and it is sampled
    exactly. Between A and the RBM lie the distributions, for $0 = \beta_0 < \dots <
    \beta_K = 1$,

    $$\begin{aligned}
    p^*_k(v) &= e^{(1-\beta_k)\, v \cdot b_A + \beta_k\, v \cdot b_v}\\
    &\quad\cdot \prod_j \big(1 + e^{\beta_k (b_{h,j} + (vW)_j)}\big).
    \end{aligned}$$

    Each run draws $v_1 \sim p_A$, then for $k = 1, \dots, K$ adds
    $\log p^*_k(v_k) - \log p^*_{k-1}(v_k)$ to its log-weight and moves $v_k$ by one Gibbs
    step that leaves $p_k$ invariant. The mean weight estimates $Z / Z_A$ without bias; its
    logarithm, the estimate returned, is biased **low** (Jensen's inequality): on average it
    is at most $\log Z$.

    Parameters
    ----------
    W, b_v, b_h : array_like
        The RBM.
    betas : array_like, shape (K + 1,)
        Inverse temperatures, increasing, from exactly 0 to exactly 1.
    runs : int
        Independent runs, at least 2.
    rng : numpy.random.Generator
    base_bias : array_like, shape (n_visible,), optional
        The base-rate model's visible biases; default zeros (the uniform distribution).
        The log-odds of the data's pixel means are the usual choice.

    Returns
    -------
    (estimate, std)
        $\log \hat Z = \log Z_A + \log \frac1R \sum_r w_r$, and its standard deviation
        estimated over the runs by the delta method, $\operatorname{sd}(w)/(\sqrt{R}\,\bar w)$.
        In nats.

    References
    ----------
    R. Salakhutdinov and I. Murray, "On the quantitative analysis of deep belief networks",
    ICML 2008. R. M. Neal, "Annealed importance sampling", Statistics and Computing 11 (2001).
    """
    func = "ais_log_partition"
    weights, visible_bias, hidden_bias = _parameters(func, W, b_v, b_h, finite=True)
    temperatures = as_float_array(betas, func, "betas", ndim=1, layout="(K + 1,)")
    if (
        temperatures.size < 2
        or temperatures[0] != 0.0
        or temperatures[-1] != 1.0
        or not np.all(np.diff(temperatures) > 0.0)
    ):
        raise ValueError(
            f"{func}: betas must increase strictly from exactly 0 to exactly 1; got "
            f"{describe(temperatures)} from {temperatures[:1]} to {temperatures[-1:]}"
        )
    count = as_positive_int(runs, func, "runs")
    if count < 2:
        raise ValueError(f"{func}: runs must be at least 2 (the error bar needs two); got 1")
    generator = require_generator(rng, func)
    base = (
        np.zeros(weights.shape[0])
        if base_bias is None
        else _bias(func, "base_bias", base_bias, weights.shape[0], "n_visible")
    )
    require_finite(base, func, "base_bias")
    log_weights = _ais_kernel(
        weights, visible_bias, hidden_bias, base, temperatures, count, generator
    )
    log_base = float(np.sum(np.logaddexp(0.0, base))) + weights.shape[1] * np.log(2.0)
    top = float(np.max(log_weights))
    ratios = np.exp(log_weights - top)
    mean = float(np.mean(ratios))
    estimate = float(log_base + top + np.log(mean))
    return estimate, float(np.std(ratios, ddof=1) / (np.sqrt(count) * mean))


def reconstruction_error(v: ArrayLike, W: ArrayLike, b_v: ArrayLike, b_h: ArrayLike) -> float:
    r"""The mean squared error of the mean-field reconstruction.

    $\frac1N \sum_n \lVert v_n - \sigma(b_v + W \sigma(b_h + v_n W)) \rVert^2$.

    What training watches because it is cheap; a poor measure of the model (Hinton's guide,
    section 5): :func:`log_likelihood` is the true one where it can be computed.
    """
    states, weights, visible_bias, hidden_bias = _arguments("reconstruction_error", v, W, b_v, b_h)
    hidden = _sigmoid_kernel(np.dot(states, weights), hidden_bias)
    reconstruction = _sigmoid_kernel(np.dot(hidden, weights.T), visible_bias)
    return float(np.sum((states - reconstruction) ** 2) / states.shape[0])


def train_rbm(
    V: ArrayLike,
    n_hidden: int,
    *,
    lr: float,
    epochs: int,
    batch_size: int,
    k: int = 1,
    persistent: bool = False,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    rng: np.random.Generator,
    monitor: Callable[[np.ndarray, np.ndarray, np.ndarray], Any] | None = None,
    init: tuple[ArrayLike, ArrayLike, ArrayLike] | None = None,
    binary: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Train a Bernoulli RBM on the binary rows of ``V`` by CD-k or persistent CD.

    Unless ``init`` gives it, the start follows Hinton's practical guide:
    $W_{ij} \sim \mathcal{N}(0, 0.01^2)$, hidden biases 0, visible biases the log-odds
    $\log\frac{p_i}{1 - p_i}$ of each unit's mean $p_i$ over ``V`` (clipped to
    [1e-3, 1 - 1e-3] so that a unit always off does not start at $-\infty$).

    Each minibatch of :func:`reference.optim.train_minibatch` takes one :func:`cd_gradient`
    step, $\theta \leftarrow \theta + \eta\,\Delta\theta$, or with momentum
    $u \leftarrow \mu u + \eta\,\Delta\theta$, $\theta \leftarrow \theta + u$. Weight decay
    $\lambda$ subtracts $\lambda W$ from the weights' direction only (the guide leaves the
    biases alone). With ``persistent`` the negative phase runs ``batch_size`` chains that
    carry over from one update to the next, started at rows of ``V`` drawn at random.

    Parameters
    ----------
    V : array_like, shape (N, n_visible)
        Binary training rows.
    n_hidden : int
    lr : float
        The learning rate $\eta > 0$.
    epochs, batch_size, k : int
    persistent : bool, default False
    momentum : float in [0, 1), default 0
    weight_decay : float, default 0
    rng : numpy.random.Generator
        Draws the start, each epoch's order and every Gibbs step.
    monitor : callable, optional
        ``monitor(W, b_v, b_h)``: what to record before training and after each epoch
        (default :func:`reconstruction_error` on ``V``).
    init : (W, b_v, b_h), optional
        The starting RBM (copied, never modified), instead of the guide's: to continue a
        run, or to start a layer of a deep belief net from the one below
        (:mod:`reference.dbn`). Nothing is drawn for the start then.
    binary : bool, default True
        With False, ``V`` may hold probabilities in [0, 1] instead of binary states (the
        hidden probabilities a deep belief net's lower layer hands up): CD's positive phase
        and the chains' start take them as they are, the chains' later states are binary.

    Returns
    -------
    (W, b_v, b_h, history)
        The trained RBM and ``monitor`` before training and after each epoch
        (``epochs + 1`` entries).
    """
    func = "train_rbm"
    data = as_float_array(V, func, "V", ndim=2, layout="(N, n_visible)")
    if not isinstance(binary, bool):
        raise TypeError(f"{func}: binary must be True or False; got {describe(binary)}")
    if binary:
        _require_binary(data, func, "V")
    else:
        require_unit_interval(data, func, "V")
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise ValueError(f"{func}: V must hold at least one row and one unit; got {data.shape}")
    hidden = as_positive_int(n_hidden, func, "n_hidden")
    steps = as_positive_int(k, func, "k")
    rate = as_real(lr, func, "lr", strictly_positive=True, finite=True)
    beta = as_real(momentum, func, "momentum", minimum=0.0, finite=True)
    if beta >= 1.0:
        raise ValueError(f"{func}: momentum must be in [0, 1); got {beta!r}")
    decay = as_real(weight_decay, func, "weight_decay", minimum=0.0, finite=True)
    if not isinstance(persistent, bool):
        raise TypeError(f"{func}: persistent must be True or False; got {describe(persistent)}")
    generator = require_generator(rng, func)
    size = as_positive_int(batch_size, func, "batch_size")
    if init is None:
        means = np.clip(data.mean(axis=0), 1e-3, 1.0 - 1e-3)
        start = [
            0.01 * generator.standard_normal((data.shape[1], hidden)),
            np.log(means / (1.0 - means)),
            np.zeros(hidden),
        ]
    else:
        start = list(_start(func, init, data.shape[1], hidden))
    chains = [data[generator.integers(0, data.shape[0], size)] if persistent else None]

    def batch_gradient(params: list[np.ndarray], rows: np.ndarray) -> tuple[None, list[np.ndarray]]:
        weights, visible_bias, hidden_bias = params
        batch = data[rows]
        start_states = batch if chains[0] is None else chains[0]
        d_w, d_v, d_h, reached = _cd_kernel(
            batch, start_states, weights, visible_bias, hidden_bias, steps, generator
        )
        if persistent:
            chains[0] = reached
        # descent on the negative log-likelihood: the step takes −Δθ (and λW for the decay)
        return None, [decay * weights - d_w, -d_v, -d_h]

    step = optimizer("momentum", lr=rate, beta=beta) if beta else optimizer("sgd", lr=rate)
    watch = monitor or (lambda w, bv, bh: reconstruction_error(data, w, bv, bh))
    (weights, visible_bias, hidden_bias), history = train_minibatch(
        start,
        batch_gradient,
        samples=data.shape[0],
        batch_size=size,
        epochs=epochs,
        rng=generator,
        step=step,
        evaluate=lambda params: watch(*params),
        func=func,
    )
    return weights, visible_bias, hidden_bias, history


def bars_and_stripes(side: int) -> np.ndarray:
    r"""Every bars-and-stripes image of ``side`` x ``side`` pixels: shape (2^(side+1) - 2, side²).

    An image is a set of whole rows switched on (stripes) or a set of whole columns
    (bars); the empty and the full image are both, and are listed once. For ``side = 3``
    that is 14 images, so a model that gives each the same probability and nothing else
    has mean log-likelihood $-\log 14 = -2.639$ nats (MacKay, *Information Theory,
    Inference, and Learning Algorithms*, 2003).

    Examples
    --------
    >>> bars_and_stripes(2)
    array([[0., 0., 0., 0.],
           [0., 0., 1., 1.],
           [1., 1., 0., 0.],
           [1., 1., 1., 1.],
           [0., 1., 0., 1.],
           [1., 0., 1., 0.]])
    """
    count = as_positive_int(side, "bars_and_stripes", "side")
    if count > 5:
        raise ValueError(f"bars_and_stripes: side must be at most 5 (62 images); got {count}")
    images = []
    for pattern in range(2**count):
        lines = np.array([(pattern >> (count - 1 - i)) & 1 for i in range(count)], float)
        images.append(np.repeat(lines, count))  # rows on: stripes
    for pattern in range(1, 2**count - 1):
        lines = np.array([(pattern >> (count - 1 - i)) & 1 for i in range(count)], float)
        images.append(np.tile(lines, count))  # columns on: bars
    return np.array(images)


# -- checks ---------------------------------------------------------------------------------


def _weights(func: str, W: ArrayLike) -> np.ndarray:
    return as_float_array(W, func, "W", ndim=2, layout="(n_visible, n_hidden)")


def _bias(func: str, name: str, value: ArrayLike, size: int, layer: str) -> np.ndarray:
    bias = as_float_array(value, func, name, ndim=1, layout=f"({layer},)")
    if bias.shape != (size,):
        raise ValueError(
            f"{func}: {name} must have shape ({size},), {layer} of W; got shape {bias.shape}"
        )
    return bias


def _parameters(
    func: str, W: ArrayLike, b_v: ArrayLike, b_h: ArrayLike, *, finite: bool = False
) -> Parameters:
    weights = _weights(func, W)
    visible_bias = _bias(func, "b_v", b_v, weights.shape[0], "n_visible")
    hidden_bias = _bias(func, "b_h", b_h, weights.shape[1], "n_hidden")
    if finite:  # a Bernoulli unit with a NaN probability is no unit at all
        for name, array in (("W", weights), ("b_v", visible_bias), ("b_h", hidden_bias)):
            require_finite(array, func, name)
    return weights, visible_bias, hidden_bias


def _arguments(
    func: str, v: ArrayLike, W: ArrayLike, b_v: ArrayLike, b_h: ArrayLike, *, finite: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    weights, visible_bias, hidden_bias = _parameters(func, W, b_v, b_h, finite=finite)
    return (
        as_rows(v, func, "v", weights.shape[0], "n_visible of W"),
        weights,
        visible_bias,
        hidden_bias,
    )


def _start(func: str, init: Any, visible: int, hidden: int) -> Parameters:
    if not isinstance(init, (tuple, list)) or len(init) != 3:
        raise TypeError(f"{func}: init must be a tuple (W, b_v, b_h); got {describe(init)}")
    weights, visible_bias, hidden_bias = _parameters(func, *init, finite=True)
    if weights.shape != (visible, hidden):
        raise ValueError(
            f"{func}: init's W must have shape ({visible}, {hidden}), (n_visible of V, "
            f"n_hidden); got {weights.shape}"
        )
    return weights, visible_bias, hidden_bias


def _require_binary(states: np.ndarray, func: str, name: str) -> None:
    wrong = (states != 0.0) & (states != 1.0)
    if wrong.any():
        index = tuple(int(i) for i in np.argwhere(wrong)[0])
        raise ValueError(
            f"{func}: {name} must hold only 0 and 1 (the states of Bernoulli units); got "
            f"{float(states[index])!r} at index {index}"
        )


def _enumerable(func: str, weights: np.ndarray) -> None:
    smaller = min(weights.shape)
    if smaller > ENUMERATION_LIMIT:
        raise ValueError(
            f"{func}: the exact value enumerates the 2**{smaller} states of the smaller layer "
            f"(W has shape {weights.shape}); at most {ENUMERATION_LIMIT} units can be "
            f"enumerated (ais_log_partition estimates log Z for larger models)"
        )


def _smaller_first(
    weights: np.ndarray, visible_bias: np.ndarray, hidden_bias: np.ndarray
) -> Parameters:
    """(W oriented (n_small, n_other), the smaller layer's biases, the other's)."""
    if weights.shape[1] <= weights.shape[0]:
        return np.ascontiguousarray(weights.T), hidden_bias, visible_bias
    return weights, visible_bias, hidden_bias


# -- kernels --------------------------------------------------------------------------------

#: States per block of the enumeration: 4096 rows of the smaller layer at a time.
_BLOCK = 4096


# The kernels are whole-array expressions where they can be: compiled, Numba turns each into
# one loop; as plain Python (NUMBA_DISABLE_JIT=1) NumPy runs them at its own speed, where
# element-by-element loops would take minutes over the laws' 80 000 chains.


@numba.njit(cache=True)
def _softplus(a: Any) -> Any:
    # log(1 + e^a) = max(a, 0) + log1p(e^{−|a|}), which cannot overflow (a scalar or an array)
    return np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a)))


@numba.njit(cache=True)
def _sigmoid(a: Any) -> Any:
    # e = e^{−|a|} <= 1, which cannot overflow
    e = np.exp(-np.abs(a))
    # σ(a) = 1 / (1 + e^{−a}) for a >= 0, and e^a / (1 + e^a) for a < 0 (NaN stays NaN);
    # [a >= 0] and [a < 0] as 0/1 factors, not np.where, so that Numba fuses it into one loop
    return (a >= 0.0) * (1.0 / (1.0 + e)) + (a < 0.0) * (e / (1.0 + e))


@numba.njit(cache=True)
def _sigmoid_kernel(inputs: np.ndarray, bias: np.ndarray) -> np.ndarray:
    # p = σ(input + b), b added to every row
    return _sigmoid(inputs + bias)


@numba.njit(cache=True)
def _free_energy_kernel(
    v: np.ndarray, W: np.ndarray, b_v: np.ndarray, b_h: np.ndarray
) -> np.ndarray:
    # F(v) = −v·b_v − Σ_j softplus(b_h,j + (vW)_j), for each row
    return -np.dot(v, b_v) - _softplus(np.dot(v, W) + b_h).sum(axis=1)


@numba.njit(cache=True)
def _free_energy_backward_kernel(
    d_F: np.ndarray, v: np.ndarray, W: np.ndarray, b_v: np.ndarray, b_h: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # p = σ(b_h + vW), the hidden probabilities
    p = _sigmoid_kernel(np.dot(v, W), b_h)
    # weighted = d_F ⊙ p, row by row
    weighted = p * d_F.reshape(-1, 1)
    # ∂/∂v = −d_F (b_v + W p)
    dv = -(np.outer(d_F, b_v) + np.dot(weighted, np.ascontiguousarray(W.T)))
    # ∂/∂W = −Σ_n d_F,n v_n p_nᵀ
    dW = -np.dot(np.ascontiguousarray(v.T), weighted)
    # ∂/∂b_v = −Σ_n d_F,n v_n
    db_v = -np.dot(d_F, v)
    # ∂/∂b_h = −Σ_n d_F,n p_n
    db_h = -weighted.sum(axis=0)
    return dv, dW, db_v, db_h


@numba.njit(cache=True)
def _bernoulli(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # s = [u < p], u ~ U[0, 1) drawn in row-major order: P(s = 1) = p
    return (rng.random(probabilities.shape) < probabilities) * 1.0


@numba.njit(cache=True)
def _gibbs_kernel(
    v: np.ndarray,
    W: np.ndarray,
    b_v: np.ndarray,
    b_h: np.ndarray,
    steps: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``steps`` full Gibbs steps from v: (v_k, the last h drawn, p(h | v_k))."""
    W_t = np.ascontiguousarray(W.T)
    states = v
    h = np.zeros((v.shape[0], W.shape[1]))
    for _ in range(steps):
        # h ~ p(h | v) = σ(b_h + vW)
        h = _bernoulli(_sigmoid_kernel(np.dot(states, W), b_h), rng)
        # v ~ p(v | h) = σ(b_v + W h)
        states = _bernoulli(_sigmoid_kernel(np.dot(h, W_t), b_v), rng)
    return states, h, _sigmoid_kernel(np.dot(states, W), b_h)


@numba.njit(cache=True)
def _cd_kernel(
    data: np.ndarray,
    start: np.ndarray,
    W: np.ndarray,
    b_v: np.ndarray,
    b_h: np.ndarray,
    steps: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # positive phase: p(h | v) at the data
    positive = _sigmoid_kernel(np.dot(data, W), b_h)
    # negative phase: k Gibbs steps, then p(h | v_k) at the sampled v_k
    reached, _, negative = _gibbs_kernel(start, W, b_v, b_h, steps, rng)
    count, chains = data.shape[0], reached.shape[0]
    # ⟨v pᵀ⟩_data and ⟨v pᵀ⟩_chain, the means over each side's rows
    data_w = np.dot(np.ascontiguousarray(data.T), positive) / count
    chain_w = np.dot(np.ascontiguousarray(reached.T), negative) / chains
    # ΔW = ⟨v pᵀ⟩_data − ⟨v pᵀ⟩_chain
    dW = data_w - chain_w
    # Δb_v = ⟨v⟩_data − ⟨v⟩_chain
    db_v = data.sum(axis=0) / count - reached.sum(axis=0) / chains
    # Δb_h = ⟨p⟩_data − ⟨p⟩_chain
    db_h = positive.sum(axis=0) / count - negative.sum(axis=0) / chains
    return dW, db_v, db_h, reached


@numba.njit(cache=True)
def _states(first: int, count: int, units: int) -> np.ndarray:
    """Rows first, first + 1, ... of the binary counting table: bit i of n in column i."""
    numbers = np.arange(first, first + count).reshape(-1, 1)
    # bit i of n: (n >> i) & 1
    return ((numbers >> np.arange(units)) & 1).astype(np.float64)


@numba.njit(cache=True)
def _scores(
    block: np.ndarray, W: np.ndarray, b_small: np.ndarray, b_other: np.ndarray
) -> np.ndarray:
    """Each state's log unnormalised marginal: s·b_small + Σ_i softplus(b_other,i + (sW)_i)."""
    return np.dot(block, b_small) + _softplus(np.dot(block, W) + b_other).sum(axis=1)


@numba.njit(cache=True)
def _log_partition_kernel(W: np.ndarray, b_small: np.ndarray, b_other: np.ndarray) -> float:
    units = W.shape[0]
    total_states = 1 << units
    peak, scaled = -np.inf, 0.0
    for first in range(0, total_states, _BLOCK):
        count = min(_BLOCK, total_states - first)
        scores = _scores(_states(first, count, units), W, b_small, b_other)
        block_peak = scores.max()
        # the block's Σ e^{score − its max}, summed on its own, then rescaled into the total
        block_sum = np.exp(scores - block_peak).sum()
        if block_peak > peak:
            scaled = scaled * np.exp(peak - block_peak) + block_sum
            peak = block_peak
        else:
            scaled += block_sum * np.exp(block_peak - peak)
    # log Z = max + log Σ e^{score − max}
    return peak + np.log(scaled)


@numba.njit(cache=True)
def _expectations_kernel(
    W: np.ndarray, b_small: np.ndarray, b_other: np.ndarray, log_z: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """E[s], E[o] and E[s oᵀ] under the model, s the smaller layer, o the other."""
    units, others = W.shape
    total_states = 1 << units
    mean_small, mean_other = np.zeros(units), np.zeros(others)
    mean_outer = np.zeros((units, others))
    for first in range(0, total_states, _BLOCK):
        count = min(_BLOCK, total_states - first)
        block = _states(first, count, units)
        # p(s) = e^{score(s) − log Z}
        p = np.exp(_scores(block, W, b_small, b_other) - log_z)
        # E[o | s] = σ(b_other + sW)
        conditional = _sigmoid_kernel(np.dot(block, W), b_other)
        weighted = block * p.reshape(-1, 1)
        mean_small += weighted.sum(axis=0)
        mean_other += np.dot(p, conditional)
        mean_outer += np.dot(np.ascontiguousarray(weighted.T), conditional)
    return mean_small, mean_other, mean_outer


@numba.njit(cache=True)
def _pseudo_log_likelihood_kernel(
    v: np.ndarray, W: np.ndarray, b_v: np.ndarray, b_h: np.ndarray
) -> np.ndarray:
    # a = b_h + vW, each row's hidden inputs
    a = np.dot(v, W) + b_h
    result = np.zeros(v.shape[0])
    for i in range(v.shape[1]):
        # flipping bit i moves it by s = 1 − 2 v_i (one s per row)
        s = (1.0 - 2.0 * v[:, i]).reshape(-1, 1)
        # F(v⁽ⁱ⁾) − F(v) = −s b_v,i − Σ_j [softplus(a_j + s W_ij) − softplus(a_j)]
        change = -s[:, 0] * b_v[i] - (_softplus(a + s * W[i]) - _softplus(a)).sum(axis=1)
        # log p(v_i | v_−i) = log σ(F(v⁽ⁱ⁾) − F(v)) = −softplus(F(v) − F(v⁽ⁱ⁾))
        result -= _softplus(-change)
    return result


@numba.njit(cache=True)
def _tempered(
    v: np.ndarray, W: np.ndarray, b_v: np.ndarray, b_h: np.ndarray, b_base: np.ndarray, beta: float
) -> np.ndarray:
    # log p*_β(v) = (1 − β) v·b_A + β v·b_v + Σ_j softplus(β (b_h,j + (vW)_j)), for each row
    mixed = (1.0 - beta) * np.dot(v, b_base) + beta * np.dot(v, b_v)
    return mixed + _softplus(beta * (np.dot(v, W) + b_h)).sum(axis=1)


@numba.njit(cache=True)
def _ais_kernel(
    W: np.ndarray,
    b_v: np.ndarray,
    b_h: np.ndarray,
    b_base: np.ndarray,
    betas: np.ndarray,
    runs: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Every run's log-weight; the runs advance together, one row each."""
    W_t = np.ascontiguousarray(W.T)
    # v_1 ~ p_A: independent units with p = σ(b_A)
    v = _bernoulli(_sigmoid_kernel(np.zeros((runs, W.shape[0])), b_base), rng)
    log_weights = np.zeros(runs)
    for k in range(1, betas.size):
        # log w += log p*_k(v_k) − log p*_{k−1}(v_k)
        log_weights += _tempered(v, W, b_v, b_h, b_base, betas[k]) - _tempered(
            v, W, b_v, b_h, b_base, betas[k - 1]
        )
        if k < betas.size - 1:
            beta = betas[k]
            # h ~ σ(β (b_h + vW)), then v ~ σ((1 − β) b_A + β (b_v + W h)): p_k is kept
            h = _bernoulli(_sigmoid(beta * (np.dot(v, W) + b_h)), rng)
            v = _bernoulli(_sigmoid((1.0 - beta) * b_base + beta * (np.dot(h, W_t) + b_v)), rng)
    return log_weights
