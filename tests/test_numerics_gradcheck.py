"""The gradient checker must tell a right gradient from a wrong one.

A checker that accepts everything proves nothing, so each kind of mistake a
backward pass is known to make is planted here on purpose and must be
rejected: a flipped sign, a factor of two, a transposed matrix, one wrong
entry, and an error of one part in ten thousand. Each is planted both where
the full Jacobian is compared entry by entry and where only the random
inner products are (``jacobian_limit=0``), so that neither half leans on the other.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import assert_gradient, check_gradient
from numerics import strategies as nst
from reference import regression

MODES = {"full Jacobian": 64, "inner products only": 0}


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a @ b


def matmul_backward(dy: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return dy @ b.T, a.T @ dy


def softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def softplus_backward(dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    return dy / (1.0 + np.exp(-x))


def _square_pair(seed: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((size, size)), rng.standard_normal((size, size))


# ----------------------------------------------------------------------------------------------
# accepting what is right


@pytest.mark.parametrize("mode", MODES)
def test_accepts_the_true_gradient_of_a_product(mode: str) -> None:
    """The true backward of a matrix product passes, in both modes."""
    a, b = _square_pair(0, 4)
    report = check_gradient(matmul, matmul_backward, [a, b], jacobian_limit=MODES[mode])
    assert report.ok, report
    assert report.observed_error <= report.allowed_error


@given(data=st.data())
def test_accepts_every_true_gradient_of_a_smooth_op(data: st.DataObject) -> None:
    """Softplus composed with a product: any point, any seed, the true backward passes."""
    a = data.draw(nst.arrays(nst.shapes(min_dims=2, max_dims=2, max_side=5), scale=3.0))
    b = data.draw(nst.arrays((a.shape[1], data.draw(st.integers(1, 5))), scale=3.0))
    seed = data.draw(nst.seeds())

    def forward(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return softplus(a @ b)

    def backward(dy: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return matmul_backward(softplus_backward(dy, a @ b), a, b)

    assert_gradient(forward, backward, [a, b], seed=seed)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _stable_sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# smooth ops that stress the bound: saturation, values near overflow, a pole, cancellation,
# long sums; each (forward, backward, inputs drawn from a generator)
SPREAD = {
    "softmax of large logits": (
        _softmax,
        lambda dy, x: _softmax(x) * (dy - (dy * _softmax(x)).sum(-1, keepdims=True)),
        lambda rng: [5.0 * rng.standard_normal((2, 7))],
    ),
    "log-sum-exp": (
        lambda x: np.log(np.sum(np.exp(x - x.max()))) + x.max(),
        lambda dy, x: dy * _softmax(x),
        lambda rng: [20.0 * rng.standard_normal(300)],
    ),
    "saturated sigmoid": (
        _stable_sigmoid,
        lambda dy, x: dy * _stable_sigmoid(x) * (1 - _stable_sigmoid(x)),
        lambda rng: [15.0 * rng.standard_normal(30)],
    ),
    "exp near overflow": (
        np.exp,
        lambda dy, x: dy * np.exp(x),
        lambda rng: [700.0 + rng.standard_normal(20)],
    ),
    "log near its pole": (np.log, lambda dy, x: dy / x, lambda rng: [0.01 + rng.random(20)]),
    "x^2 - y^2 with x close to y": (
        lambda x, y: x * x - y * y,
        lambda dy, x, y: (2 * x * dy, -2 * y * dy),
        lambda rng: [1e3 + rng.standard_normal(20), 1e3 + rng.standard_normal(20)],
    ),
    "a sum of 40000 squares": (
        lambda x: 0.5 * np.sum(x * x),
        lambda dy, x: dy * x,
        lambda rng: [rng.standard_normal(40_000)],
    ),
}


@pytest.mark.parametrize("name", SPREAD)
def test_accepts_true_gradients_across_a_spread_of_hard_ops(name: str) -> None:
    """Saturation, overflow, a pole, cancellation, long sums: the true backward always passes."""
    forward, backward, draw = SPREAD[name]
    for seed in range(3):
        inputs = draw(np.random.default_rng(seed))
        report = check_gradient(forward, backward, inputs, seed=seed)
        assert report.ok, report


def test_rejects_an_error_of_one_part_in_a_billion() -> None:
    """On a well-conditioned op the bound is tight enough to see a relative error of 1e-9."""
    rng = np.random.default_rng(1)
    X, w = rng.standard_normal((4, 3)), rng.standard_normal(3)

    def nearly(dy: np.ndarray, X: np.ndarray, w: np.ndarray, b: float) -> tuple:
        dX, dw, db = regression.linear_backward(dy, X, w, b)
        return dX, dw * (1 + 1e-9), db

    for limit in MODES.values():
        assert not check_gradient(regression.linear, nearly, [X, w, 0.5], jacobian_limit=limit).ok


def test_accepts_a_scalar_input_and_a_scalar_output() -> None:
    """A bias (a scalar input) and a loss (a scalar output) are checked like arrays."""
    X, w = _square_pair(3, 3)
    report = check_gradient(regression.linear, regression.linear_backward, [X, w[0], 0.25])
    assert report.ok, report
    assert any(c.input_index == 2 for c in report.comparisons)


# ----------------------------------------------------------------------------------------------
# rejecting what is wrong


def _linear_with(plant):  # type: ignore[no-untyped-def]
    def backward(dy, X, w, b):  # type: ignore[no-untyped-def]
        dX, dw, db = regression.linear_backward(dy, X, w, b)
        return plant(dX, dw, db)

    return backward


def _one_wrong_entry(dX: np.ndarray, dw: np.ndarray, db: float) -> tuple:
    dw = dw.copy()
    dw[-1] += 1e-4 * abs(dw[-1])
    return dX, dw, db


PLANTED = {
    "a flipped sign": lambda dX, dw, db: (dX, -dw, db),
    "a factor of two": lambda dX, dw, db: (2.0 * dX, dw, db),
    "one wrong entry (relative 1e-4)": _one_wrong_entry,
    "an error of 1e-4 relative everywhere": lambda dX, dw, db: (dX * (1 + 1e-4), dw, db),
    "a wrong bias gradient (relative 1e-4)": lambda dX, dw, db: (dX, dw, db * (1 + 1e-4)),
}
CONCERNS = {
    "a flipped sign": 1,
    "a factor of two": 0,
    "one wrong entry (relative 1e-4)": 1,
    "an error of 1e-4 relative everywhere": 0,
    "a wrong bias gradient (relative 1e-4)": 2,
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("mistake", PLANTED)
def test_rejects_a_planted_mistake_and_names_its_input(mistake: str, mode: str) -> None:
    """Each planted mistake fails the check, and the report names the input it is in."""
    rng = np.random.default_rng(1)
    X, w = rng.standard_normal((4, 3)), rng.standard_normal(3)
    report = check_gradient(
        regression.linear, _linear_with(PLANTED[mistake]), [X, w, 0.5], jacobian_limit=MODES[mode]
    )
    assert not report.ok, report
    assert report.input_index == CONCERNS[mistake]
    assert report.input_name == ("X", "w", "b")[CONCERNS[mistake]]
    assert report.observed_error > report.allowed_error
    assert "FAILED" in report.explanation


@pytest.mark.parametrize("mode", MODES)
def test_rejects_a_transposed_matrix(mode: str) -> None:
    """A backward that returns the transpose of a square gradient fails."""
    a, b = _square_pair(2, 4)

    def transposed(dy: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        da, db = matmul_backward(dy, a, b)
        return da.T, db

    report = check_gradient(matmul, transposed, [a, b], jacobian_limit=MODES[mode])
    assert not report.ok, report
    assert report.input_index == 0


def test_rejects_one_wrong_entry_of_a_large_input() -> None:
    """One entry of 2000 off by a relative 1e-4: the inner products alone find it."""
    x = np.random.default_rng(4).uniform(-3.0, 3.0, 2000)

    def nearly(dy: np.ndarray, x: np.ndarray) -> np.ndarray:
        grad = softplus_backward(dy, x)
        grad[1234] *= 1 + 1e-4
        return grad

    assert check_gradient(softplus, softplus_backward, [x]).ok
    assert not check_gradient(softplus, nearly, [x]).ok


def test_rejects_a_backward_of_the_wrong_shape_or_count() -> None:
    """A gradient missing, or shaped unlike its input, fails with the reason said."""
    a, b = _square_pair(5, 3)
    short = check_gradient(matmul, lambda dy, a, b: dy @ b.T, [a, b])
    assert not short.ok
    assert "expected one gradient for each of the 2" in short.explanation
    flat = check_gradient(matmul, lambda dy, a, b: ((dy @ b.T).ravel(), a.T @ dy), [a, b])
    assert not flat.ok
    assert "has shape (9,)" in flat.explanation


def test_does_not_judge_across_a_kink() -> None:
    """|x| checked at 0.000001 with steps of 0.002 cannot be judged, and says so."""
    report = check_gradient(np.abs, lambda dy, x: dy * np.sign(x), [np.array([1e-6, 1.0])])
    assert report.status == "inconclusive"
    assert not report.ok
    assert "did not settle" in report.explanation


def test_shrinks_the_step_near_a_pole() -> None:
    """log(x) at x = 0.004, a pole two steps away, is still judged right (and wrong)."""
    x = np.array([0.004, 0.5])
    assert check_gradient(np.log, lambda dy, x: dy / x, [x]).ok
    assert not check_gradient(np.log, lambda dy, x: dy / x * (1 + 1e-6), [x]).ok


def test_assert_gradient_raises_with_the_report() -> None:
    """assert_gradient raises an AssertionError carrying the report; passes silently when right."""
    x = np.array([0.3, -1.2])
    assert assert_gradient(np.sin, lambda dy, x: dy * np.cos(x), [x]).ok
    with pytest.raises(AssertionError, match="flipped sign") as caught:
        assert_gradient(np.sin, lambda dy, x: -dy * np.cos(x), [x])
    assert caught.value.report.ok is False  # type: ignore[attr-defined]


def test_reports_are_reproducible_from_the_seed() -> None:
    """The same seed gives the same comparisons; another seed, other directions."""
    a, b = _square_pair(6, 3)
    first = check_gradient(matmul, matmul_backward, [a, b], seed=11, jacobian_limit=0)
    again = check_gradient(matmul, matmul_backward, [a, b], seed=11, jacobian_limit=0)
    other = check_gradient(matmul, matmul_backward, [a, b], seed=12, jacobian_limit=0)
    assert first.comparisons == again.comparisons
    assert first.comparisons != other.comparisons


def test_labels_get_no_gradient_by_default() -> None:
    """Integer inputs (labels) are passed through and not differentiated."""

    def pick(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
        return x[np.arange(len(labels)), labels]

    def pick_backward(dy: np.ndarray, x: np.ndarray, labels: np.ndarray) -> np.ndarray:
        grad = np.zeros_like(x)
        grad[np.arange(len(labels)), labels] = dy
        return grad

    x = np.random.default_rng(7).standard_normal((3, 4))
    report = check_gradient(pick, pick_backward, [x, np.array([0, 3, 1])])
    assert report.ok, report
    assert {c.input_index for c in report.comparisons} == {0}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"step": 0.0}, r"step must be a finite number > 0; got 0.0"),
        ({"step": -1e-3}, r"step must be a finite number > 0"),
        ({"step": float("nan")}, r"step must be a finite number > 0"),
        ({"step": float("inf")}, r"step must be a finite number > 0"),
        ({"directions": 0}, r"directions must be an integer >= 1"),
        ({"seed": -1}, r"seed must be an integer >= 0"),
        ({"forward_error": -1e-16}, r"forward_error must be finite numbers >= 0"),
        ({"forward_error": float("nan")}, r"forward_error must be finite numbers >= 0"),
        ({"forward_error": np.ones(3)}, r"forward_error has shape \(3,\); the output has shape"),
    ],
)
def test_the_checker_refuses_settings_it_cannot_judge_with(options: dict, message: str) -> None:
    """Settings the checker cannot judge with are refused, not FAILED.

    A step of 0, below 0 or not finite, no directions, a negative seed, a forward error below
    0, not finite or shaped unlike the output.

    (Before, step = 0 reported a correct backward as FAILED with NaN errors.)
    """
    with pytest.raises(ValueError, match=rf"^check_gradient: {message}"):
        check_gradient(np.sin, lambda dy, x: dy * np.cos(x), [np.array([0.1, 0.7])], **options)


def test_the_checker_refuses_an_empty_input_and_a_missing_op() -> None:
    """An empty input has no gradient to check, and None is no op: both refused by name."""
    with pytest.raises(ValueError, match=r"^check_gradient: input 0 is empty"):
        check_gradient(np.sin, lambda dy, x: dy * np.cos(x), [np.array([])])
    with pytest.raises(TypeError, match=r"^check_gradient: op and op_backward must be callables"):
        check_gradient(None, lambda dy, x: dy, [np.ones(2)])
