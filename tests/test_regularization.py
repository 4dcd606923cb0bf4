"""Laws of weight decay, dropout, early stopping, shuffling and standardisation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import assert_close
from numerics import strategies as nst
from reference import optim
from reference import regularization as reg

vectors = st.integers(1, 8).flatmap(
    lambda n: st.tuples(nst.arrays((n,), scale=4.0), nst.arrays((n,), scale=4.0))
)


@given(vectors, st.floats(1e-3, 0.5), st.floats(0.0, 1.0))
def test_sgd_with_weight_decay_is_the_decayed_update(case: tuple, lr: float, lam: float) -> None:
    """A gradient step on the loss plus the L2 penalty first shrinks the weights by 1 - lr lam.

    SGD on loss + lam/2 |w|^2 is w - lr (g + lam w) = (1 - lr lam) w - lr g: the weights decay.
    Within gamma_4 of |w| (1 + lr lam) + lr |g|.
    """
    w, g = case
    penalised = optim.sgd_step(w, g + reg.weight_decay_backward(1.0, w, lam=lam), lr=lr)
    assert_close(
        penalised,
        (1.0 - lr * lam) * w - lr * g,
        gauge=np.abs(w) * (1.0 + lr * lam) + lr * np.abs(g),
        terms=4,
    )


@given(st.sampled_from([0.1, 0.3, 0.5, 0.8]), nst.seeds())
def test_dropout_keeps_the_expectation(p: float, seed: int) -> None:
    """On average over its random masks, inverted dropout returns its input.

    E[dropout(x)] = x: over n = 40 000 draws of each of 4 entries the mean of y_i / x_i is 1
    within Z sqrt(p / ((1 - p) n)) (y/x is 1/(1 - p) or 0: variance p/(1 - p)); Z = 6 gives a
    false failure about 2e-9 likely per entry (normal approximation).
    """
    x = np.array([1.0, -2.0, 0.5, 3.0])
    n = 40_000
    y, mask = reg.dropout(np.tile(x, (n, 1)), p, np.random.default_rng(seed))
    ratio = (y / x).mean(axis=0)
    assert np.all(np.abs(ratio - 1.0) <= 6.0 * math.sqrt(p / ((1.0 - p) * n)))
    assert np.array_equal(np.unique(mask), [0.0, 1.0])


@given(nst.arrays(nst.shapes(min_dims=1, max_dims=3, max_side=5), scale=4.0), nst.seeds())
def test_dropout_with_p_zero_is_the_identity(x: np.ndarray, seed: int) -> None:
    """Dropping with p = 0 keeps every unit and scales by 1: y = x bit for bit, and dx = dy."""
    y, mask = reg.dropout(x, 0.0, np.random.default_rng(seed))
    assert np.array_equal(y, x)
    assert np.array_equal(reg.dropout_backward(np.ones_like(x), mask, 0.0), np.ones_like(x))


@given(
    nst.arrays(nst.shapes(min_dims=1, max_dims=3, max_side=5), scale=4.0),
    st.sampled_from([0.2, 0.5, 0.9]),
    nst.seeds(),
)
def test_dropout_backward_uses_the_forwards_mask(x: np.ndarray, p: float, seed: int) -> None:
    """The units dropped in the forward pass get no gradient; the others get dy / (1 - p).

    The units dropped in the forward get no gradient, the others dy / (1 - p): the backward is
    the forward's linear map applied to dy (bit for bit).
    """
    y, mask = reg.dropout(x, p, np.random.default_rng(seed))
    dy = np.ones_like(x) * 3.0
    dx = reg.dropout_backward(dy, mask, p)
    assert np.array_equal(dx == 0.0, mask == 0.0)
    assert np.array_equal(dx, dy * mask / (1.0 - p))
    assert np.array_equal(y, x * mask / (1.0 - p))


@given(st.lists(st.floats(0.0, 10.0), min_size=1, max_size=40), st.integers(1, 8))
def test_early_stopping_returns_the_arg_min_and_waits_for_patience(
    losses: list, patience: int
) -> None:
    """Early stopping keeps the best epoch and stops patience epochs after it without a better loss.

    best_epoch is the first arg-min of the losses up to stop_epoch; stop_epoch is either the
    last epoch or exactly `patience` epochs after best_epoch, with no better loss in between.
    """
    best, stop = reg.early_stopping(np.array(losses), patience=patience)
    seen = np.array(losses[: stop + 1])
    assert best == int(np.argmin(seen))
    assert stop == len(losses) - 1 or stop - best == patience
    assert stop - best <= patience


@given(
    st.integers(1, 20).flatmap(
        lambda n: st.tuples(nst.arrays((n, 3), scale=4.0), nst.arrays((n,), scale=4.0))
    ),
    nst.seeds(),
)
def test_shuffle_keeps_every_pair(case: tuple, seed: int) -> None:
    """Shuffling moves each example together with its target.

    The same permutation moves X's rows and y's entries: the multiset of (x, y) pairs is
    unchanged.
    """
    X, y = case
    X2, y2 = reg.shuffle(X, y, np.random.default_rng(seed))
    pairs = sorted(map(tuple, np.column_stack([X, y]).tolist()))
    assert sorted(map(tuple, np.column_stack([X2, y2]).tolist())) == pairs


@given(st.integers(2, 30).flatmap(lambda n: nst.arrays((n, 4), scale=50.0)))
def test_standardize_gives_mean_zero_and_unit_deviation_and_round_trips(X: np.ndarray) -> None:
    """Standardised features have mean 0 and deviation 1, and unstandardising gives the data back.

    Each non-constant column of Z has mean 0 and standard deviation 1 (within gamma_{3N+4});
    constant columns stay 0; unstandardize(Z) gives X back within gamma_{2N+8} of |X| + mean|X|.
    """
    Z, mean, std = reg.standardize(X)
    n = X.shape[0]
    varying = np.ptp(X, axis=0) > 0.0
    assert_close(
        Z.mean(axis=0)[varying],
        np.zeros(int(varying.sum())),
        gauge=np.abs(Z).mean(axis=0)[varying] + np.abs(mean)[varying] / std[varying],
        terms=3 * n + 4,
    )
    assert_close(
        Z.std(axis=0)[varying],
        np.ones(int(varying.sum())),
        gauge=1.0 + np.abs(mean)[varying] / std[varying],
        terms=3 * n + 4,
    )
    assert np.all(Z[:, ~varying] == 0.0)
    assert_close(
        reg.unstandardize(Z, mean, std),
        X,
        gauge=np.abs(X) + np.abs(X).mean(axis=0),
        terms=2 * n + 8,
    )


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: reg.dropout(np.ones(3), 1.0, np.random.default_rng(0)),
            ValueError,
            r"^dropout: p must be in \[0, 1\)",
        ),
        (
            lambda: reg.dropout(np.ones(3), -0.1, np.random.default_rng(0)),
            ValueError,
            r"^dropout: p must be >= 0.0",
        ),
        (
            lambda: reg.dropout_backward(np.ones(3), np.ones(2), 0.5),
            ValueError,
            r"^dropout_backward: mask must have the shape of dy",
        ),
        (
            lambda: reg.weight_decay(np.ones(3), lam=-1.0),
            ValueError,
            r"^weight_decay: lam must be >= 0.0",
        ),
        (
            lambda: reg.early_stopping(np.ones(3), patience=0),
            ValueError,
            r"^early_stopping: patience must be a positive integer",
        ),
        (
            lambda: reg.shuffle(np.ones((3, 2)), np.ones(4), np.random.default_rng(0)),
            ValueError,
            r"^shuffle: X and y must have the same number of rows",
        ),
        (
            lambda: reg.unstandardize(np.ones((3, 2)), np.ones(3), np.ones(2)),
            ValueError,
            r"^unstandardize: mean and std must have shape \(2,\)",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call: Any, error: type, message: str) -> None:
    """A p outside [0, 1), a mask of the wrong shape, a negative lam, no patience, mismatches."""
    with pytest.raises(error, match=message):
        call()


def test_standardizing_values_near_the_largest_float_does_not_overflow() -> None:
    """Columns of 1e308 have mean 1e308 and deviation 0: centred to 0, not NaN."""
    Z, mean, std = reg.standardize(np.full((3, 2), 1e308))
    assert np.array_equal(Z, np.zeros((3, 2)))
    assert mean.tolist() == [1e308, 1e308]
    assert std.tolist() == [1.0, 1.0]
