"""Laws of the convolutional network: its backward end to end, inference, and the digits result.

Each layer's own laws (convolution, batch normalisation, ReLU, max pooling, the dense layer)
are in its file and in the catalog; here are the laws of the layers put together.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import assert_close, assert_gradient, gamma, reject_inconclusive
from numerics import strategies as nst
from reference import cnn
from reference.dense import dense
from reference.digits import load_digits_split
from reference.pooling import max_pool2d


@st.composite
def networks(draw: st.DrawFn) -> tuple[np.ndarray, cnn.CnnParams]:
    """A batch of 2 or 3 images (1 or 2 channels, 4 or 8 pixels a side) and a random network.

    Every value is drawn from a seeded normal distribution, so no two values that a max pooling
    compares are equal and no ReLU input is exactly 0: the network is smooth at the point
    with probability one (how close a kink comes is the checker's to judge).
    """
    rng = np.random.default_rng(draw(nst.seeds()))
    count, sources = draw(st.integers(2, 3)), draw(st.integers(1, 2))
    image = (draw(st.sampled_from((4, 8))), draw(st.sampled_from((4, 8))))
    first, second, classes = (draw(st.integers(1, 3)) for _ in range(3))
    params = cnn.init_cnn(
        rng, in_channels=sources, channels=(first, second), image=image, classes=classes
    )
    # batch norm away from its identity start: γ ~ N(1, 1/4), β ~ N(0, 1/4), a nonzero bias
    params = params._replace(
        gamma1=1.0 + 0.5 * rng.standard_normal(first),
        beta1=0.5 * rng.standard_normal(first),
        gamma2=1.0 + 0.5 * rng.standard_normal(second),
        beta2=0.5 * rng.standard_normal(second),
        bias=rng.standard_normal(classes),
    )
    return rng.standard_normal((count, sources, *image)), params


@pytest.mark.parametrize("normalise", [True, False], ids=["batch norm", "affine"])
@given(network=networks(), seed=nst.seeds())
def test_the_backward_is_the_gradient_of_the_whole_network(
    network: tuple, seed: int, normalise: bool
) -> None:
    """cnn_backward is the gradient of <d_logits, cnn_forward> in the image and every parameter.

    Two blocks of convolution, batch normalisation (training mode: through the batch's
    statistics; or, with normalise=False, the affine map gamma z + beta in its place), ReLU
    and max pooling, then the dense layer, checked end to end by check_gradient in all nine
    inputs at once. A draw where a ReLU input or a pooling window's runner-up comes within
    the checker's step of its kink is judged inconclusive and drawn again (about 1 in 300).
    """
    x, params = network

    def forward(x: np.ndarray, *params: np.ndarray) -> np.ndarray:
        return cnn.cnn_forward(x, params, normalise=normalise)

    def backward(d_logits: np.ndarray, x: np.ndarray, *params: np.ndarray) -> tuple:
        dx, grads = cnn.cnn_backward(d_logits, x, params, normalise=normalise)
        return (dx, *grads)

    with reject_inconclusive():
        assert_gradient(forward, backward, [x, *params], seed=seed, directions=1)


@given(networks(), st.data())
def test_in_inference_an_image_is_scored_alone(network: tuple, data: st.DataObject) -> None:
    """cnn_predict gives each image of a batch the scores it gets alone.

    With fixed statistics every layer before the dense one treats each image by itself, in
    the same operations (the same bits); the dense layer's BLAS product may round a
    one-row product differently, within gamma_{F+1} of its gauge |f| |W| + |b| on each side.
    In training mode the same image scores differently in another batch.
    """
    x, params = network
    statistics = cnn.population_statistics(x, params)
    together = cnn.cnn_predict(x, params, statistics)
    index = data.draw(st.integers(0, len(x) - 1))
    alone = cnn.cnn_predict(x[index : index + 1], params, statistics)
    # the flattened maps the dense layer reads: block 2's ReLU maps, pooled
    features = max_pool2d(cnn.feature_maps(x[index : index + 1], params, statistics)[1], 2)
    features = features.reshape(1, -1)
    gauge = dense(np.abs(features), np.abs(params.weights), np.abs(params.bias))
    assert_close(alone, together[index : index + 1], gauge=gauge, terms=2 * (features.size + 1))


def test_in_training_mode_an_image_is_scored_with_its_batch() -> None:
    """In training mode the batch's statistics normalise: the same image scores differently.

    Not by rounding: the two scores differ by more than the bound that holds the inference
    law's two products together, gamma_{2(F+1)} of the dense layer's gauge.
    """
    rng = np.random.default_rng(0)
    params = cnn.init_cnn(rng, channels=(2, 2), image=(4, 4), classes=3)
    x = rng.standard_normal((4, 1, 4, 4))
    first = cnn.cnn_forward(x[:2], params)[0]
    other = cnn.cnn_forward(np.concatenate([x[:1], x[2:]]), params)[0]
    statistics = cnn.population_statistics(x[:2], params)
    features = max_pool2d(cnn.feature_maps(x[:1], params, statistics)[1], 2).reshape(1, -1)
    gauge = dense(np.abs(features), np.abs(params.weights), np.abs(params.bias))
    assert np.max(np.abs(first - other)) > gamma(2 * (features.size + 1)) * np.max(gauge)


def test_the_population_statistics_of_one_batch_are_its_batch_statistics() -> None:
    """On one batch, the first block's population statistics are batchnorm_train's own.

    The batch's mean and biased variance, which training mode normalises by.
    """
    from reference.batchnorm import batchnorm_train
    from reference.conv import conv2d

    rng = np.random.default_rng(1)
    params = cnn.init_cnn(rng, channels=(3, 2), image=(8, 4), classes=2)
    x = rng.standard_normal((5, 1, 8, 4))
    (mean1, var1), _ = cnn.population_statistics(x, params)
    z1 = conv2d(x, params.conv1, padding=1)
    _, batch_mean, batch_var = batchnorm_train(z1, params.gamma1, params.beta1)
    # two sums of the same n = N H W values in different orders: gamma_n of the gauge on each
    # side; two-pass variances likewise within gamma_{n+2} of the variance each (the mean's
    # own error enters only squared), so 2n and 4n terms between them
    assert_close(mean1, batch_mean, gauge=np.abs(z1).mean(axis=(0, 2, 3)), terms=2 * z1[:, 0].size)
    assert_close(var1, batch_var, gauge=batch_var, terms=4 * z1[:, 0].size)


@pytest.mark.experiment
def test_the_network_reads_at_least_99_percent_of_the_held_out_digits() -> None:
    """At least 99.0 % of the 500 held-out 8x8 digits right; the MLP of the same split: 97.2 %.

    Two blocks of 32 channels, 20 epochs of Adam (lr 0.005, minibatches of 32, seed 0) on the
    other 1297 digits, scored in inference mode with the training set's population statistics.
    """
    result = cnn.train_digit_cnn()
    assert result.test_accuracy >= 0.990
    assert result.history[-1, 0] < 0.01 * result.history[0, 0]
    assert result.history.shape == (21, 2)


def test_without_batch_norm_training_and_inference_are_one_function() -> None:
    """With normalise=False the trained network scores in inference as it did in training.

    No statistics are kept (there are none to keep), and the held-out predictions are the
    training-mode forward's, bit for bit.
    """
    result = cnn.train_digit_cnn(channels=(2, 2), epochs=1, seed=5, normalise=False)
    _, _, X_test, _ = load_digits_split()
    logits = cnn.cnn_forward(X_test.reshape(-1, 1, 8, 8), result.params, normalise=False)
    assert result.statistics is None
    assert np.array_equal(result.test_predictions, np.argmax(logits, axis=1))


def test_training_is_reproducible_from_its_seed() -> None:
    """The same seed gives the same history and parameters, bit for bit; another seed does not."""
    first = cnn.train_digit_cnn(channels=(2, 2), epochs=1, seed=3)
    again = cnn.train_digit_cnn(channels=(2, 2), epochs=1, seed=3)
    other = cnn.train_digit_cnn(channels=(2, 2), epochs=1, seed=4)
    assert np.array_equal(first.history, again.history)
    assert all(np.array_equal(a, b) for a, b in zip(first.params, again.params, strict=True))
    assert not np.array_equal(first.params.conv1, other.params.conv1)


def test_nothing_writes_into_its_inputs() -> None:
    """Forward, backward, statistics and inference leave x, params and d_logits as they were."""
    rng = np.random.default_rng(2)
    params = cnn.init_cnn(rng, channels=(2, 3), image=(4, 8), classes=2)
    x = rng.standard_normal((3, 1, 4, 8))
    d_logits = rng.standard_normal((3, 2))
    kept = [a.copy() for a in (x, d_logits, *params)]
    cnn.cnn_forward(x, params)
    cnn.cnn_backward(d_logits, x, params)
    statistics = cnn.population_statistics(x, params)
    cnn.cnn_predict(x, params, statistics)
    assert all(np.array_equal(a, b) for a, b in zip((x, d_logits, *params), kept, strict=True))


def _small() -> tuple[np.ndarray, cnn.CnnParams]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((2, 1, 4, 4)), cnn.init_cnn(rng, channels=(2, 2), image=(4, 4))


BAD_CALLS: list[tuple[str, Any, type[Exception], str]] = [
    ("x of rank 3", lambda x, p: cnn.cnn_forward(x[0], p), ValueError, "x must be a 4-D array"),
    (
        "x of integers",
        lambda x, p: cnn.cnn_forward(x.astype(int), p),
        TypeError,
        "x must be a real",
    ),
    (
        "x 6 pixels high",
        lambda x, p: cnn.cnn_forward(np.zeros((2, 1, 6, 4)), p),
        ValueError,
        "x must have a height and a width divisible by 4",
    ),
    (
        "seven parameters",
        lambda x, p: cnn.cnn_forward(x, p[:7]),
        ValueError,
        "params must be the eight arrays",
    ),
    (
        "conv1 for 3 input channels",
        lambda x, p: cnn.cnn_forward(x, p._replace(conv1=np.zeros((2, 3, 3, 3)))),
        ValueError,
        r"params.conv1 must have shape \(2, 1, 3, 3\)",
    ),
    (
        "a 1-D dense layer",
        lambda x, p: cnn.cnn_forward(x, p._replace(weights=np.zeros(8))),
        ValueError,
        "params.weights must be a 2-D array",
    ),
    (
        "dense weights for 16 features",
        lambda x, p: cnn.cnn_forward(x, p._replace(weights=np.zeros((16, 10)))),
        ValueError,
        r"params.weights must have shape \(2, 10\)",
    ),
    (
        "d_logits of the wrong shape",
        lambda x, p: cnn.cnn_backward(np.zeros((2, 9)), x, p),
        ValueError,
        "d_logits must have the output's shape",
    ),
    (
        "statistics of one block",
        lambda x, p: cnn.cnn_predict(x, p, cnn.population_statistics(x, p)[:1]),
        ValueError,
        "statistics must be",
    ),
    (
        "channels of three",
        lambda x, p: cnn.init_cnn(np.random.default_rng(0), channels=(1, 2, 3)),
        ValueError,
        "channels must be a pair",
    ),
    (
        "an image of 6 pixels",
        lambda x, p: cnn.init_cnn(np.random.default_rng(0), image=(6, 8)),
        ValueError,
        "image must have a height and a width divisible by 4",
    ),
    (
        "normalise of 1",
        lambda x, p: cnn.cnn_forward(x, p, normalise=1),
        TypeError,
        "normalise must be True or False",
    ),
    (
        "no seed",
        lambda x, p: cnn.train_digit_cnn(seed=None),
        TypeError,
        "seed must be a non-negative integer",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [case[1:] for case in BAD_CALLS],
    ids=[case[0] for case in BAD_CALLS],
)
def test_bad_input_is_refused_with_a_message_naming_it(
    call: Any, error: type, message: str
) -> None:
    """Wrong rank, dtype, size, parameter count or shape: an error naming what and where.

    The function, the argument, what was expected and what came.
    """
    x, params = _small()
    with pytest.raises(error, match=rf"^\w+: {message}"):
        call(x, params)
