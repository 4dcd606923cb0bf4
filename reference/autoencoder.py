r"""Autoencoders: a network trained to give back its input through a narrow or sparse code.

An encoder maps the input to a code, $c = f(x W_e + b_e)$, and a decoder maps the code back,
$\hat x = g(c W_d + b_d)$; training lowers a reconstruction loss between $\hat x$ and the
**clean** input. The code learns the data's structure when something stops the network from
copying: a code narrower than the input (a linear one then finds the principal subspace), a
**sparsity** penalty on the code (L1, or the KL form of Ng's notes), or a **corrupted** input
to be repaired (the denoising autoencoder of Vincent et al. 2008). Stacked and trained one
layer at a time, each on the codes of the one below, autoencoders initialise a deep network
that labels then fine-tune. The page [Autoencoders][autoencoders] tells the whole story.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numba
import numpy as np
from numpy.typing import ArrayLike

from reference import init as initialisers
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
from reference.dense import _dense_backward_kernel, _dense_kernel
from reference.mlp import ACTIVATIONS, Params, train_classifier
from reference.optim import OPTIMIZERS, train_minibatch
from reference.optim import optimizer as make_optimizer

__all__ = [
    "CODE_ACTIVATIONS",
    "CORRUPTIONS",
    "LOSSES",
    "Autoencoder",
    "autoencoder_loss",
    "autoencoder_loss_backward",
    "corrupt",
    "decode",
    "encode",
    "fine_tune",
    "kl_sparsity",
    "kl_sparsity_backward",
    "l1_sparsity",
    "l1_sparsity_backward",
    "train_autoencoder",
    "train_stacked",
]

#: The activations of an encoder or a decoder.
CODE_ACTIVATIONS = ("sigmoid", "tanh", "identity")
#: The reconstruction losses: half the squared error, or the cross-entropy for inputs in [0, 1].
LOSSES = ("squared", "cross_entropy")
#: The corruptions of a denoising autoencoder.
CORRUPTIONS = ("mask", "salt_pepper", "gaussian")


class Autoencoder(NamedTuple):
    """An autoencoder's parameters and its two activations.

    ``w_enc (n_input, n_code)``, ``b_enc (n_code,)``, ``w_dec (n_code, n_input)``,
    ``b_dec (n_input,)``; tied weights are ``w_dec = w_enc.T``.
    """

    w_enc: np.ndarray
    b_enc: np.ndarray
    w_dec: np.ndarray
    b_dec: np.ndarray
    encoder_activation: str = "sigmoid"
    decoder_activation: str = "sigmoid"


def encode(X: ArrayLike, params: Autoencoder) -> np.ndarray:
    r"""The code $c = f(X W_e + b_e)$ of each row: shape (N, n_code).

    Examples
    --------
    >>> params = Autoencoder(np.eye(2), np.zeros(2), np.eye(2), np.zeros(2), "identity", "identity")
    >>> encode([[1.0, -2.0]], params)
    array([[ 1., -2.]])
    """
    net = _autoencoder("encode", params)
    inputs = as_rows(X, "encode", "X", net.w_enc.shape[0], "n_input")
    return ACTIVATIONS[net.encoder_activation][0](_dense_kernel(inputs, net.w_enc, net.b_enc))


def decode(code: ArrayLike, params: Autoencoder) -> np.ndarray:
    r"""The reconstruction $\hat x = g(c W_d + b_d)$ of each code: shape (N, n_input)."""
    net = _autoencoder("decode", params)
    codes = as_rows(code, "decode", "code", net.w_dec.shape[0], "n_code")
    return ACTIVATIONS[net.decoder_activation][0](_dense_kernel(codes, net.w_dec, net.b_dec))


def kl_sparsity(code: ArrayLike, rho: float) -> float:
    r"""The KL sparsity penalty $\sum_j \mathrm{KL}(\rho \,\|\, \hat\rho_j)$ of a batch of codes.

    $\hat\rho_j = \frac1N\sum_n c_{nj}$ is unit $j$'s mean activation over the batch, and

    $$\mathrm{KL}(\rho \,\|\, \hat\rho) = \rho \log\frac{\rho}{\hat\rho}
    + (1 - \rho)\log\frac{1 - \rho}{1 - \hat\rho} \ \ge 0,$$

    zero only at $\hat\rho = \rho$ (Ng, *Sparse autoencoder*, CS294A notes). The codes must
    lie in [0, 1] (a sigmoid encoder); a mean of exactly 0 or 1 gives $+\infty$.

    Examples
    --------
    >>> kl_sparsity(np.array([[0.05, 0.5]]), 0.05)  # the first unit at the target: 0
    0.4946
    """
    codes, target = _sparsity_input("kl_sparsity", code, rho)
    with np.errstate(divide="ignore", invalid="ignore"):  # a mean of 0 or 1: +inf, the answer
        return float(_kl_kernel(codes, target))


def kl_sparsity_backward(d_loss: float, code: ArrayLike, rho: float) -> np.ndarray:
    r"""Gradient of :func:`kl_sparsity`, the same for every row of unit $j$.

    $$\frac{\partial}{\partial c_{nj}} = \frac{\text{d\_loss}}{N}\Big(-\frac{\rho}{\hat\rho_j}
    + \frac{1 - \rho}{1 - \hat\rho_j}\Big).$$
    """
    codes, target = _sparsity_input("kl_sparsity_backward", code, rho)
    scale = as_real(d_loss, "kl_sparsity_backward", "d_loss")
    with np.errstate(divide="ignore", invalid="ignore"):
        return _kl_backward_kernel(scale, codes, target)


def l1_sparsity(code: ArrayLike) -> float:
    r"""The L1 sparsity penalty, $\frac1N\sum_n\sum_j |c_{nj}|$: a mean over the batch.

    Examples
    --------
    >>> l1_sparsity(np.array([[1.0, -2.0], [0.0, 3.0]]))
    3.0
    """
    codes = as_float_array(code, "l1_sparsity", "code", ndim=2, layout="(N, n_code)")
    return float(np.abs(codes).sum() / max(codes.shape[0], 1))


def l1_sparsity_backward(d_loss: float, code: ArrayLike) -> np.ndarray:
    r"""Gradient of :func:`l1_sparsity`: $\text{d\_loss}\cdot\operatorname{sign}(c)/N$ (0 at 0)."""
    codes = as_float_array(code, "l1_sparsity_backward", "code", ndim=2, layout="(N, n_code)")
    scale = as_real(d_loss, "l1_sparsity_backward", "d_loss")
    return scale * np.sign(codes) / max(codes.shape[0], 1)


def corrupt(x: ArrayLike, kind: str, level: float, rng: np.random.Generator) -> np.ndarray:
    r"""A corrupted copy of ``x``, for a denoising autoencoder (Vincent et al. 2008, 2010).

    * ``"mask"``: each entry is set to 0 with probability ``level``, so a Binomial(size,
      level) count of them is zeroed;
    * ``"salt_pepper"``: each entry, with probability ``level``, is set to 0 or to 1 with
      equal probability (the inputs' minimum and maximum, for data in [0, 1]);
    * ``"gaussian"``: $\tilde x = x + \epsilon$, $\epsilon \sim \mathcal N(0, \text{level}^2)$.

    Parameters
    ----------
    x : array_like, any shape
    kind : str
        One of :data:`CORRUPTIONS`.
    level : float
        The probability (in [0, 1]) or, for ``"gaussian"``, the standard deviation (>= 0).
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        A new array; ``x`` is not modified.
    """
    func = "corrupt"
    values = as_float_array(x, func, "x")
    if kind not in CORRUPTIONS:
        raise ValueError(f"{func}: kind must be one of {list(CORRUPTIONS)}; got {kind!r}")
    amount = as_real(level, func, "level", minimum=0.0, finite=True)
    if kind != "gaussian" and amount > 1.0:
        raise ValueError(
            f"{func}: level must be a probability in [0, 1] for {kind!r}; got {amount!r}"
        )
    generator = require_generator(rng, func)
    if kind == "gaussian":
        return values + amount * generator.standard_normal(values.shape)
    hit = generator.random(values.shape) < amount
    if kind == "mask":
        return np.where(hit, 0.0, values)
    return np.where(hit, (generator.random(values.shape) < 0.5) * 1.0, values)


def autoencoder_loss(
    x: ArrayLike,
    w_enc: ArrayLike,
    b_enc: ArrayLike,
    w_dec: ArrayLike,
    b_dec: ArrayLike,
    *,
    target: ArrayLike | None = None,
    encoder_activation: str = "sigmoid",
    decoder_activation: str = "sigmoid",
    loss: str = "squared",
    sparsity: tuple[Any, ...] | None = None,
) -> float:
    r"""The training objective of an autoencoder on a batch: reconstruction loss plus penalty.

    With $c = f(x W_e + b_e)$ and $\hat x = g(c W_d + b_d)$, against the target $t$ (the clean
    input; ``x`` itself by default), summed over each row's entries and averaged over rows:

    * ``"squared"``: $\frac1N\sum_n \tfrac12\lVert \hat x_n - t_n\rVert^2$;
    * ``"cross_entropy"`` (a sigmoid decoder, $t \in [0, 1]$):
      $\frac1N\sum_n\sum_i -t_{ni}\log\hat x_{ni} - (1 - t_{ni})\log(1 - \hat x_{ni})$,
      computed from the decoder's pre-activation $a$ as $\operatorname{softplus}(a) - t a$;

    plus $\beta\sum_j\mathrm{KL}(\rho\,\|\,\hat\rho_j)$ for ``sparsity=("kl", rho, beta)``
    (a sigmoid encoder) or $\lambda\cdot$ :func:`l1_sparsity` for ``sparsity=("l1", lam)``.
    Tied weights are this loss at ``w_dec = w_enc.T``.

    Examples
    --------
    >>> e = np.eye(2)
    >>> autoencoder_loss([[1.0, 2.0]], e, np.zeros(2), e, np.zeros(2),
    ...                  encoder_activation="identity", decoder_activation="identity")
    0.0
    """
    func = "autoencoder_loss"
    net, inputs, clean, options = _objective(
        func,
        x,
        w_enc,
        b_enc,
        w_dec,
        b_dec,
        target,
        encoder_activation,
        decoder_activation,
        loss,
        sparsity,
    )
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # IEEE's answers
        return _loss_and_gradients(net, inputs, clean, *options, backward=False)[0]


def autoencoder_loss_backward(
    d_loss: float,
    x: ArrayLike,
    w_enc: ArrayLike,
    b_enc: ArrayLike,
    w_dec: ArrayLike,
    b_dec: ArrayLike,
    *,
    target: ArrayLike | None = None,
    encoder_activation: str = "sigmoid",
    decoder_activation: str = "sigmoid",
    loss: str = "squared",
    sparsity: tuple[Any, ...] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradient of :func:`autoencoder_loss`: ``(dx, dw_enc, db_enc, dw_dec, db_dec)``.

    Backpropagation through the two layers, the penalty's gradient joining at the code:

    $$\begin{aligned}
    \delta a &= g'(a)\odot\frac{\hat x - t}{N}\ \ \text{(squared)},\\
    \delta a &= \frac{\hat x - t}{N}\ \ \text{(sigmoid and cross-entropy)},
    \end{aligned}$$

    $$\begin{aligned}
    \delta c &= \delta a\, W_d^\top + \beta\,\partial_c\mathrm{KL},\\
    \delta z &= f'(z)\odot\delta c,\\
    \delta W_e &= x^\top\delta z,\\
    \delta W_d &= c^\top\delta a.
    \end{aligned}$$

    With tied weights the gradient of the shared $W$ is ``dw_enc + dw_dec.T``. Without
    ``target``, ``x`` is its own target and ``dx`` has that path too: $-(\hat x - x)/N$
    (squared) or $-a/N$ (cross-entropy).
    """
    func = "autoencoder_loss_backward"
    net, inputs, clean, options = _objective(
        func,
        x,
        w_enc,
        b_enc,
        w_dec,
        b_dec,
        target,
        encoder_activation,
        decoder_activation,
        loss,
        sparsity,
    )
    scale = as_real(d_loss, func, "d_loss")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        gradients = _loss_and_gradients(net, inputs, clean, *options, backward=True)[1]
    return tuple(scale * g for g in gradients)  # type: ignore[return-value]


def train_autoencoder(
    X: ArrayLike,
    hidden: int,
    *,
    encoder_activation: str = "sigmoid",
    decoder_activation: str = "sigmoid",
    tied: bool = False,
    loss: str = "squared",
    sparsity: tuple[Any, ...] | None = None,
    corruption: tuple[str, float] | None = None,
    lr: float,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    optimizer: str = "sgd",
    init: Autoencoder | None = None,
) -> tuple[Autoencoder, np.ndarray]:
    r"""Train an autoencoder on the rows of ``X`` by :func:`reference.optim.train_minibatch`.

    The start (unless ``init`` gives it): $W_e$ Glorot-uniform from ``rng``, $W_d = W_e^\top$
    (also for untied weights, as a start), zero biases. Each minibatch is corrupted when
    ``corruption = (kind, level)`` is given (:func:`corrupt`, fresh noise at every step),
    encoded, decoded and compared with its **clean** rows; the step is ``optimizer``'s on
    the gradient of :func:`autoencoder_loss`. With ``tied`` the parameters are
    $(W, b_e, b_d)$ and $W_d = W^\top$ throughout.

    Returns
    -------
    (params, history)
        The trained :class:`Autoencoder`, and the objective on the whole of ``X`` (clean, no
        corruption) before training and after each epoch: ``epochs + 1`` entries.
    """
    func = "train_autoencoder"
    data = as_float_array(X, func, "X", ndim=2, layout="(N, n_input)")
    require_finite(data, func, "X")
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise ValueError(f"{func}: X must hold at least one row and one column; got {data.shape}")
    width = as_positive_int(hidden, func, "hidden")
    if not isinstance(tied, bool):
        raise TypeError(f"{func}: tied must be True or False; got {describe(tied)}")
    names = (
        _activation(func, "encoder_activation", encoder_activation),
        _activation(func, "decoder_activation", decoder_activation),
    )
    options = _options(func, loss, sparsity, names, data)
    noise = _corruption(func, corruption)
    rate = as_real(lr, func, "lr", strictly_positive=True, finite=True)
    if optimizer not in OPTIMIZERS:
        raise ValueError(
            f"{func}: optimizer must be one of {sorted(OPTIMIZERS)}; got {optimizer!r}"
        )
    generator = require_generator(rng, func)
    if init is None:
        weights = initialisers.glorot_uniform((data.shape[1], width), generator)
        start = Autoencoder(
            weights, np.zeros(width), weights.T.copy(), np.zeros(data.shape[1]), *names
        )
    else:
        start = _autoencoder(func, init)._replace(
            encoder_activation=names[0], decoder_activation=names[1]
        )
        if start.w_enc.shape != (data.shape[1], width):
            raise ValueError(
                f"{func}: init's w_enc must have shape ({data.shape[1]}, {width}); got "
                f"{start.w_enc.shape}"
            )

    def network(flat: list[np.ndarray]) -> Autoencoder:
        if tied:
            return Autoencoder(flat[0], flat[1], np.ascontiguousarray(flat[0].T), flat[2], *names)
        return Autoencoder(flat[0], flat[1], flat[2], flat[3], *names)

    def batch_gradient(flat: list[np.ndarray], rows: np.ndarray) -> tuple[float, list[np.ndarray]]:
        clean = data[rows]
        inputs = clean if noise is None else corrupt(clean, *noise, generator)
        value, (_, d_w_enc, d_b_enc, d_w_dec, d_b_dec) = _loss_and_gradients(
            network(flat), inputs, clean, *options, backward=True
        )
        if tied:
            # the shared W gets both uses: ∂/∂W = δW_e + δW_dᵀ
            return value, [d_w_enc + d_w_dec.T, d_b_enc, d_b_dec]
        return value, [d_w_enc, d_b_enc, d_w_dec, d_b_dec]

    def evaluate(flat: list[np.ndarray]) -> float:
        return _loss_and_gradients(network(flat), data, data, *options, backward=False)[0]

    first = [start.w_enc, start.b_enc, start.b_dec] if tied else list(start[:4])
    flat, history = train_minibatch(
        first,
        batch_gradient,
        samples=data.shape[0],
        batch_size=batch_size,
        epochs=epochs,
        rng=generator,
        step=make_optimizer(optimizer, lr=rate),
        evaluate=evaluate,
        func=func,
    )
    return network(flat), history


def train_stacked(X: ArrayLike, sizes: Any, **options: Any) -> list[Autoencoder]:
    r"""Greedy layer-wise pre-training: one autoencoder per code size, each on the codes below.

    The first is trained on ``X`` by :func:`train_autoencoder` with ``options`` (the same
    generator runs through every layer, in order); the next on the first one's codes of the
    clean ``X``, and so on. No layer is changed once it is trained.

    Returns
    -------
    list of Autoencoder
        One per entry of ``sizes``, bottom first.
    """
    func = "train_stacked"
    if not isinstance(sizes, (list, tuple)) or not sizes:
        raise ValueError(
            f"{func}: sizes must be a non-empty list of code sizes; got {describe(sizes)}"
        )
    codes = as_float_array(X, func, "X", ndim=2, layout="(N, n_input)")
    stack: list[Autoencoder] = []
    for size in sizes:
        layer, _ = train_autoencoder(codes, as_positive_int(size, func, "each size"), **options)
        stack.append(layer)
        codes = encode(codes, layer)
    return stack


def fine_tune(
    X: ArrayLike,
    labels: ArrayLike,
    stack: Any,
    *,
    classes: int,
    lr: float,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    optimizer: str = "sgd",
) -> tuple[Params, np.ndarray]:
    r"""Supervised fine-tuning: the stack's encoders, then a softmax layer, trained on labels.

    The network is the encoders of ``stack`` in order (their weights and activations) and a new
    output layer of ``classes`` logits, Glorot-uniform from ``rng`` with zero bias; every layer
    is then trained by :func:`reference.mlp.train_classifier` (the softmax cross-entropy). Its
    history's first entry is the loss of exactly the pre-trained encoders and that output layer.

    Returns
    -------
    (params, history)
        As :func:`reference.mlp.train_classifier` returns them; the activations are the
        encoders' and ``"identity"`` for the logits.
    """
    func = "fine_tune"
    if not isinstance(stack, (list, tuple)) or not stack:
        raise ValueError(
            f"{func}: stack must be a non-empty list of Autoencoder; got {describe(stack)}"
        )
    nets = [_autoencoder(func, layer) for layer in stack]
    count = as_positive_int(classes, func, "classes")
    generator = require_generator(rng, func)
    output = (
        initialisers.glorot_uniform((nets[-1].w_enc.shape[1], count), generator),
        np.zeros(count),
    )
    params = [(net.w_enc, net.b_enc) for net in nets] + [output]
    names = [net.encoder_activation for net in nets] + ["identity"]
    return train_classifier(
        X,
        labels,
        params,
        names,
        lr=lr,
        batch_size=batch_size,
        epochs=epochs,
        rng=generator,
        optimizer=optimizer,
    )


# -- checks ---------------------------------------------------------------------------------


def _activation(func: str, name: str, value: Any) -> str:
    if value not in CODE_ACTIVATIONS:
        raise ValueError(f"{func}: {name} must be one of {list(CODE_ACTIVATIONS)}; got {value!r}")
    return str(value)


def _layers(
    func: str, w_enc: ArrayLike, b_enc: ArrayLike, w_dec: ArrayLike, b_dec: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    encoder = as_float_array(w_enc, func, "w_enc", ndim=2, layout="(n_input, n_code)")
    inputs, code = encoder.shape
    decoder = as_float_array(w_dec, func, "w_dec", ndim=2, layout="(n_code, n_input)")
    if decoder.shape != (code, inputs):
        raise ValueError(
            f"{func}: w_dec must have shape ({code}, {inputs}), w_enc's transposed; got "
            f"{decoder.shape}"
        )
    biases = []
    for name, value, size in (("b_enc", b_enc, code), ("b_dec", b_dec, inputs)):
        bias = as_float_array(value, func, name, ndim=1, layout=f"({size},)")
        if bias.shape != (size,):
            raise ValueError(f"{func}: {name} must have shape ({size},); got {bias.shape}")
        biases.append(bias)
    return encoder, biases[0], decoder, biases[1]


def _autoencoder(func: str, params: Any) -> Autoencoder:
    if not isinstance(params, Autoencoder):
        raise TypeError(f"{func}: params must be an Autoencoder; got {describe(params)}")
    layers = _layers(func, *params[:4])
    return Autoencoder(
        *layers,
        _activation(func, "encoder_activation", params.encoder_activation),
        _activation(func, "decoder_activation", params.decoder_activation),
    )


def _sparsity_input(func: str, code: ArrayLike, rho: float) -> tuple[np.ndarray, float]:
    codes = as_float_array(code, func, "code", ndim=2, layout="(N, n_code)")
    if codes.shape[0] == 0:
        raise ValueError(f"{func}: code must hold at least one row; got shape {codes.shape}")
    require_unit_interval(codes, func, "code")
    target = as_real(rho, func, "rho", finite=True)
    if not 0.0 < target < 1.0:
        raise ValueError(f"{func}: rho must lie in (0, 1); got {target!r}")
    return codes, target


def _options(
    func: str, loss: Any, sparsity: Any, names: tuple[str, str], target: np.ndarray
) -> tuple[str, str, float, float]:
    """(loss, penalty kind or "", rho, strength) after checking them against the activations."""
    if loss not in LOSSES:
        raise ValueError(f"{func}: loss must be one of {list(LOSSES)}; got {loss!r}")
    if loss == "cross_entropy":
        if names[1] != "sigmoid":
            raise ValueError(
                f"{func}: loss 'cross_entropy' needs decoder_activation 'sigmoid' (outputs in "
                f"(0, 1)); got {names[1]!r}"
            )
        require_unit_interval(target, func, "target")
    if sparsity is None:
        return str(loss), "", 0.0, 0.0
    if isinstance(sparsity, tuple) and len(sparsity) == 3 and sparsity[0] == "kl":
        if names[0] != "sigmoid":
            raise ValueError(
                f"{func}: the KL sparsity penalty needs encoder_activation 'sigmoid' (codes in "
                f"(0, 1)); got {names[0]!r}"
            )
        rho = as_real(sparsity[1], func, "sparsity's rho", finite=True)
        if not 0.0 < rho < 1.0:
            raise ValueError(f"{func}: sparsity's rho must lie in (0, 1); got {rho!r}")
        beta = as_real(sparsity[2], func, "sparsity's beta", minimum=0.0, finite=True)
        return str(loss), "kl", rho, beta
    if isinstance(sparsity, tuple) and len(sparsity) == 2 and sparsity[0] == "l1":
        lam = as_real(sparsity[1], func, "sparsity's lambda", minimum=0.0, finite=True)
        return str(loss), "l1", 0.0, lam
    raise ValueError(
        f"{func}: sparsity must be None, ('kl', rho, beta) or ('l1', lambda); got {sparsity!r}"
    )


def _corruption(func: str, corruption: Any) -> tuple[str, float] | None:
    if corruption is None:
        return None
    if not isinstance(corruption, tuple) or len(corruption) != 2:
        raise ValueError(f"{func}: corruption must be None or (kind, level); got {corruption!r}")
    kind, level = corruption
    if kind not in CORRUPTIONS:
        raise ValueError(
            f"{func}: corruption's kind must be one of {list(CORRUPTIONS)}; got {kind!r}"
        )
    amount = as_real(level, func, "corruption's level", minimum=0.0, finite=True)
    if kind != "gaussian" and amount > 1.0:
        raise ValueError(
            f"{func}: corruption's level must be in [0, 1] for {kind!r}; got {amount!r}"
        )
    return str(kind), amount


def _objective(
    func: str,
    x: ArrayLike,
    w_enc: ArrayLike,
    b_enc: ArrayLike,
    w_dec: ArrayLike,
    b_dec: ArrayLike,
    target: ArrayLike | None,
    encoder_activation: Any,
    decoder_activation: Any,
    loss: Any,
    sparsity: Any,
) -> tuple[Autoencoder, np.ndarray, np.ndarray, tuple[str, str, float, float]]:
    names = (
        _activation(func, "encoder_activation", encoder_activation),
        _activation(func, "decoder_activation", decoder_activation),
    )
    net = Autoencoder(*_layers(func, w_enc, b_enc, w_dec, b_dec), *names)
    inputs = as_rows(x, func, "x", net.w_enc.shape[0], "n_input")
    if inputs.shape[0] == 0:
        raise ValueError(f"{func}: x must hold at least one row; got shape {inputs.shape}")
    clean = inputs if target is None else as_float_array(target, func, "target", ndim=2)
    if clean.shape != inputs.shape:
        raise ValueError(
            f"{func}: target must have the shape of x, {inputs.shape}; got {clean.shape}"
        )
    return net, inputs, clean, _options(func, loss, sparsity, names, clean)


# -- the model's forward and backward -------------------------------------------------------


def _loss_and_gradients(
    net: Autoencoder,
    x: np.ndarray,
    target: np.ndarray,
    loss: str,
    penalty: str,
    rho: float,
    strength: float,
    *,
    backward: bool,
) -> tuple[float, tuple[np.ndarray, ...]]:
    """The objective on a batch and, when asked, (dx, dw_enc, db_enc, dw_dec, db_dec)."""
    encoder, decoder = ACTIVATIONS[net.encoder_activation], ACTIVATIONS[net.decoder_activation]
    rows = x.shape[0]
    # z = x W_e + b_e,  c = f(z)
    z = _dense_kernel(x, net.w_enc, net.b_enc)
    code = encoder[0](z)
    # a = c W_d + b_d,  x̂ = g(a)
    a = _dense_kernel(code, net.w_dec, net.b_dec)
    if loss == "squared":
        reconstruction = decoder[0](a)
        # L = (1/N) Σ_n ½ |x̂_n − t_n|²
        value = 0.5 * float(np.sum((reconstruction - target) ** 2)) / rows
    else:
        # L = (1/N) Σ softplus(a) − t a, the cross-entropy of x̂ = σ(a), from the logits
        value = float(np.sum(np.logaddexp(0.0, a) - target * a)) / rows
    if penalty == "kl":
        value += strength * float(_kl_kernel(code, rho))
    elif penalty == "l1":
        value += strength * float(np.abs(code).sum()) / rows
    if not backward:
        return value, ()
    if loss == "squared":
        # δa = g'(a) ⊙ (x̂ − t)/N
        d_a = decoder[1]((reconstruction - target) / rows, a)
    else:
        # δa = (σ(a) − t)/N: the sigmoid's slope cancels the cross-entropy's denominator
        d_a = (ACTIVATIONS["sigmoid"][0](a) - target) / rows
    # δc = δa W_dᵀ,  δW_d = cᵀ δa,  δb_d = Σ_n δa_n
    d_code, d_w_dec, d_b_dec = _dense_backward_kernel(d_a, code, net.w_dec)
    if penalty == "kl":
        # δc += β ∂KL/∂c
        d_code = d_code + _kl_backward_kernel(strength, code, rho)
    elif penalty == "l1":
        # δc += λ sign(c)/N
        d_code = d_code + strength * np.sign(code) / rows
    # δz = f'(z) ⊙ δc
    d_z = encoder[1](d_code, z)
    # δx = δz W_eᵀ,  δW_e = xᵀ δz,  δb_e = Σ_n δz_n
    d_x, d_w_enc, d_b_enc = _dense_backward_kernel(d_z, x, net.w_enc)
    if target is x:
        # x is the target too: δx −= (x̂ − x)/N (squared), or a/N (the cross-entropy's −t a)
        d_x = d_x - ((reconstruction - target) if loss == "squared" else a) / rows
    return value, (d_x, d_w_enc, d_b_enc, d_w_dec, d_b_dec)


# error_model="numpy": a unit whose mean is exactly 0 or 1 gives ±inf as in IEEE arithmetic,
# not Python's ZeroDivisionError (the public functions silence NumPy's warning for plain Python)
@numba.njit(cache=True, error_model="numpy")
def _kl_kernel(code: np.ndarray, rho: float) -> float:
    # ρ̂_j = (1/N) Σ_n c_nj
    mean = code.sum(axis=0) / code.shape[0]
    # Σ_j KL(ρ ‖ ρ̂_j) = Σ_j ρ log(ρ/ρ̂_j) + (1 − ρ) log((1 − ρ)/(1 − ρ̂_j))
    return np.sum(rho * np.log(rho / mean) + (1.0 - rho) * np.log((1.0 - rho) / (1.0 - mean)))


@numba.njit(cache=True, error_model="numpy")
def _kl_backward_kernel(d_loss: float, code: np.ndarray, rho: float) -> np.ndarray:
    rows = code.shape[0]
    mean = code.sum(axis=0) / rows
    # ∂KL/∂c_nj = (1/N) (−ρ/ρ̂_j + (1 − ρ)/(1 − ρ̂_j)), the same for every row n
    slope = d_loss * (-rho / mean + (1.0 - rho) / (1.0 - mean)) / rows
    return np.ones((rows, 1)) * slope
