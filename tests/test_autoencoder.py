"""Laws of the autoencoder: the linear one is PCA, the penalties, the corruptions, the stack.

The catalog's generic laws (``tests/test_catalog.py``) hold ``autoencoder_loss`` (every
activation, both losses, both penalties, with and without a clean target), ``kl_sparsity``
and ``l1_sparsity`` to their gradients, to independent NumPy computations, to their inputs
left untouched and to their bad calls. Here are the laws of the model.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given

from numerics import assert_close, assert_gradient, catalog, gamma
from numerics.catalog import Example
from reference import autoencoder as ae
from reference import init, losses, mlp

LOSS = catalog.get("autoencoder_loss")
KL = catalog.get("kl_sparsity")


def _data(seed: int = 0, rows: int = 200) -> np.ndarray:
    """Rows of 6 features with distinct variances (9, 4, 1, 0.25, 0.09, 0.01), rotated, mean 1."""
    generator = np.random.default_rng(seed)
    scales = np.array([3.0, 2.0, 1.0, 0.5, 0.3, 0.1])
    rotation = np.linalg.qr(generator.standard_normal((6, 6)))[0]
    return (generator.standard_normal((rows, 6)) * scales) @ rotation + 1.0


def _principal(X: np.ndarray, code: int) -> tuple[np.ndarray, np.ndarray]:
    """(the covariance's eigenvalues in increasing order, the top ``code`` eigenvectors)."""
    centred = X - X.mean(axis=0)
    values, vectors = np.linalg.eigh(centred.T @ centred / len(X))
    return values, vectors[:, -code:]


LINEAR = {"encoder_activation": "identity", "decoder_activation": "identity"}


@pytest.mark.parametrize("code", [1, 2, 4])
def test_the_pca_projection_is_a_stationary_point_with_the_pca_residual(code: int) -> None:
    """At PCA's projection a linear autoencoder's loss is PCA's residual and its gradient is 0.

    W_e = U, W_d = U^T (U the top principal directions) and biases that centre: the loss is
    half the sum of the discarded eigenvalues.

    x_hat = mean + (x - mean) U U^T is the orthogonal projection on the principal subspace: the
    residual is the discarded components, of mean square sum_(k > code) lambda_k. Within
    gamma_2n of the gauges (the covariance, the eigen-decomposition's backward error
    n u |lambda|_max, and the loss's sums of N n products).
    """
    X = _data()
    values, U = _principal(X, code)
    mean = X.mean(axis=0)
    params = (U, -mean @ U, np.ascontiguousarray(U.T), mean)
    terms = 2 * (X.size + 4 * 6 + 16)
    gauge = float(np.sum(np.abs(X - mean) ** 2)) / len(X) + 6 * values.max()
    assert_close(
        ae.autoencoder_loss(X, *params, **LINEAR),
        0.5 * values[:-code].sum(),
        gauge=gauge,
        terms=terms,
    )
    _, *gradients = ae.autoencoder_loss_backward(1.0, X, *params, target=X.copy(), **LINEAR)
    for gradient in gradients:
        assert_close(gradient, 0.0, gauge=gauge * (1.0 + np.abs(X).max()), terms=terms)


def test_a_trained_linear_autoencoder_finds_the_pca_residual_and_subspace() -> None:
    """Trained from a random start, a linear autoencoder with a 2-unit code finds PCA's answer.

    Full-batch Adam (lr 0.01, 2000 steps) from the Glorot start: the loss ends within 1e-3
    (relative) of half the discarded eigenvalues, and the largest principal angle between the
    decoder's rows and the top two principal directions is below 0.01 rad. These are the
    budget's, not rounding's: measured here, 2.6e-5 and 9e-5 rad. The weights themselves are
    not U (any invertible mixing of the code gives the same reconstruction).
    """
    X = _data()
    values, top = _principal(X, 2)
    params, history = ae.train_autoencoder(
        X,
        2,
        **LINEAR,
        lr=0.01,
        epochs=2000,
        batch_size=len(X),
        rng=np.random.default_rng(1),
        optimizer="adam",
    )
    residual = 0.5 * values[:-2].sum()
    assert history[-1] <= residual * (1.0 + 1e-3)
    assert history[-1] >= residual * (1.0 - 1e-9)  # nothing beats the projection
    spanned = np.linalg.qr(params.w_dec.T)[0]
    cosines = np.linalg.svd(spanned.T @ top, compute_uv=False)
    assert math.acos(min(1.0, cosines.min())) < 0.01


@given(KL.examples)
def test_the_kl_penalty_is_at_least_twice_the_squared_distance_to_the_target(
    example: Example,
) -> None:
    """The KL penalty is at least 2 sum_j (rho - rho_hat_j)^2 (Pinsker), and 0 at rho_hat = rho.

    So it is >= 0 and 0 only at rho_hat = rho; every code at rho gives 0 up to rounding.

    Within gamma_n of the KL gauge below the bound (both rounded).
    """
    (code,), rho = example.inputs, example.attrs["rho"]
    penalty = ae.kl_sparsity(code, rho)
    slack = gamma(2 * KL.terms(example)) * float(KL.gauge(example))
    assert penalty >= 2.0 * float(np.sum((rho - code.mean(axis=0)) ** 2)) - slack
    at_target = Example((np.full_like(code, rho),), {"rho": rho})
    assert abs(ae.kl_sparsity(np.full_like(code, rho), rho)) <= gamma(
        2 * KL.terms(at_target)
    ) * float(KL.gauge(at_target))


@given(LOSS.examples)
def test_no_strength_is_no_penalty(example: Example) -> None:
    """A penalty of strength 0 gives the plain autoencoder's loss and gradients, bit for bit.

    beta = 0 (KL) or lambda = 0 (L1): the penalty's zero is added exactly.
    """
    attrs = dict(example.attrs)
    if attrs["encoder_activation"] != "sigmoid":
        attrs["encoder_activation"] = "sigmoid"
    plain = {**attrs, "sparsity": None}
    for penalty in (("kl", 0.2, 0.0), ("l1", 0.0)):
        weak = {**attrs, "sparsity": penalty}
        assert ae.autoencoder_loss(*example.inputs, **weak) == ae.autoencoder_loss(
            *example.inputs, **plain
        )
        for with_zero, without in zip(
            ae.autoencoder_loss_backward(1.0, *example.inputs, **weak),
            ae.autoencoder_loss_backward(1.0, *example.inputs, **plain),
            strict=True,
        ):
            assert np.array_equal(with_zero, without)


@pytest.mark.parametrize("level", [0.1, 0.5, 0.9])
def test_masking_zeroes_a_binomial_fraction(level: float) -> None:
    """Masking at level nu zeroes a Binomial(n, nu) count of the entries and keeps the rest.

    n = 100 000: within 6 standard deviations sqrt(n nu (1 - nu)) of n nu (a false failure
    about 2e-9 likely, normal approximation); the survivors keep their values.
    """
    n = 100_000
    x = np.linspace(1.0, 2.0, n)
    masked = ae.corrupt(x, "mask", level, np.random.default_rng(3))
    zeros = int((masked == 0.0).sum())
    assert abs(zeros - n * level) <= 6.0 * math.sqrt(n * level * (1.0 - level))
    kept = masked != 0.0
    assert np.array_equal(masked[kept], x[kept])


def test_salt_and_pepper_and_gaussian_noise_have_their_rates() -> None:
    """Salt and pepper and Gaussian noise have their rates, their values and their moments.

    Salt and pepper at nu sets Binomial(n, nu) entries, half to 0 and half to 1; Gaussian
    noise of sd s has mean 0 and variance s^2. n = 100 000, 6 standard deviations each.
    """
    n, level = 100_000, 0.3
    x = np.full(n, 0.5)
    noisy = ae.corrupt(x, "salt_pepper", level, np.random.default_rng(4))
    hit = noisy != 0.5
    assert abs(int(hit.sum()) - n * level) <= 6.0 * math.sqrt(n * level * (1.0 - level))
    assert set(np.unique(noisy[hit])) == {0.0, 1.0}
    ones = int((noisy == 1.0).sum())
    assert abs(ones - hit.sum() / 2) <= 6.0 * math.sqrt(hit.sum() / 4)
    noise = ae.corrupt(x, "gaussian", 0.2, np.random.default_rng(5)) - x
    assert abs(noise.mean()) <= 6.0 * 0.2 / math.sqrt(n)
    # the sample variance's standard deviation is about s^2 sqrt(2 / n)
    assert abs(noise.var() - 0.04) <= 6.0 * 0.04 * math.sqrt(2.0 / n)


@given(LOSS.examples)
def test_a_sigmoid_output_with_cross_entropy_has_the_residual_as_its_pre_activation_gradient(
    example: Example,
) -> None:
    """With a sigmoid decoder and the cross-entropy, dL/da is the residual (x_hat - t)/N.

    So the decoder bias's gradient is the mean residual, sum_n (sigma(a_n) - t_n)/N.

    Within gamma_2n of the mean |residual| plus the pre-activation's gauge (sigma' <= 1/4).
    """
    x, w_enc, b_enc, w_dec, b_dec = example.inputs
    attrs = {**example.attrs, "decoder_activation": "sigmoid", "loss": "cross_entropy"}
    x = np.clip(x, 0.0, 1.0)
    target = np.clip(attrs.get("target", x), 0.0, 1.0)
    attrs["target"] = target
    code = ae.encode(x, ae.Autoencoder(w_enc, b_enc, w_dec, b_dec, attrs["encoder_activation"]))
    reconstruction = 1.0 / (1.0 + np.exp(-(code @ w_dec + b_dec)))
    gradients = ae.autoencoder_loss_backward(1.0, x, w_enc, b_enc, w_dec, b_dec, **attrs)
    residual = reconstruction - target
    gauge = (np.abs(residual) + np.abs(code) @ np.abs(w_dec) + np.abs(b_dec) + 1.0).sum(axis=0)
    assert_close(
        gradients[4],
        residual.sum(axis=0) / len(x),
        gauge=gauge / len(x),
        terms=2 * LOSS.terms(example),
    )


def test_tied_weights_train_one_matrix_by_the_sum_of_both_gradients() -> None:
    """Tied weights stay transposes, and dw_enc + dw_dec^T is the shared matrix's gradient.

    It passes the gradient check of the loss at w_dec = w_enc^T.
    """
    X = np.clip(_data(rows=30) / 8.0 + 0.4, 0.0, 1.0)
    params, _ = ae.train_autoencoder(
        X, 3, tied=True, lr=0.5, epochs=20, batch_size=10, rng=np.random.default_rng(2)
    )
    assert np.array_equal(params.w_dec, params.w_enc.T)

    def tied_loss(W: np.ndarray, b_enc: np.ndarray, b_dec: np.ndarray) -> float:
        return ae.autoencoder_loss(X, W, b_enc, W.T, b_dec, target=X.copy(), loss="cross_entropy")

    def tied_backward(d: float, W: np.ndarray, b_enc: np.ndarray, b_dec: np.ndarray) -> tuple:
        _, dw_enc, db_enc, dw_dec, db_dec = ae.autoencoder_loss_backward(
            d, X, W, b_enc, W.T, b_dec, target=X.copy(), loss="cross_entropy"
        )
        return dw_enc + dw_dec.T, db_enc, db_dec

    assert_gradient(tied_loss, tied_backward, [params.w_enc, params.b_enc, params.b_dec])


def test_train_autoencoder_is_the_loop_its_docstring_describes() -> None:
    """A denoising, sparse, tied run replayed by hand from the public functions is the same.

    Bit for bit: Glorot start, each epoch a permutation cut into minibatches, each minibatch
    corrupted afresh, its clean rows the target, one SGD step on the gradient.
    """
    X = np.clip(_data(rows=24) / 8.0 + 0.4, 0.0, 1.0)
    options = {"sparsity": ("kl", 0.2, 0.5), "loss": "cross_entropy"}
    trained, history = ae.train_autoencoder(
        X,
        3,
        tied=True,
        corruption=("mask", 0.3),
        lr=0.3,
        epochs=3,
        batch_size=8,
        rng=np.random.default_rng(7),
        **options,
    )
    generator = np.random.default_rng(7)
    W = init.glorot_uniform((6, 3), generator)
    b_enc, b_dec = np.zeros(3), np.zeros(6)
    for _ in range(3):
        order = generator.permutation(24)
        for start in range(0, 24, 8):
            clean = X[order[start : start + 8]]
            noisy = ae.corrupt(clean, "mask", 0.3, generator)
            _, dw_enc, db_enc, dw_dec, db_dec = ae.autoencoder_loss_backward(
                1.0, noisy, W, b_enc, W.T, b_dec, target=clean, **options
            )
            W, b_enc, b_dec = (
                W - 0.3 * (dw_enc + dw_dec.T),
                b_enc - 0.3 * db_enc,
                b_dec - 0.3 * db_dec,
            )
    assert np.array_equal(trained.w_enc, W)
    assert np.array_equal(trained.b_enc, b_enc)
    assert np.array_equal(trained.b_dec, b_dec)
    assert history[-1] == ae.autoencoder_loss(X, W, b_enc, W.T, b_dec, target=X, **options)


def test_greedy_stacking_never_changes_the_lower_layers() -> None:
    """Each layer of train_stacked is the autoencoder trained alone on the codes below it.

    With the generator where the layer below left it: bit for bit.
    """
    X = np.clip(_data(rows=40) / 8.0 + 0.4, 0.0, 1.0)
    options = {"lr": 0.5, "epochs": 5, "batch_size": 10}
    stack = ae.train_stacked(X, [4, 2], rng=np.random.default_rng(8), **options)
    generator = np.random.default_rng(8)
    first, _ = ae.train_autoencoder(X, 4, rng=generator, **options)
    second, _ = ae.train_autoencoder(ae.encode(X, first), 2, rng=generator, **options)
    for trained, alone in ((stack[0], first), (stack[1], second)):
        for a, b in zip(trained[:4], alone[:4], strict=True):
            assert np.array_equal(a, b)


def test_fine_tuning_starts_at_exactly_the_composed_pre_trained_loss() -> None:
    """Fine-tuning's first recorded loss is the pre-trained encoders' and the new layer's.

    The cross-entropy of the stack's encoders followed by the new output layer (drawn first
    from the generator), bit for bit.
    """
    X = np.clip(_data(rows=40) / 8.0 + 0.4, 0.0, 1.0)
    labels = (X[:, 0] > X[:, 1]).astype(np.int64)
    stack = ae.train_stacked(
        X, [4, 3], lr=0.5, epochs=3, batch_size=10, rng=np.random.default_rng(9)
    )
    _, history = ae.fine_tune(
        X, labels, stack, classes=2, lr=0.1, epochs=2, batch_size=10, rng=np.random.default_rng(10)
    )
    output = (init.glorot_uniform((3, 2), np.random.default_rng(10)), np.zeros(2))
    network = [(layer.w_enc, layer.b_enc) for layer in stack] + [output]
    logits = mlp.mlp_forward(X, network, ["sigmoid", "sigmoid", "identity"])
    assert history[0] == losses.cross_entropy_with_logits(logits, labels)
    assert history[-1] < history[0]


def test_training_never_changes_its_data_and_corruption_returns_a_copy() -> None:
    """X, the init and corrupt's input are left as they were."""
    X = np.clip(_data(rows=20) / 8.0 + 0.4, 0.0, 1.0)
    before = X.copy()
    start, _ = ae.train_autoencoder(
        X, 2, lr=0.1, epochs=1, batch_size=5, rng=np.random.default_rng(0)
    )
    copies = [array.copy() for array in start[:4]]
    ae.train_autoencoder(
        X,
        2,
        lr=0.1,
        epochs=2,
        batch_size=5,
        rng=np.random.default_rng(0),
        init=start,
        corruption=("salt_pepper", 0.2),
    )
    ae.corrupt(X, "mask", 0.5, np.random.default_rng(0))
    assert np.array_equal(X, before)
    for original, array in zip(copies, start[:4], strict=True):
        assert np.array_equal(original, array)


BAD_CALLS = [
    (
        "rho of 0",
        lambda: ae.kl_sparsity(np.full((1, 2), 0.5), 0.0),
        ValueError,
        r"kl_sparsity: rho must lie in \(0, 1\); got 0\.0",
    ),
    (
        "an unknown corruption",
        lambda: ae.corrupt(np.ones(2), "blur", 0.1, np.random.default_rng(0)),
        ValueError,
        r"corrupt: kind must be one of \['mask', 'salt_pepper', 'gaussian'\]; got 'blur'",
    ),
    (
        "a masking probability above 1",
        lambda: ae.corrupt(np.ones(2), "mask", 1.5, np.random.default_rng(0)),
        ValueError,
        r"corrupt: level must be a probability in \[0, 1\] for 'mask'; got 1\.5",
    ),
    (
        "an unknown activation",
        lambda: ae.train_autoencoder(
            np.ones((2, 2)),
            1,
            encoder_activation="relu",
            lr=0.1,
            epochs=1,
            batch_size=1,
            rng=np.random.default_rng(0),
        ),
        ValueError,
        r"train_autoencoder: encoder_activation must be one of",
    ),
    (
        "cross-entropy on data outside [0, 1]",
        lambda: ae.train_autoencoder(
            np.full((2, 2), 3.0),
            1,
            loss="cross_entropy",
            lr=0.1,
            epochs=1,
            batch_size=1,
            rng=np.random.default_rng(0),
        ),
        ValueError,
        r"train_autoencoder: target must lie in \[0, 1\]",
    ),
    (
        "an init of the wrong width",
        lambda: ae.train_autoencoder(
            np.ones((2, 2)),
            3,
            lr=0.1,
            epochs=1,
            batch_size=1,
            rng=np.random.default_rng(0),
            init=ae.Autoencoder(np.ones((2, 1)), np.zeros(1), np.ones((1, 2)), np.zeros(2)),
        ),
        ValueError,
        r"train_autoencoder: init's w_enc must have shape \(2, 3\)",
    ),
    (
        "sizes that are not a list",
        lambda: ae.train_stacked(np.ones((2, 2)), 3),
        ValueError,
        r"train_stacked: sizes must be a non-empty list of code sizes",
    ),
    (
        "a size that is not an integer",
        lambda: ae.train_stacked(
            np.ones((2, 2)), [2.5], lr=0.1, epochs=1, batch_size=1, rng=np.random.default_rng(0)
        ),
        TypeError,
        r"train_stacked: each size must be a positive integer",
    ),
    (
        "params that are not an Autoencoder",
        lambda: ae.encode(np.ones((1, 2)), (1, 2, 3, 4)),
        TypeError,
        r"encode: params must be an Autoencoder",
    ),
    (
        "a code of the wrong width",
        lambda: ae.decode(
            np.ones((1, 3)),
            ae.Autoencoder(np.ones((2, 1)), np.zeros(1), np.ones((1, 2)), np.zeros(2)),
        ),
        ValueError,
        r"decode: code must have 1 columns \(n_code\); got shape \(1, 3\)",
    ),
]


@pytest.mark.parametrize(
    ("case", "call", "error", "match"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS]
)
def test_bad_input_is_refused_with_a_message_that_names_it(case, call, error, match) -> None:
    """Each bad call raises a ValueError or TypeError that names the function and the argument.

    rho outside (0, 1), an unknown corruption or activation, a probability above 1, the
    cross-entropy on data outside [0, 1], an init or code of the wrong shape, sizes that do
    not make a stack.
    """
    with pytest.raises(error, match=match):
        call()
