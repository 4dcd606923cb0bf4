"""The gradient checker's verdict (passed, failed, inconclusive), never "failed" for right code.

An oracle that calls correct code wrong is as broken as one that misses a bug.
The checker is run here on backwards that are right but computed the way others
compute them (``numerics.candidates``: textbook NumPy, and PyTorch where it is
installed), over every catalog strategy and named edge case of their ops: none
may be "failed". Where a candidate's forward is too inaccurate to judge with, the
verdict is "inconclusive", and the point itself is judgeable (the reference's
forward and backward pass there): the forward, not the backward, was what could
not be judged.
The same candidates with a planted bug must still fail.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import (
    GradientCheckInconclusive,
    GradientMismatch,
    GradientReport,
    assert_gradient,
    catalog,
    check_gradient,
    gamma,
    reject_inconclusive,
)
from numerics import strategies as nst
from numerics.candidates import textbook
from numerics.gradcheck import SMOOTH_STEP, STEP


def _family(name: str) -> dict[str, tuple[Callable[..., Any], Callable[..., Any]]] | None:
    try:
        return importlib.import_module(f"numerics.candidates.{name}").OPS
    except ImportError:
        return None


FAMILIES = {"textbook": textbook.OPS, "torch": _family("torch")}
#: Each family is judged at float64 and at float32 (both follow their inputs' precision).
CORPUS = [
    pytest.param(
        family,
        name,
        dtype,
        marks=()
        if FAMILIES[family] is not None
        else pytest.mark.skip(reason=f"{family} is not installed (an optional peer)"),
        id=f"{family}-{dtype}-{name}",
    )
    for dtype in ("float64", "float32")
    for family in FAMILIES
    for name in textbook.OPS
]
CORPUS_64 = [param for param in CORPUS if param.values[2] == "float64"]
CORPUS_32 = [param for param in CORPUS if param.values[2] == "float32"]


def _candidate(family: str, name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The candidate's op and backward, the op returning the output the catalog checks."""
    ops = FAMILIES[family]
    assert ops is not None
    forward, backward = ops[name]
    entry = catalog.get(name)

    def op(*inputs: Any, **attrs: Any) -> Any:
        out = forward(*inputs, **attrs)
        return out if entry.output is None else out[entry.output]

    return op, backward


def _judge(
    family: str, name: str, example: catalog.Example, seed: int, dtype: str = "float64"
) -> GradientReport:
    """The verdict on the candidate at ``dtype``, never "failed".

    An "inconclusive" must come from the candidate's forward: at the same point the
    reference's forward and backward pass (no kink, no tie there), and the reference's
    backward against the candidate's forward is not "failed" either.
    """
    entry = catalog.get(name)
    op, backward = _candidate(family, name)
    try:
        op(*example.inputs, **example.attrs)
    except NotImplementedError:  # an attribute the peer cannot express (said in its message)
        return GradientReport("passed", "not expressible", 0.0, 0.0, None, None, "")
    # the bound every stable algorithm of the op meets at dtype: the forward agreement law's
    terms, gauge = 2 * entry.terms(example), np.asarray(entry.gauge(example))
    options = {"attrs": example.attrs, "wrt": entry.wrt, "seed": seed}
    report = check_gradient(
        op,
        backward,
        example.inputs,
        **options,
        dtype=dtype,
        step=entry.gradient_step(dtype),
        forward_error=gamma(terms, dtype) * gauge,
    )
    assert report.dtype == dtype, report.explanation
    assert report.status != "failed", report.explanation
    if report.status == "inconclusive":
        own = {**options, "forward_error": gamma(terms) * gauge}
        assert_gradient(entry.op, entry.op_backward, example.inputs, **own)
        if dtype == "float64":  # the reference's backward is float64's: at float64 only
            crossed = check_gradient(op, entry.op_backward, example.inputs, **own)
            assert crossed.status != "failed", crossed.explanation
    return report


@pytest.mark.witnesses
@pytest.mark.parametrize(("family", "name", "dtype"), CORPUS_64)
@given(data=st.data())
def test_a_correct_backward_written_another_way_is_never_failed(
    family: str, name: str, dtype: str, data: st.DataObject
) -> None:
    """Over the op's strategy: never failed, and inconclusive only by the candidate's forward.

    (Where it is inconclusive, the reference's forward and backward pass at the same point.)
    """
    entry = catalog.get(name)
    example = entry.prepared(data.draw(entry.examples))
    _judge(family, name, example, data.draw(nst.seeds()), dtype)


@pytest.mark.witnesses
@pytest.mark.parametrize(("family", "name", "dtype"), CORPUS_32)
@settings(max_examples=max(10, settings.default.max_examples // 10))
@given(data=st.data())
def test_a_correct_float32_backward_written_another_way_is_never_failed(
    family: str, name: str, dtype: str, data: st.DataObject
) -> None:
    """The same in float32: inputs rounded to it, passed as it, judged with its u.

    Smooth ops are checked in the wide box of SMOOTH_STEP, the others in float64's.
    (A tenth of the profile's examples, for CI's time budget; the named cases all run,
    and the thorough profile draws 100 a law.)
    """
    entry = catalog.get(name)
    example = entry.prepared(data.draw(entry.examples))
    _judge(family, name, example, data.draw(nst.seeds()), dtype)


CORPUS_CASES = [
    pytest.param(*param.values, case, marks=param.marks, id=f"{param.id}-{case}")
    for param in CORPUS
    for case, _ in catalog.get(param.values[1]).cases()
]


@pytest.mark.witnesses
@pytest.mark.parametrize(("family", "name", "dtype", "case"), CORPUS_CASES)
def test_a_correct_backward_written_another_way_is_never_failed_on_the_named_cases(
    family: str, name: str, dtype: str, case: str
) -> None:
    """The same on each named edge case of the op."""
    example = dict(catalog.get(name).cases())[case]
    _judge(family, name, catalog.get(name).prepared(example), 0, dtype)


# ----------------------------------------------------------------------------------------------
# the cases that a correct backward was once judged "failed" on


def test_log_softmax_entries_that_round_to_a_coarser_grid_than_their_own() -> None:
    """At x = [[0, -30]] the entry d out[0,0] / d x[0,1] = -9.4e-14 is right, and passes.

    out[0, 0] = -log(1 + e^-30) is computed to an absolute u (a log of a number near 1), far
    coarser than its own size. Along axis 0, [[0,0,0,-17,0],[0,0,0,11,0]] rounds the same way
    in column 3.
    """
    for x, axis in (
        (np.array([[0.0, -30.0]]), -1),
        (np.array([[0.0, 0, 0, -17, 0], [0, 0, 0, 11, 0]]), 0),
    ):
        for family in ("textbook", "torch"):
            if FAMILIES[family] is None:
                continue
            op, backward = _candidate(family, "log_softmax")
            assert check_gradient(op, backward, [x], attrs={"axis": axis}).ok
        # the reference's own backward, paired with the textbook forward
        entry = catalog.get("log_softmax")
        assert check_gradient(textbook.log_softmax, entry.backward, [x], attrs={"axis": axis}).ok


def test_batch_norm_whose_gradient_sum_cancels() -> None:
    """At x = [[0], [0.4]], gamma = beta = 0, d gamma = sum dy x_hat cancels, and passes.

    With x_hat = +-1 the bound on the sum's rounding is its gauge sum |dy| |x_hat|, not
    |d gamma|.
    """
    inputs = [np.array([[0.0], [0.4]]), np.zeros(1), np.zeros(1)]
    for family in ("textbook", "torch"):
        if FAMILIES[family] is None:
            continue
        op, backward = _candidate(family, "batchnorm_train")
        for seed in range(60):
            assert check_gradient(op, backward, inputs, attrs={"eps": 1e-5}, seed=seed).ok


def test_a_cross_entropy_near_zero_from_a_textbook_forward_is_not_failed() -> None:
    """At z = [[20, 0]], label 0, the textbook pair is inconclusive alone, passed when told.

    The textbook loss log(1 + e^-20) = 2e-9 carries an absolute error u, a relative 5e-8,
    noisier than half its digits: alone, the check cannot judge it, and says so. Told the
    bound every stable algorithm meets (the catalog's gamma_2n times the gauge), it judges the
    backward within that bound: passed.
    """
    z, labels = np.array([[20.0, 0.0]]), np.array([0])
    pair = (textbook.cross_entropy_with_logits, textbook.cross_entropy_with_logits_backward)
    report = check_gradient(*pair, [z, labels])
    assert report.status == "inconclusive", report
    assert "inconclusive" in report.explanation
    entry = catalog.get("cross_entropy_with_logits")
    example = catalog.Example((z, labels))
    bound = gamma(2 * entry.terms(example)) * np.asarray(entry.gauge(example))
    assert check_gradient(*pair, [z, labels], forward_error=bound).ok
    assert check_gradient(entry.op, entry.op_backward, [z, labels]).ok  # the point is judgeable


def test_the_checker_is_right_about_pytorch_batch_norm_on_a_channels_last_input() -> None:
    """A peer's real bug is "failed", and only if the peer is wrong.

    PyTorch 2.13 on CPU, for an (1, 2, 1, 2) input with strides (1, 1, 2, 2) (it reads as
    channels-last), gives d beta = [0, 1] for a cotangent on channel 0 only: it should be
    [1, 0]. The truth here is d beta = sum of dy per channel; the checker's verdict must agree
    with it, whichever way a PyTorch version goes.
    """
    torch = pytest.importorskip("torch", reason="PyTorch is an optional peer")
    base = torch.tensor([0.0, 0.4, 0.2, 0.6], dtype=torch.float64)
    strided = base.as_strided((1, 2, 1, 2), (1, 1, 2, 2))

    def forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            y = torch.nn.functional.batch_norm(
                strided.detach().clone().copy_(torch.from_numpy(x)),
                None,
                None,
                torch.from_numpy(gamma),
                torch.from_numpy(beta),
                training=True,
            )
        return y.numpy()

    def backward(dy: np.ndarray, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> Any:
        leaves = [
            strided.detach().clone().copy_(torch.from_numpy(x)).requires_grad_(),
            torch.from_numpy(gamma.copy()).requires_grad_(),
            torch.from_numpy(beta.copy()).requires_grad_(),
        ]
        y = torch.nn.functional.batch_norm(leaves[0], None, None, *leaves[1:], training=True)
        torch.autograd.backward([y], [torch.from_numpy(np.ascontiguousarray(dy))])
        return tuple(leaf.grad.numpy() for leaf in leaves)

    x = strided.numpy().copy()
    gamma, beta = np.array([0.5, -1.5]), np.array([0.25, 2.0])
    dy = np.zeros((1, 2, 1, 2))
    dy[0, 0, 0, 1] = 1.0
    torch_is_right = np.array_equal(backward(dy, x, gamma, beta)[2], dy.sum(axis=(0, 2, 3)))
    report = check_gradient(forward, backward, [x, gamma, beta])
    assert report.status == ("passed" if torch_is_right else "failed"), report.explanation


# ----------------------------------------------------------------------------------------------
# the three verdicts


def test_the_three_verdicts_and_their_exceptions() -> None:
    """Passed, failed and inconclusive each raise (or not) their own exception."""
    x = np.array([0.3, -1.2])
    passed = assert_gradient(np.sin, lambda dy, x: dy * np.cos(x), [x])
    assert (passed.status, passed.ok) == ("passed", True)
    with pytest.raises(GradientMismatch, match="FAILED") as wrong:
        assert_gradient(np.sin, lambda dy, x: -dy * np.cos(x), [x])
    assert (wrong.value.report.status, wrong.value.report.ok) == ("failed", False)
    with pytest.raises(GradientCheckInconclusive, match="inconclusive") as unjudged:
        assert_gradient(np.abs, lambda dy, x: dy * np.sign(x), [np.array([1e-6, 1.0])])
    assert (unjudged.value.report.status, unjudged.value.report.ok) == ("inconclusive", False)
    assert issubclass(GradientMismatch, AssertionError)
    assert issubclass(GradientCheckInconclusive, AssertionError)
    assert not issubclass(GradientMismatch, GradientCheckInconclusive)
    assert not issubclass(GradientCheckInconclusive, GradientMismatch)


def test_a_forward_that_leaves_its_domain_is_inconclusive() -> None:
    """Steps from 0.002 down to 0.002 / 64 from log's input 1e-5 all go below 0: NaN."""
    with np.errstate(invalid="ignore"):
        report = check_gradient(np.log, lambda dy, x: dy / x, [np.array([1e-5])], jacobian_limit=0)
    assert report.status == "inconclusive", report
    assert "not finite" in report.reason


def test_a_box_that_leaves_the_domain_is_retried_smaller() -> None:
    """From log's input 1e-3 the box of 0.002 leaves the domain, the retry of 0.0005 does not."""
    with np.errstate(invalid="ignore"):
        assert check_gradient(np.log, lambda dy, x: dy / x, [np.array([1e-3])]).ok
        wrong = check_gradient(np.log, lambda dy, x: dy / x * (1 + 1e-6), [np.array([1e-3])])
    assert wrong.status == "failed", wrong


def test_a_wrong_entry_beside_a_kink_is_still_failed() -> None:
    """|x| at [1e-6, 1]: the first entry cannot be judged, the second can, and is wrong."""
    report = check_gradient(np.abs, lambda dy, x: 2.0 * dy * np.sign(x), [np.array([1e-6, 1.0])])
    assert report.status == "failed", report
    assert any(not c.converged for c in report.comparisons)


def test_a_malformed_backward_is_failed() -> None:
    """A gradient of the wrong shape is a wrong backward, not an unjudgeable one."""
    report = check_gradient(np.sin, lambda dy, x: np.cos(x)[:1], [np.array([0.3, 0.4])])
    assert report.status == "failed"


@given(x=st.floats(-1.0, 1.0))
def test_reject_inconclusive_drops_an_unjudgeable_example(x: float) -> None:
    """Inside a Hypothesis test: |x| near 0 is dropped, a right gradient elsewhere passes."""
    with reject_inconclusive():
        assert_gradient(np.abs, lambda dy, v: dy * np.sign(v), [np.array([x])])


def test_reject_inconclusive_lets_a_wrong_gradient_fail() -> None:
    """A wrong gradient is not an unjudgeable one: it still raises."""
    with pytest.raises(GradientMismatch), reject_inconclusive():
        assert_gradient(np.abs, lambda dy, v: -dy * np.sign(v), [np.array([0.5])])


# ----------------------------------------------------------------------------------------------
# the candidates are not a free pass: each family's planted bugs fail

PLANTED = {
    "log_softmax without the softmax term": (
        "log_softmax",
        lambda dy, x, *, axis=-1: dy - np.sum(dy, axis=axis, keepdims=True) / x.shape[axis],
    ),
    "batch norm's dx without the x_hat term": (
        "batchnorm_train",
        lambda dy, x, gamma, beta, *, eps=1e-5: (
            (dy - dy.mean(axis=0)) * gamma / np.sqrt(x.var(axis=0) + eps),
            *textbook.batchnorm_train_backward(dy, x, gamma, beta, eps=eps)[1:],
        ),
    ),
    "a dense layer's dW from the first row of the batch only": (
        "dense",
        lambda dy, x, W, b: (dy @ W.T, np.outer(x[0], dy[0]), dy.sum(axis=0)),
    ),
    "a sigmoid's derivative as s (1 - s) of the wrong sign": (
        "sigmoid",
        lambda dy, x: -textbook.sigmoid_backward(dy, x),
    ),
    "a convolution's dw with a flipped kernel": (
        "conv2d",
        lambda dy, x, w, b=None, **attrs: (
            textbook.conv2d_backward(dy, x, w, b, **attrs)[0],
            textbook.conv2d_backward(dy, x, w, b, **attrs)[1][:, :, ::-1, ::-1],
            textbook.conv2d_backward(dy, x, w, b, **attrs)[2],
        ),
    ),
}


@pytest.mark.parametrize("bug", PLANTED)
def test_a_planted_bug_in_a_textbook_candidate_is_failed(bug: str) -> None:
    """The leniency that admits other algorithms' rounding admits no real error."""
    name, backward = PLANTED[bug]
    entry = catalog.get(name)
    op, _ = _candidate("textbook", name)
    rng = np.random.default_rng(0)
    inputs = [
        rng.standard_normal(np.shape(v)) if i in entry.wrt else v
        for i, v in enumerate(entry.sample.inputs)
    ]
    report = check_gradient(op, backward, inputs, attrs=entry.sample.attrs, wrt=entry.wrt)
    assert report.status == "failed", report


# ----------------------------------------------------------------------------------------------
# judged at the candidate's own precision


def _dense(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A dense layer in whatever precision its inputs have (NumPy follows them)."""
    return x @ W + b


def _dense_backward(dy: np.ndarray, x: np.ndarray, W: np.ndarray, b: np.ndarray) -> Any:
    return dy @ W.T, x.T @ dy, dy.sum(axis=0)


def _dense_point(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal(5)]


def test_a_candidate_is_run_and_judged_in_its_own_precision() -> None:
    """float32 inputs reach the op and the backward as float32, d_out too: never upcast.

    With float64 inputs and ``dtype="float32"`` they are rounded to float32 first; with
    float32 inputs and no dtype, the precision is the forward's output's.
    """
    seen: set[str] = set()

    def op(*inputs: np.ndarray) -> np.ndarray:
        seen.update(v.dtype.name for v in inputs)
        return _dense(*inputs)

    def backward(dy: np.ndarray, *inputs: np.ndarray) -> Any:
        seen.update(v.dtype.name for v in (dy, *inputs))
        return _dense_backward(dy, *inputs)

    point = _dense_point(0)
    for inputs, dtype in (([v.astype(np.float32) for v in point], None), (point, "float32")):
        seen.clear()
        report = check_gradient(op, backward, inputs, dtype=dtype)
        assert (report.status, report.dtype, seen) == ("passed", "float32", {"float32"})
        assert "judged at float32" in report.explanation
    assert check_gradient(op, backward, point).dtype == "float64"


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_inputs_reach_the_candidate_in_their_own_precision(dtype: str) -> None:
    """float16, and bfloat16 through ml_dtypes, are passed as arrays of that precision."""
    pytest.importorskip("ml_dtypes", reason="bfloat16 needs ml_dtypes (an optional dependency)")
    seen: set[str] = set()

    def op(*inputs: np.ndarray) -> np.ndarray:
        seen.update(v.dtype.name for v in inputs)
        return _dense(*inputs)

    report = check_gradient(op, _dense_backward, _dense_point(0), dtype=dtype)
    assert (report.dtype, seen) == (dtype, {dtype})


@pytest.mark.parametrize("seed", range(10))
def test_a_float32_backward_wrong_by_1e_3_in_one_entry_is_failed(seed: int) -> None:
    """The largest entry of dW times 1 + 1e-3, in float32: failed at SMOOTH_STEP.

    The right backward passes at the same step.
    """

    def planted(dy: np.ndarray, x: np.ndarray, W: np.ndarray, b: np.ndarray) -> Any:
        dx, dW, db = _dense_backward(dy, x, W, b)
        dW = dW.copy()
        dW.flat[np.argmax(np.abs(dW))] *= np.float32(1 + 1e-3)
        return dx, dW, db

    inputs = _dense_point(seed)
    options = {"dtype": "float32", "seed": seed, "step": SMOOTH_STEP}  # a dense layer is smooth
    assert check_gradient(_dense, _dense_backward, inputs, **options).ok
    report = check_gradient(_dense, planted, inputs, **options)
    assert report.status == "failed", report.explanation
    # float64's box is too narrow to see it through float32's rounding: passed, not sharp
    assert check_gradient(_dense, planted, inputs, dtype="float32", seed=seed).ok


def test_a_float32_backward_is_not_held_to_float64s_rounding() -> None:
    """The same float32 backward, judged as if it were float64, fails: the precision matters.

    (What ``dtype`` protects against: a float32 candidate held to float64's bounds is
    called wrong, or else run on float64 data it never sees in use.)
    """

    def in_float32(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _dense(*(v.astype(np.float32) for v in (x, W, b))).astype(np.float64)

    def backward(dy: np.ndarray, *inputs: np.ndarray) -> Any:
        grads = _dense_backward(dy.astype(np.float32), *(v.astype(np.float32) for v in inputs))
        return tuple(g.astype(np.float64) for g in grads)

    inputs = _dense_point(1)
    assert check_gradient(in_float32, backward, inputs, dtype="float32").ok
    assert not check_gradient(in_float32, backward, inputs, dtype="float64").ok


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_is_judged_only_where_its_rounding_can_tell(dtype: str) -> None:
    """Half precision: where the rounding hides the gradient, the verdict says so.

    A right float16 or bfloat16 backward is never failed: the forward's rounding,
    amplified by the differences, is as large as the gradient ("inconclusive"). A negated
    float16 gradient is failed; in bfloat16 (u = 2^-8) the same is unjudgeable:
    "inconclusive", never "passed".
    """
    pytest.importorskip("ml_dtypes", reason="bfloat16 needs ml_dtypes (an optional dependency)")

    def negated(dy: np.ndarray, *inputs: np.ndarray) -> Any:
        return tuple(-g for g in _dense_backward(dy, *inputs))

    for seed in range(5):
        inputs = _dense_point(seed)
        options = {"dtype": dtype, "seed": seed, "step": SMOOTH_STEP}
        right = check_gradient(_dense, _dense_backward, inputs, **options)
        assert right.status == "inconclusive", right.explanation
        assert "cannot tell" in right.reason
        wrong = check_gradient(_dense, negated, inputs, **options)
        assert wrong.status == ("failed" if dtype == "float16" else "inconclusive")


@pytest.mark.witnesses
@pytest.mark.parametrize("name", ["dense", "conv2d", "batchnorm_train"])
def test_pytorchs_float32_backwards_are_judged_passed(name: str) -> None:
    """PyTorch's float32 dense, conv2d and batch_norm backwards are judged passed.

    On each op's catalog sample and named cases, given as float32 arrays (torch.nn.functional
    in float32), judged at float32: the sample and most named cases passed, none failed.
    """
    statuses: list[str] = []
    if FAMILIES["torch"] is None:
        pytest.skip("torch is not installed (an optional peer)")
    entry = catalog.get(name)
    forward, backward = FAMILIES["torch"][name]

    def op(*inputs: Any, **attrs: Any) -> Any:
        out = forward(*inputs, **attrs)
        return out if entry.output is None else out[entry.output]

    step = entry.gradient_step("float32")
    for label, example in (("sample", entry.sample), *entry.cases()):
        example = entry.prepared(example)
        inputs = [np.asarray(v, dtype=np.float32) for v in example.inputs]
        report = check_gradient(op, backward, inputs, attrs=example.attrs, wrt=entry.wrt, step=step)
        assert report.dtype == "float32"
        # an edge case may be one float32 cannot judge (a variance below eps), never failed
        wanted = ("passed",) if label == "sample" else ("passed", "inconclusive")
        assert report.status in wanted, f"{label}: {report.explanation}"
        statuses.append(report.status)
    assert statuses.count("passed") > len(statuses) / 2, statuses


def test_only_a_smooth_op_is_checked_with_the_wide_box_below_float64() -> None:
    """SMOOTH_STEP for dense at float32; float64's STEP for it at float64 and for max pooling."""
    assert catalog.get("dense").gradient_step("float32") == SMOOTH_STEP
    assert catalog.get("dense").gradient_step("float64") == STEP
    assert catalog.get("max_pool2d").gradient_step("float32") == STEP
    assert not catalog.get("relu").smooth


@pytest.mark.parametrize("dtype", ["int32", "float128", True])
def test_an_unknown_precision_is_refused(dtype: object) -> None:
    """Only float16, bfloat16, float32 and float64 can be judged: a TypeError naming dtype."""
    with pytest.raises(TypeError, match="check_gradient: dtype"):
        check_gradient(_dense, _dense_backward, _dense_point(0), dtype=dtype)
