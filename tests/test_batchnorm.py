"""Laws of batch normalisation: standardised outputs, invariances, the gradient's constraints."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import assert_close, catalog, gamma
from numerics import strategies as nst
from reference import batchnorm as bn

examples = catalog.get("batchnorm_train").examples


def _axes(x: np.ndarray) -> tuple[int, ...]:
    return (0,) if x.ndim == 2 else (0, 2, 3)


def _per_feature(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    return values.reshape((1, -1) + (1,) * (x.ndim - 2))


@given(examples)
def test_outputs_have_mean_zero_and_variance_one(example) -> None:
    """Each normalised feature has batch mean 0 and batch variance 1 (less the share of eps).

    With gamma = 1, beta = 0 each feature of y has mean 0 (within gamma_{2m+8} of mean |y|) and
    variance sigma^2 / (sigma^2 + eps) = 1 - O(eps) (within gamma_{3m+8}).
    """
    x, _, _ = example.inputs
    eps = example.attrs["eps"]
    channels = x.shape[1]
    y, _, var = bn.batchnorm_train(x, np.ones(channels), np.zeros(channels), eps=eps)
    axes = _axes(x)
    m = x.size // channels
    assert_close(
        y.mean(axis=axes), np.zeros(channels), gauge=np.abs(y).mean(axis=axes), terms=2 * m + 8
    )
    assert_close(y.var(axis=axes), var / (var + eps), terms=3 * m + 8)


@given(examples, st.floats(0.25, 4.0), st.floats(-10.0, 10.0))
def test_the_output_ignores_a_positive_affine_map_of_a_feature(
    example, scale: float, shift: float
) -> None:
    """Scaling a feature by a > 0 and shifting it leaves the output unchanged, up to eps.

    x -> a x + c (a > 0) leaves y unchanged up to eps: x_hat = (x - mu)/sqrt(var + eps) moves
    only through eps/var. Held to the rounding of both runs (the catalog's gauge, gamma_{2T})
    plus the eps effect, |x_hat| |1 - sqrt((var + eps)/(a^2 var + eps))| |gamma|.
    """
    x, g, b = example.inputs
    eps = example.attrs["eps"]
    y, _, var = bn.batchnorm_train(x, g, b, eps=eps)
    moved, _, moved_var = bn.batchnorm_train(scale * x + shift, g, b, eps=eps)
    normalised = (y - _per_feature(b, x)) / _per_feature(np.where(g == 0.0, 1.0, g), x)
    drift = np.abs(normalised) * _per_feature(
        np.abs(g) * np.abs(1.0 - np.sqrt((var + eps) / (moved_var + eps)) * scale), x
    )
    terms = catalog.get("batchnorm_train").terms(example)
    gauge = catalog.get("batchnorm_train").gauge(example)
    moved_gauge = catalog.get("batchnorm_train").gauge(
        catalog.Example((scale * x + shift, g, b), example.attrs)
    )
    assert np.all(np.abs(moved - y) <= gamma(2 * terms) * (gauge + moved_gauge) + drift)


def _feature_totals(values: np.ndarray) -> np.ndarray:
    """Each feature's sum over the batch (and the positions), broadcast back to the input."""
    return _per_feature(values.sum(axis=_axes(values)), values)


def _closed_form_terms(
    dy: np.ndarray, normalised: np.ndarray, g: np.ndarray, var: np.ndarray, eps: float
) -> np.ndarray:
    """The terms of dx on absolute values: g/(m s) (m |dy| + sum |dy| + |x_hat| sum |dy x_hat|)."""
    m = dy.size // dy.shape[1]
    total = _feature_totals
    scale = _per_feature(np.abs(g) / np.sqrt(var + eps) / m, dy)
    size = np.abs(normalised)
    return scale * (m * np.abs(dy) + total(np.abs(dy)) + size * total(np.abs(dy) * size))


@given(examples, nst.seeds())
def test_the_input_gradient_sums_to_zero_and_is_orthogonal_to_x_hat(example, seed: int) -> None:
    """Per feature, sum_i dx_i = 0 and sum_i dx_i x_hat_i = 0 (up to the eps term).

    The gradient cannot move the batch's mean or scale. Each dx_i is
    g/(m sqrt(var + eps)) (m dy_i - dbeta - x_hat_i dgamma), whose terms on absolute values,
    G_i, are its gauge: held to gamma_{2m+8} of sum_i G_i (1 + |x_hat_i|).
    """
    x, g, b = example.inputs
    eps = example.attrs["eps"]
    dy = np.random.default_rng(seed).standard_normal(x.shape)
    dx, _, _ = bn.batchnorm_backward(dy, x, g, b, eps=eps)
    _, mean, var = bn.batchnorm_train(x, g, b, eps=eps)
    normalised = (x - _per_feature(mean, x)) / np.sqrt(_per_feature(var, x) + eps)
    axes = _axes(x)
    m = x.size // x.shape[1]
    terms = _closed_form_terms(dy, normalised, g, var, eps)
    total = (terms * (1.0 + np.abs(normalised))).sum(axis=axes)
    # sum dx x_hat = g / sqrt(var + eps) dgamma (1 - sum x_hat^2 / m) = ... eps / (var + eps)
    eps_term = (
        np.abs(g)
        / np.sqrt(var + eps)
        * np.abs((dy * normalised).sum(axis=axes))
        * (eps / (var + eps))
    )
    assert np.all(np.abs(dx.sum(axis=axes)) <= gamma(2 * m + 8) * total)
    assert np.all(np.abs((dx * normalised).sum(axis=axes)) <= gamma(2 * m + 8) * total + eps_term)


@given(examples, nst.seeds())
def test_the_closed_form_backward_is_the_chain_rule_taken_step_by_step(example, seed: int) -> None:
    """The closed form of dx is the chain rule through x_hat, the variance and the mean, in turn.

    With s = sqrt(var + eps): d x_hat_i = gamma dy_i; d var = -1/2 s^-3 sum_i d x_hat_i (x_i - mu);
    d mu = -(1/s) sum_i d x_hat_i + d var (-2/m) sum_i (x_i - mu); and
    dx_i = d x_hat_i / s + d var 2 (x_i - mu) / m + d mu / m (the page's derivation), from the
    reference's own mu and var. Held to gamma_{2m+16} of both computations' gauges (each on
    absolute values): the longest product of roundings is d mu's second term, d var (m + 8
    operations) times sum_i (x_i - mu) (m), and the closed form's chain is shorter.
    """
    x, g, b = example.inputs
    eps = example.attrs["eps"]
    dy = np.random.default_rng(seed).standard_normal(x.shape)
    dx, _, _ = bn.batchnorm_backward(dy, x, g, b, eps=eps)
    _, mean, var = bn.batchnorm_train(x, g, b, eps=eps)
    m = x.size // x.shape[1]
    centred, s = x - _per_feature(mean, x), _per_feature(np.sqrt(var + eps), x)
    total = _feature_totals
    d_normalised = _per_feature(g, x) * dy
    d_var = -0.5 * s**-3 * total(d_normalised * centred)
    d_mean = -total(d_normalised) / s + d_var * (-2.0 / m) * total(centred)
    staged = d_normalised / s + d_var * 2.0 * centred / m + d_mean / m
    # the same steps on absolute values, and the closed form's terms on absolute values
    d_normalised_abs = np.abs(d_normalised)
    d_var_abs = 0.5 * s**-3 * total(d_normalised_abs * np.abs(centred))
    d_mean_abs = total(d_normalised_abs) / s + d_var_abs * (2.0 / m) * total(np.abs(centred))
    staged_gauge = d_normalised_abs / s + d_var_abs * 2.0 * np.abs(centred) / m + d_mean_abs / m
    closed_gauge = _closed_form_terms(dy, centred / s, g, var, eps)
    assert_close(dx, staged, gauge=staged_gauge + closed_gauge, terms=2 * m + 16)


@given(examples)
def test_inference_with_the_batch_statistics_reproduces_training(example) -> None:
    """Inference given the batch's own mean and variance computes what training computed.

    batchnorm_infer with running statistics equal to the batch's gives training's output, within
    gamma_{2T} of the catalog's gauge (the same formula, the statistics passed in).
    """
    x, g, b = example.inputs
    eps = example.attrs["eps"]
    y, mean, var = bn.batchnorm_train(x, g, b, eps=eps)
    terms = catalog.get("batchnorm_train").terms(example)
    assert_close(
        bn.batchnorm_infer(x, g, b, mean, var, eps=eps),
        y,
        gauge=catalog.get("batchnorm_train").gauge(example),
        terms=2 * terms,
    )


@given(st.integers(2, 64), st.integers(1, 5), nst.seeds())
def test_running_statistics_follow_the_written_convention(n: int, channels: int, seed: int) -> None:
    """Running statistics move toward the batch's by the stated momentum, as PyTorch and ONNX do.

    momentum is the weight of the old value: PyTorch's momentum 0.1 is ours 0.9 with the
    unbiased variance kept; ONNX's 0.9 is ours 0.9 with the biased one passed in (within gamma_4
    of each formula, written out here).
    """
    rng = np.random.default_rng(seed)
    running_mean, running_var = rng.standard_normal(channels), rng.random(channels) + 0.5
    batch_mean, batch_var = rng.standard_normal(channels), rng.random(channels)
    new_mean, new_var = bn.update_running_stats(
        running_mean, running_var, batch_mean, batch_var, n, momentum=0.9
    )
    torch_mean = (1 - 0.1) * running_mean + 0.1 * batch_mean
    torch_var = (1 - 0.1) * running_var + 0.1 * batch_var * n / (n - 1)
    assert_close(new_mean, torch_mean, gauge=np.abs(running_mean) + np.abs(batch_mean), terms=4)
    assert_close(new_var, torch_var, gauge=running_var + batch_var * n / (n - 1), terms=6)
    onnx_mean, onnx_var = bn.update_running_stats(
        running_mean, running_var, batch_mean, batch_var * (n - 1) / n, n, momentum=0.9
    )
    assert_close(
        onnx_var, running_var * 0.9 + batch_var * (1 - 0.9), gauge=running_var + batch_var, terms=8
    )
    assert np.array_equal(onnx_mean, new_mean)


def test_a_batch_of_one_in_training_mode_gets_a_clear_error() -> None:
    """One example of (N, F) data has no batch variance: refused, pointing at batchnorm_infer."""
    with pytest.raises(
        ValueError,
        match=r"^batchnorm_train: training needs more than one value "
        r"per feature .* batchnorm_infer",
    ):
        bn.batchnorm_train(np.ones((1, 3)), np.ones(3), np.zeros(3))
    y = bn.batchnorm_infer(np.ones((1, 3)), np.ones(3), np.zeros(3), np.ones(3), np.ones(3))
    assert np.array_equal(y, np.zeros((1, 3)))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: bn.batchnorm_train(np.ones((4, 3, 2)), np.ones(3), np.zeros(3)),
            ValueError,
            r"^batchnorm_train: x must be a 2-D array \(N, F\) or a 4-D array",
        ),
        (
            lambda: bn.batchnorm_train(np.ones((4, 3)), np.ones(2), np.zeros(3)),
            ValueError,
            r"^batchnorm_train: gamma must have shape \(3,\)",
        ),
        (
            lambda: bn.batchnorm_train(np.ones((4, 3)), np.ones(3), np.zeros(3), eps=0.0),
            ValueError,
            r"^batchnorm_train: eps must be > 0",
        ),
        (
            lambda: bn.update_running_stats(
                np.zeros(2), np.ones(2), np.zeros(2), np.ones(2), 1, momentum=0.9
            ),
            ValueError,
            r"^update_running_stats: n must be an integer of at least 2",
        ),
        (
            lambda: bn.update_running_stats(
                np.zeros(2), np.ones(2), np.zeros(2), np.ones(2), 4, momentum=1.5
            ),
            ValueError,
            r"^update_running_stats: momentum must be in \[0, 1\]",
        ),
        (
            lambda: bn.update_running_stats(
                np.zeros(2), np.ones(3), np.zeros(2), np.ones(2), 4, momentum=0.9
            ),
            ValueError,
            r"^update_running_stats: running_var must have shape \(2,\)",
        ),
        (
            lambda: bn.batchnorm_infer(
                np.ones((2, 2)), np.ones(2), np.zeros(2), np.zeros(2), -np.ones(2)
            ),
            ValueError,
            r"^batchnorm_infer: running_var must not be negative",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call: Any, error: type, message: str) -> None:
    """Refused with the function and argument named.

    A 3-D input, parameters of the wrong length, eps <= 0, too few values for an unbiased
    variance, a momentum outside [0, 1], state shapes that do not match, a negative variance.
    """
    with pytest.raises(error, match=message):
        call()


def test_running_statistics_are_new_arrays() -> None:
    """update_running_stats returns new arrays and leaves its inputs alone."""
    state = [np.zeros(2), np.ones(2), np.full(2, 3.0), np.full(2, 2.0)]
    before = [a.copy() for a in state]
    bn.update_running_stats(*state, 4, momentum=0.5)
    assert all(np.array_equal(a, b) for a, b in zip(state, before, strict=True))


@pytest.mark.parametrize("name", ["running_var", "batch_var"])
def test_a_negative_variance_is_refused(name: str) -> None:
    """A variance below 0 is refused, not averaged into a running variance below 0."""
    arguments = {"running_var": np.ones(2), "batch_var": np.ones(2), name: np.array([-1.0, 1.0])}
    with pytest.raises(ValueError, match=rf"^update_running_stats: {name} must be a variance"):
        bn.update_running_stats(
            np.zeros(2),
            arguments["running_var"],
            np.zeros(2),
            arguments["batch_var"],
            3,
            momentum=0.9,
        )


def test_values_near_the_largest_float_are_normalised_without_overflow() -> None:
    """A feature of +-1e308 is normalised as if it were +-1: the same output, its statistics scaled.

    Its mean (1e308 / 3) is finite and kept; its variance, about 0.89e616, is beyond the
    largest float and reported as inf. The output is what the same feature divided by 2^1023
    gives (an exact scaling; eps / 4^1023 is below every float, and negligible), within the
    rounding of both runs; a constant channel of 1e308 is normalised to beta.
    """
    x = np.array([[1e308, 1.0], [1e308, 3.0], [-1e308, 2.0]])
    y, mean, var = bn.batchnorm_train(x, np.ones(2), np.zeros(2), eps=1e-5)
    small = x.copy()
    small[:, 0] /= 2.0**1023
    y_small, mean_small, _ = bn.batchnorm_train(small, np.ones(2), np.zeros(2), eps=1e-300)
    assert np.all(np.isfinite(y))
    assert_close(y[:, 0], y_small[:, 0], gauge=np.abs(y_small[:, 0]) + 1.0, terms=2 * (2 * 3 + 8))
    assert mean[0] == mean_small[0] * 2.0**1023
    assert var[0] == np.inf
    constant, _, constant_var = bn.batchnorm_train(
        np.full((2, 2, 2, 2), 1e308), np.ones(2), np.full(2, 0.5)
    )
    assert np.array_equal(constant, np.full((2, 2, 2, 2), 0.5))
    assert constant_var.tolist() == [0.0, 0.0]
