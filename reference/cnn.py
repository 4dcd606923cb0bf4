r"""A convolutional network end to end: LeNet's pattern, built from the reference's own layers.

Two blocks of convolution, batch normalisation, ReLU and 2x2 max pooling, then
one dense layer to the class scores:

$$\begin{aligned}
a^{(0)} &= x,\\
a^{(k)} &= \text{pool}\big(\text{relu}(\text{BN}(a^{(k-1)} \star w_k))\big),\\
z &= \text{flatten}(a^{(2)})\,W + b ,
\end{aligned}$$

for the blocks $k = 1, 2$.
Each 3x3 convolution is padded by one pixel, so it keeps the image's size, and
each pooling halves it: an 8x8 digit becomes 4x4, then 2x2 maps. The
convolutions have no bias, because batch normalisation's $\beta$ takes its
place. The backward pass is every layer's own backward function, called from
the loss back to the image: there is nothing in this module but the order.

The page [A convolutional network][a-convolutional-network] tells what each layer
adds and shows the network learning the 8x8 digits of the page
[Backpropagation][backpropagation].

References
----------
Y. LeCun, B. Boser, J. S. Denker et al., Backpropagation applied to handwritten
zip code recognition, *Neural Computation* 1(4), 1989.
S. Ioffe and C. Szegedy, Batch normalization: accelerating deep network training
by reducing internal covariate shift, *ICML* 2015.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from reference._validation import (
    as_float_array,
    as_positive_int,
    as_real,
    as_seed,
    describe,
    require_flag,
    require_output_shape,
)
from reference.activations import relu, relu_backward
from reference.batchnorm import batchnorm_backward, batchnorm_infer, batchnorm_train
from reference.conv import conv2d, conv2d_backward
from reference.dense import dense, dense_backward
from reference.digits import load_digits_split
from reference.init import he_normal, lecun_normal
from reference.losses import cross_entropy_with_logits, cross_entropy_with_logits_backward
from reference.optim import optimizer, train_minibatch
from reference.pooling import max_pool2d, max_pool2d_backward

__all__ = [
    "CnnParams",
    "CnnResult",
    "cnn_backward",
    "cnn_forward",
    "cnn_predict",
    "feature_maps",
    "init_cnn",
    "population_statistics",
    "train_digit_cnn",
]

#: Each convolution's zero padding: one pixel on every side keeps a 3x3 kernel's output
#: the size of its input.
PADDING = 1
#: The side of each max pooling window, and its stride.
POOL = 2
#: Batch normalisation's epsilon, PyTorch's default.
EPS = 1e-5


class CnnParams(NamedTuple):
    """The network's parameters, in the order the training loop steps them."""

    conv1: np.ndarray
    """The first block's kernels, (C1, C_in, 3, 3)."""
    gamma1: np.ndarray
    """The first batch normalisation's scale, (C1,)."""
    beta1: np.ndarray
    """Its shift, (C1,): the first convolution's bias, in effect."""
    conv2: np.ndarray
    """The second block's kernels, (C2, C1, 3, 3)."""
    gamma2: np.ndarray
    """The second batch normalisation's scale, (C2,)."""
    beta2: np.ndarray
    """Its shift, (C2,)."""
    weights: np.ndarray
    """The dense layer, (C2 H W / 16, classes)."""
    bias: np.ndarray
    """The dense layer's bias, (classes,)."""


#: Each parameter's rank.
RANKS = dict(zip(CnnParams._fields, (4, 1, 1, 4, 1, 1, 2, 1), strict=True))

#: One block's batch-normalisation statistics: (mean, var), each (C,).
Statistics = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def init_cnn(
    rng: np.random.Generator,
    *,
    in_channels: int = 1,
    channels: tuple[int, int] = (32, 32),
    image: tuple[int, int] = (8, 8),
    classes: int = 10,
) -> CnnParams:
    r"""Fresh parameters: He-normal kernels, $\gamma = 1$, $\beta = 0$, a LeCun-normal dense layer.

    The kernels feed ReLUs, so they are drawn with variance $2/\text{fan\_in}$
    (the page [Initialisation][initialisation]); the dense layer feeds the softmax and gets
    $1/\text{fan\_in}$. Batch normalisation starts as the identity on a
    standardised batch.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the kernels and the dense weights.
    in_channels : int, default 1
    channels : (int, int), default (32, 32)
        The two convolutions' output channels, C1 and C2.
    image : (int, int), default (8, 8)
        The input's height and width; both must be multiples of 4 (two poolings).
    classes : int, default 10

    Examples
    --------
    >>> params = init_cnn(np.random.default_rng(0), channels=(4, 8))
    >>> [p.shape for p in params]
    [(4, 1, 3, 3), (4,), (4,), (8, 4, 3, 3), (8,), (8,), (32, 10), (10,)]
    """
    func = "init_cnn"
    sources = as_positive_int(in_channels, func, "in_channels")
    first, second = _pair(func, "channels", channels)
    height, width = _pair(func, "image", image)
    if height % (POOL * POOL) or width % (POOL * POOL):
        raise ValueError(
            f"{func}: image must have a height and a width divisible by 4 (two 2x2 poolings); "
            f"got {height}x{width}"
        )
    outputs = as_positive_int(classes, func, "classes")
    features = second * (height // (POOL * POOL)) * (width // (POOL * POOL))
    return CnnParams(
        he_normal((first, sources, 3, 3), rng),
        np.ones(first),
        np.zeros(first),
        he_normal((second, first, 3, 3), rng),
        np.ones(second),
        np.zeros(second),
        lecun_normal((features, outputs), rng),
        np.zeros(outputs),
    )


def cnn_forward(
    x: ArrayLike, params: CnnParams | tuple[ArrayLike, ...], *, normalise: bool = True
) -> np.ndarray:
    r"""The class scores (logits) of a batch in training mode, with the batch's statistics.

    Each batch norm normalises by the batch's own mean and variance, so each
    example's scores depend on the rest of its batch; :func:`cnn_predict`
    scores examples one by one, with fixed statistics.

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W)
        H and W multiples of 4 (two 2x2 poolings). One image is a batch too: each
        channel's statistics are taken over its N H W values.
    params : CnnParams or a tuple of the same eight arrays
    normalise : bool, default True
        False replaces each batch normalisation by the affine map $\gamma z + \beta$
        per channel (a convolution with a bias and nothing normalised): the same
        network without batch normalisation, for comparison. Training and
        inference are then the same function.

    Returns
    -------
    numpy.ndarray, shape (N, classes)
    """
    func = "cnn_forward"
    images, layers = _check(func, x, params)
    return _forward_pass(images, layers, require_flag(normalise, func, "normalise"))[-1]


def cnn_backward(
    d_logits: ArrayLike,
    x: ArrayLike,
    params: CnnParams | tuple[ArrayLike, ...],
    *,
    normalise: bool = True,
) -> tuple[np.ndarray, CnnParams]:
    r"""The gradients of $\langle d\_logits, \text{cnn\_forward}(x)\rangle$: ``(dx, grads)``.

    Runs the forward pass keeping every layer's input, then calls each layer's
    backward function from the dense layer back to the image, the chain rule
    one layer at a time (the page [Backpropagation][backpropagation]).

    Returns
    -------
    (dx, grads)
        ``dx`` shaped like ``x``, and the parameters' gradients as a :class:`CnnParams`.
    """
    func = "cnn_backward"
    images, layers = _check(func, x, params)
    normalised = require_flag(normalise, func, "normalise")
    cache = _forward_pass(images, layers, normalised)
    upstream = require_output_shape(
        d_logits, func, cache[-1].shape, "(N, classes)", name="d_logits"
    )
    return _backward_pass(upstream, images, layers, cache, normalised)


def population_statistics(x: ArrayLike, params: CnnParams | tuple[ArrayLike, ...]) -> Statistics:
    r"""Each batch norm's mean and variance over the whole of ``x``, block after block.

    The statistics inference normalises by: after training, the moments of each
    normalised layer's input over the training set, the second block's computed
    with the first block already normalised by its own. (Ioffe and Szegedy
    average the training minibatches' statistics instead, which estimates the
    same moments.) The variance is the biased one of all $N H W$ values of a
    channel: on the digits at least 20 752 values (block 2's 4x4 maps of 1297
    images), where the unbiased one would differ by a factor $1 + 4.8\cdot10^{-5}$.
    """
    images, layers = _check("population_statistics", x, params)
    statistics = []
    activity = images
    for weights, gamma, beta in _blocks(layers):
        z = conv2d(activity, weights, padding=PADDING)
        # μ_c = mean over n, i, j of z_ncij;  σ²_c = mean of (z_ncij − μ_c)²
        mean, var = z.mean(axis=(0, 2, 3)), z.var(axis=(0, 2, 3))
        statistics.append((mean, var))
        activity = max_pool2d(relu(batchnorm_infer(z, gamma, beta, mean, var, eps=EPS)), POOL)
    return statistics[0], statistics[1]


def cnn_predict(
    x: ArrayLike, params: CnnParams | tuple[ArrayLike, ...], statistics: Statistics
) -> np.ndarray:
    r"""The class scores in inference mode: batch norm with fixed ``statistics``.

    Each block is then an affine map per channel followed by ReLU and pooling,
    and an example's scores do not depend on the rest of its batch.

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W)
    params : CnnParams
    statistics : ((mean1, var1), (mean2, var2))
        From :func:`population_statistics`.
    """
    images, layers = _check("cnn_predict", x, params)
    return _inference_pass("cnn_predict", images, layers, statistics)[-1]


def feature_maps(
    x: ArrayLike, params: CnnParams | tuple[ArrayLike, ...], statistics: Statistics
) -> tuple[np.ndarray, np.ndarray]:
    r"""What each block sees in inference mode: its ReLU's output, before the pooling.

    Returns
    -------
    (maps1, maps2)
        Shapes (N, C1, H, W) and (N, C2, H/2, W/2): one map per kernel, each the
        kernel's response at every position after normalisation and ReLU.
    """
    images, layers = _check("feature_maps", x, params)
    r1, _, r2, _, _ = _inference_pass("feature_maps", images, layers, statistics)
    return r1, r2


class CnnResult(NamedTuple):
    """What :func:`train_digit_cnn` returns."""

    params: CnnParams
    """The trained parameters."""
    statistics: Statistics | None
    """The population statistics of the training images, for :func:`cnn_predict`
    (None for a network trained with ``normalise=False``)."""
    history: np.ndarray
    """Shape (epochs + 1, 2): the training cross-entropy and the held-out accuracy, in
    inference mode, before training and after each epoch."""
    test_accuracy: float
    """The fraction of the 500 held-out digits classified right."""
    test_predictions: np.ndarray
    """The predicted digit of each held-out image."""


def train_digit_cnn(
    *,
    channels: tuple[int, int] = (32, 32),
    epochs: int = 20,
    lr: float = 0.005,
    batch_size: int = 32,
    seed: int = 0,
    normalise: bool = True,
) -> CnnResult:
    r"""Train the network on the 8x8 digits' training split with Adam; score it on the rest.

    The split is the MLP's (:func:`reference.digits.load_digits_split`): 1297
    images to learn from, 500 held out. Each minibatch step is the softmax
    cross-entropy's gradient through :func:`cnn_backward`, taken by
    :func:`reference.optim.train_minibatch` with Adam; after the last epoch the
    population statistics of the training images replace the batches' own.
    ``seed`` draws the initial parameters and the order of the minibatches;
    ``normalise=False`` trains the same network without batch normalisation
    (see :func:`cnn_forward`).
    """
    func = "train_digit_cnn"
    rng = np.random.default_rng(as_seed(seed, func))
    normalised = require_flag(normalise, func, "normalise")
    rate = as_real(lr, func, "lr", strictly_positive=True, finite=True)
    X_train, labels_train, X_test, labels_test = load_digits_split()
    train_images = X_train.reshape(-1, 1, 8, 8)
    test_images = X_test.reshape(-1, 1, 8, 8)
    params = init_cnn(rng, channels=channels)

    def batch_gradient(layers: list[np.ndarray], rows: np.ndarray) -> tuple[float, CnnParams]:
        network, images, labels = CnnParams(*layers), train_images[rows], labels_train[rows]
        # one forward pass, kept for the backward (cnn_backward would run its own)
        cache = _forward_pass(images, network, normalised)
        logits = cache[-1]
        # ∂L/∂z = (softmax(z) − onehot) / N
        d_logits = cross_entropy_with_logits_backward(1.0, logits, labels)
        gradients = _backward_pass(d_logits, images, network, cache, normalised)[1]
        return cross_entropy_with_logits(logits, labels), gradients

    def statistics_of(network: CnnParams) -> Statistics | None:
        """The training set's population statistics (none without batch norm)."""
        return population_statistics(train_images, network) if normalised else None

    def scores(network: CnnParams, statistics: Statistics | None, images: np.ndarray) -> np.ndarray:
        """Inference: with fixed statistics, or, without batch norm, the network as trained."""
        if statistics is None:
            return _forward_pass(images, network, False)[-1]
        return cnn_predict(images, network, statistics)

    def evaluate(layers: list[np.ndarray]) -> tuple[float, float]:
        network = CnnParams(*layers)
        statistics = statistics_of(network)
        train_logits = scores(network, statistics, train_images)
        correct = np.argmax(scores(network, statistics, test_images), axis=1) == labels_test
        return cross_entropy_with_logits(train_logits, labels_train), float(np.mean(correct))

    trained, history = train_minibatch(
        list(params),
        batch_gradient,
        samples=len(train_images),
        batch_size=batch_size,
        epochs=epochs,
        rng=rng,
        step=optimizer("adam", lr=rate),
        evaluate=evaluate,
        func=func,
    )
    network = CnnParams(*trained)
    statistics = statistics_of(network)
    predictions = np.argmax(scores(network, statistics, test_images), axis=1)
    return CnnResult(
        network,
        statistics,
        np.asarray(history),
        float(np.mean(predictions == labels_test)),
        predictions,
    )


def _forward_pass(x: np.ndarray, layers: CnnParams, normalise: bool = True) -> list[np.ndarray]:
    """Every layer's output, in order: what the backward pass reads."""
    # block 1: z₁ = x ⋆ w₁,  n₁ = BN(z₁),  r₁ = relu(n₁),  a₁ = pool(r₁)
    z1 = conv2d(x, layers.conv1, padding=PADDING)
    n1 = _normalise(z1, layers.gamma1, layers.beta1, normalise)
    r1 = relu(n1)
    a1 = max_pool2d(r1, POOL)
    # block 2: the same on a₁
    z2 = conv2d(a1, layers.conv2, padding=PADDING)
    n2 = _normalise(z2, layers.gamma2, layers.beta2, normalise)
    r2 = relu(n2)
    a2 = max_pool2d(r2, POOL)
    # the dense layer on the flattened maps: logits = flatten(a₂) W + b
    features = a2.reshape(len(a2), -1)
    return [z1, n1, r1, a1, z2, n2, r2, a2, features, dense(features, layers.weights, layers.bias)]


def _inference_pass(
    func: str, x: np.ndarray, layers: CnnParams, statistics: Any
) -> list[np.ndarray]:
    """Inference mode: each block's ReLU maps and pooled maps, then the logits."""
    if not isinstance(statistics, (list, tuple)) or len(statistics) != 2:
        raise ValueError(
            f"{func}: statistics must be ((mean1, var1), (mean2, var2)) from "
            f"population_statistics; got {describe(statistics)}"
        )
    outputs, activity = [], x
    for (weights, gamma, beta), pair in zip(_blocks(layers), statistics, strict=True):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(
                f"{func}: statistics must hold (mean, var) pairs; got {describe(pair)}"
            )
        # r = relu(γ (x ⋆ w − μ) / √(σ² + ε) + β),  a = pool(r)
        z = conv2d(activity, weights, padding=PADDING)
        maps = relu(batchnorm_infer(z, gamma, beta, *pair, eps=EPS))
        activity = max_pool2d(maps, POOL)
        outputs += [maps, activity]
    return [*outputs, dense(activity.reshape(len(activity), -1), layers.weights, layers.bias)]


def _backward_pass(
    d_logits: np.ndarray,
    x: np.ndarray,
    layers: CnnParams,
    cache: list[np.ndarray],
    normalise: bool = True,
) -> tuple[np.ndarray, CnnParams]:
    """Each layer's backward, from the logits back to the image."""
    z1, n1, r1, a1, z2, n2, r2, a2, features, _ = cache
    # the dense layer: δf = δlogits Wᵀ,  δW = fᵀ δlogits,  δb = Σ_n δlogits
    d_features, d_weights, d_bias = dense_backward(d_logits, features, layers.weights, layers.bias)
    # block 2, backwards: unflatten, pool routes to each window's maximum, relu gates, BN, conv
    d_r2 = max_pool2d_backward(d_features.reshape(a2.shape), r2, POOL)
    d_n2 = relu_backward(d_r2, n2)
    d_z2, d_gamma2, d_beta2 = _normalise_backward(d_n2, z2, layers.gamma2, layers.beta2, normalise)
    d_a1, d_conv2, _ = conv2d_backward(d_z2, a1, layers.conv2, padding=PADDING)
    # block 1, backwards: the same
    d_r1 = max_pool2d_backward(d_a1, r1, POOL)
    d_n1 = relu_backward(d_r1, n1)
    d_z1, d_gamma1, d_beta1 = _normalise_backward(d_n1, z1, layers.gamma1, layers.beta1, normalise)
    dx, d_conv1, _ = conv2d_backward(d_z1, x, layers.conv1, padding=PADDING)
    grads = CnnParams(d_conv1, d_gamma1, d_beta1, d_conv2, d_gamma2, d_beta2, d_weights, d_bias)
    return dx, grads


def _blocks(layers: CnnParams) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]:
    """Each block's (kernels, gamma, beta)."""
    return (
        (layers.conv1, layers.gamma1, layers.beta1),
        (layers.conv2, layers.gamma2, layers.beta2),
    )


def _normalise(z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, normalise: bool) -> np.ndarray:
    if normalise:
        # n = γ (z − μ_B) / √(σ²_B + ε) + β, with the batch's statistics per channel
        return batchnorm_train(z, gamma, beta, eps=EPS)[0]
    # n = γ z + β per channel: a scale and a bias, nothing normalised
    return z * gamma[:, None, None] + beta[:, None, None]


def _normalise_backward(
    d_n: np.ndarray, z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, normalise: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if normalise:
        return batchnorm_backward(d_n, z, gamma, beta, eps=EPS)
    # δz = γ δn,  δγ = Σ_{n,i,j} δn z,  δβ = Σ_{n,i,j} δn
    return d_n * gamma[:, None, None], (d_n * z).sum(axis=(0, 2, 3)), d_n.sum(axis=(0, 2, 3))


def _pair(func: str, name: str, value: Any) -> tuple[int, int]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(
            f"{func}: {name} must be a pair of positive integers; got {describe(value)}"
        )
    return as_positive_int(value[0], func, name), as_positive_int(value[1], func, name)


def _check(func: str, x: ArrayLike, params: Any) -> tuple[np.ndarray, CnnParams]:
    images = as_float_array(x, func, "x", ndim=4, layout="(N, C_in, H, W)")
    _, sources, height, width = images.shape
    if height % (POOL * POOL) or width % (POOL * POOL):
        raise ValueError(
            f"{func}: x must have a height and a width divisible by 4 (two 2x2 poolings); "
            f"got {height}x{width}"
        )
    if not isinstance(params, (list, tuple)) or len(params) != len(CnnParams._fields):
        raise ValueError(
            f"{func}: params must be the eight arrays of CnnParams (conv1, gamma1, beta1, "
            f"conv2, gamma2, beta2, weights, bias); got {describe(params)}"
        )
    arrays = CnnParams(
        *(
            as_float_array(value, func, f"params.{name}", ndim=RANKS[name])
            for name, value in zip(CnnParams._fields, params, strict=True)
        )
    )
    first, second, classes = arrays.conv1.shape[0], arrays.conv2.shape[0], arrays.bias.size
    features = second * (height // (POOL * POOL)) * (width // (POOL * POOL))
    expected = (
        (first, sources, 3, 3),
        (first,),
        (first,),
        (second, first, 3, 3),
        (second,),
        (second,),
        (features, classes),
        (classes,),
    )
    for name, shape, array in zip(CnnParams._fields, expected, arrays, strict=True):
        if array.shape != shape:
            raise ValueError(
                f"{func}: params.{name} must have shape {shape} for x of shape {images.shape}; "
                f"got {array.shape}"
            )
    return images, arrays
