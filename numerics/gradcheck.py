r"""Is a backward pass the true gradient of its forward pass?

:func:`check_gradient` answers by comparing what the backward says with what
the forward does, on the same inputs, to an error bound it derives as it goes.

**The inner-product identity.** For an op $f$ with Jacobian $J$ at $x$, a
backward pass computes $J^\top u$ for a cotangent $u$ shaped like the output.
For any tangent $v$ shaped like the input,

$$\begin{aligned}
\langle J^\top u,\ v\rangle \; &=\; \langle u,\ J v\rangle
  \;=\; \frac{d}{dt}\,\varphi(t)\Big|_{t=0},\\
\varphi(t) &= \langle u,\ f(x + t v)\rangle .
\end{aligned}$$

The left side uses the backward alone; the right side uses the forward alone.
Random $u$ and $v$ make an error in any entry of $J^\top u$ show with
probability one.

**The derivative, from the forward alone.** Central differences
$D(h) = (\varphi(h) - \varphi(-h))/2h = \varphi'(0) + c_1 h^2 + c_2 h^4 + \dots$
are combined at $h, h/2, h/4, h/8$ by Richardson extrapolation, which cancels
the $h^2$, $h^4$ and $h^6$ terms: the error left is $O(h^8)$. The last two
columns of the extrapolation table differ by about the error of the one before
last, an estimate of the truncation error that is safe for the last.

**The allowed error.** Three parts:

* truncation, estimated from the table as above;
* rounding: each $\varphi(t)$ carries a computational noise $\eta$, measured by
  the method of Moré and Wild (higher differences of $\varphi$ at nine points
  spaced far closer than $h$, where the smooth part vanishes and the noise
  does not); it is never taken below $u$ times the gauge of $\varphi$ (the
  values met, and $\sum_i |\partial\varphi/\partial x_i|\,|x_i|$: rounding the
  inputs, or the terms of a sum, alone moves $\varphi$ that much; for one entry
  of the Jacobian the largest output, not the entry's own value, since a stable
  algorithm may compute a small entry as a difference of the op's large
  quantities, as ``x - m - log sum exp(x - m)`` computes log_softmax's entries
  near 0), nor below ``forward_error`` where the caller gives the bound every
  stable algorithm for the op meets (an error that varies too slowly to show
  among the nine points is not measured), nor below
  $u\,\sum_i |v_i||x_i|$ times the pace $|\varphi(\pm h) - \varphi(0)|/h$ at which
  $\varphi$ moves across the box (rounding $x + t v$ there, where the derivative
  is no longer its value at $x$: near a minimum it is not zero), nor below
  the spacing of the grid the values are seen to round to (equal values at
  distinct points); it reaches the extrapolated value multiplied by
  $\sum_k |w_k| / h_k$ ($w_k$ the weights of the table), each noise term
  counted at three times its estimated standard deviation;
* the rounding of the backward's own sums and of the inner products, at
  $\gamma_{n+m}$ times their gauge ($n$ inputs, $m$ outputs): the larger of
  $\sum |J^\top u|\,|v|$ and $\sum_j |u_j|\,|(Jv)_j|$ (with $Jv$ from a central
  difference), which is the one that counts when the backward's sum over the
  outputs cancels (batch norm's $d\gamma = \sum dy\,\hat x$ at $\hat x = \pm 1$).

The first two are multiplied by a safety factor of :data:`SAFETY` = 8: the
noise is itself an estimate (Moré and Wild find it within a factor of 2 to 4).
A correct backward then passes with a ratio of error to allowed far below one,
while a gradient wrong by a relative $10^{-8}$ fails by orders of magnitude.

**Step size.** $h_0 = 2^{-9} \approx 0.002$ and the tangents are scaled to a
largest entry of 1, so the forward is evaluated only inside the box of
half-width $h_0$ around each input: the op must be smooth there. The
$O(h^8)$ truncation of a function whose derivatives are of order one is then
about $10^{-22}$, far below rounding, and the rounding is amplified by
about $10^4 \approx 1/h_{\min}$, which keeps about twelve digits. A table
that does not settle (its truncation estimate above both the rounding and
$\sqrt u$ times the larger of the value and $|\varphi(\pm h) - \varphi(0)|/h$, the
pace at which $\varphi$ moves at all) is tried again with steps four times smaller, up to
three times: near a pole or a sharp bend the Taylor series needs a smaller
box, and so does a forward that is not finite in the box (the edge of its
domain). At a kink, a tie or a discontinuity no step settles, and the check says
so rather than widening its bound. So does a forward whose noise exceeds
$\sqrt u$ times its values (half the digits lost): a kink inside the noise
window looks like noise, and no bound built on such noise would mean
anything; and a smaller box in which $\varphi$ stops moving where a larger one
saw it move (the forward rounds to a grid coarser than the box).

**Precision.** A candidate is judged at its own precision $u$ (``dtype``, by
default its output's): its floating inputs and cotangents are rounded to it and
passed as arrays of it, and every $u$ and $\gamma_n$ above is its own. A float32
forward's rounding, amplified by $1/h$, is then what limits the check, so an op
smooth everywhere is judged in a wider box (:data:`SMOOTH_STEP`; the catalog's
``OpEntry.gradient_step`` gives it to the ops it knows smooth): in float32 a
relative error of $10^{-3}$ in one entry of a dense layer's gradient fails there.
Where even so the allowed error reaches the scale of what is compared (float16
and bfloat16, where $u$ is $2^{-11}$ and $2^{-8}$), any gradient of that size
would pass, its negative included: such a comparison is *unresolved*, and the
verdict inconclusive rather than passed.

**The verdict** is one of three (:data:`STATUSES`). *Failed*: a comparison
whose table settled exceeds its bound, or the backward's result is malformed:
the backward is wrong. *Inconclusive*: some comparison did not settle, or the
forward is not finite within the step, and none that settled found an error:
the forward cannot judge the backward at this input, which says nothing about
the backward. *Passed*: every comparison settled within its bound.
:func:`assert_gradient` raises :class:`GradientMismatch` or
:class:`GradientCheckInconclusive` accordingly.

**The full Jacobian.** When the differentiable inputs have at most
``jacobian_limit`` entries in all and the output at most ``jacobian_limit``
elements, every entry $J_{jk}$ is checked too: column $k$ by Richardson
differences along the coordinate $e_k$, row $j$ by the backward with
$u = e_j$.

References
----------
J. J. Moré and S. M. Wild, Estimating computational noise, *SIAM Journal on
Scientific Computing* 33(3), 2011.
L. F. Richardson and J. A. Gaunt, The deferred approach to the limit,
*Phil. Trans. R. Soc. A* 226, 1927.
"""

from __future__ import annotations

import contextlib
import inspect
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import numpy as np

from numerics.tolerance import floating_dtype, gamma, precision_of, unit_roundoff

__all__ = [
    "SAFETY",
    "SMOOTH_STEP",
    "STATUSES",
    "STEP",
    "Comparison",
    "GradientCheckInconclusive",
    "GradientMismatch",
    "GradientReport",
    "assert_gradient",
    "check_gradient",
    "reject_inconclusive",
    "richardson",
]

#: The largest step $h_0$ of the central differences, for a float64 forward.
STEP = 2.0**-9
#: How many step sizes the Richardson table uses: h0, h0/2, h0/4, h0/8.
LEVELS = 4
#: The multiplier of the estimated truncation and rounding errors.
SAFETY = 8.0
#: Nine points, spaced STEP * NOISE_SPACING apart, measure the noise. The spacing
#: is not a power of two (the golden ratio's conjugate times 2^-10): points on a
#: dyadic lattice can round in lock-step and hide the noise.
NOISE_POINTS = 9
NOISE_SPACING = 2.0**-10 * (math.sqrt(5.0) - 1.0) / 2.0
#: A table that does not settle to sqrt(u) of its scale (or below the rounding) is
#: retried with a step four times smaller, up to RETRIES times.
RETRIES = 3


#: A wider first step for an op smooth on its whole domain, judged below float64.
#: There the rounding of the forward, about u / h, is what limits the check (float32's u
#: is 2^29 times float64's, while the O(h^8) truncation of a smooth op stays below it for
#: h <= 1/8), so the check is as sharp as its box is wide: in float32 a relative error of
#: 1e-3 in one entry of a dense layer's gradient fails at this step and passes at STEP.
#: Never for an op with kinks or ties: float32's rounding at so wide a box can hide the
#: kinks the box holds (a correct max pooling, its windows' values 0.1 apart, was judged
#: failed at this step), and the catalog's strategies keep kinks only 0.01 away.
SMOOTH_STEP = 0.5


@dataclass(frozen=True)
class Comparison:
    r"""One comparison of the backward with the forward.

    Attributes
    ----------
    kind : str
        ``"direction"`` ($\langle J^\top u, v\rangle$ against $\langle u, Jv\rangle$)
        or ``"jacobian"`` (one entry).
    input_index : int
        The position of the input in the op's arguments.
    entry : pair of tuples of int, or None
        For a Jacobian entry: the index into the output and the index into the input.
    analytic, numeric : float
        What the backward gives and what the differences of the forward give.
    error, allowed : float
        ``abs(analytic - numeric)`` and the derived bound.
    truncation, rounding, floor : float
        The three parts of the bound, before the safety factor.
    converged : bool
        Whether the Richardson table settled.
    resolved : bool
        Below float64: whether the allowed error is smaller than the scale of what is
        compared (the gauge of $\langle J^\top u, v\rangle$, or the largest entry of
        the input's block of the Jacobian). Where it is not, any gradient of that size,
        its negative included, would pass: the comparison judges nothing.
    """

    kind: str
    input_index: int
    entry: tuple[tuple[int, ...], tuple[int, ...]] | None
    analytic: float
    numeric: float
    error: float
    allowed: float
    truncation: float
    rounding: float
    floor: float
    converged: bool
    resolved: bool = True

    @property
    def ratio(self) -> float:
        """Error over allowed error: at most 1 to pass."""
        if not self.converged:
            return math.inf
        if self.allowed > 0:
            return self.error / self.allowed
        return 0.0 if self.error == 0 else math.inf


#: The three verdicts of :func:`check_gradient`.
STATUSES = ("passed", "failed", "inconclusive")


@dataclass(frozen=True)
class GradientReport:
    """What :func:`check_gradient` found.

    Attributes
    ----------
    status : str
        ``"passed"``: every comparison is within its allowed error.
        ``"failed"``: the backward is wrong, shown by a comparison whose table
        settled and whose error exceeds its bound, or by a result of the wrong
        structure (a missing gradient, a wrong shape).
        ``"inconclusive"``: the forward cannot judge the backward here (it is not
        finite within the step, or its differences never settled: a kink, a tie, a
        pole, or values noisy beyond half their digits), and no comparison that
        could judge found an error. It says nothing about the backward.
    reason : str
        The verdict in one sentence.
    observed_error, allowed_error : float
        Of the worst comparison (the largest ratio of the two).
    input_index : int or None
        The input the worst comparison concerns.
    input_name : str or None
        Its name in the op's signature, when it can be read.
    explanation : str
        The finding in words: what was compared, the numbers, the bound and
        where it comes from, and, on failure, a guess at the kind of error.
    comparisons : tuple of Comparison
        Every comparison made.
    step : float
        The largest finite-difference step $h_0$.
    dtype : str
        The precision the candidate was judged at (its inputs rounded to it, its
        bounds those of its unit round-off).
    """

    status: str
    reason: str
    observed_error: float
    allowed_error: float
    input_index: int | None
    input_name: str | None
    explanation: str
    comparisons: tuple[Comparison, ...] = field(repr=False, default=())
    step: float = STEP
    dtype: str = "float64"

    @property
    def ok(self) -> bool:
        """True only when the status is ``"passed"``."""
        return self.status == "passed"

    def __str__(self) -> str:
        return self.explanation


class GradientMismatch(AssertionError):  # noqa: N818 (a verdict, named as the issue names it)
    """The backward is not the gradient of the forward: :func:`assert_gradient` found it wrong.

    ``report`` holds the :class:`GradientReport`.
    """

    def __init__(self, report: GradientReport) -> None:
        super().__init__(report.explanation)
        self.report = report


class GradientCheckInconclusive(AssertionError):  # noqa: N818 (a verdict, not an error)
    """The forward could not judge the backward at this input (not a verdict on the backward).

    ``report`` holds the :class:`GradientReport`. In a Hypothesis test,
    :func:`reject_inconclusive` turns it into a rejected example.
    """

    def __init__(self, report: GradientReport) -> None:
        super().__init__(report.explanation)
        self.report = report


def check_gradient(
    op: Callable[..., Any],
    op_backward: Callable[..., Any],
    inputs: Sequence[Any],
    *,
    attrs: Mapping[str, Any] | None = None,
    seed: int = 0,
    wrt: Sequence[int] | None = None,
    directions: int = 2,
    step: float = STEP,
    jacobian_limit: int = 64,
    forward_error: Any = None,
    dtype: Any = None,
) -> GradientReport:
    r"""Check ``op_backward`` against ``op`` by the inner-product identity.

    Parameters
    ----------
    op : callable
        The forward, ``op(*inputs, **attrs)``, returning one array or scalar.
        (Wrap an op with several outputs to select the one to check.)
    op_backward : callable
        ``op_backward(d_out, *inputs, **attrs)``: the gradient of
        $\langle d\_out, op(\ldots)\rangle$ with respect to each input in
        ``wrt``, one array when there is one such input, a tuple otherwise.
    inputs : sequence
        The point to check at: arrays, or scalars for scalar arguments.
    attrs : mapping, optional
        Keyword attributes passed to both.
    seed : int, default 0
        Seeds the random cotangents and tangents, so a report can be reproduced.
    wrt : sequence of int, optional
        The positions of the differentiable inputs (by default every input with
        floating-point values; integer inputs such as labels get no gradient).
    directions : int, default 2
        Random pairs $(u, v)$ per differentiable input.
    step : float, optional
        The largest finite-difference step $h_0$ (default :data:`STEP`); the op must be
        smooth within $h_0$ of each input, entry by entry. Below float64, an op smooth
        everywhere is judged far more sharply with :data:`SMOOTH_STEP`.
    jacobian_limit : int, default 64
        Check the full Jacobian entry by entry when the differentiable inputs
        have at most this many entries in all and the output at most this many.
    forward_error : array_like, optional
        A bound on the forward's own rounding error, element by element (shaped like
        the output, or one number): the error every stable algorithm for the op
        stays within, such as the catalog's $\gamma_{2n}$ times its gauge. The
        forward's values are never taken to be more accurate than that. Without it
        the noise is measured, which misses an error that changes too slowly to
        show among nearby points (``log(1 + d)`` computed as ``(m + log(1 + d)) - m``).
    dtype : float16, bfloat16, float32 or float64, optional
        The precision to judge the candidate at. The floating inputs and every
        cotangent are rounded to it and passed as arrays of it (bfloat16 as
        ``ml_dtypes.bfloat16``), and every bound uses its unit round-off $u$: a
        float32 backward is held to float32's rounding, not to float64's, and is
        never run on float64 data. By default, the precision of the forward's
        output on the inputs as given (:func:`numerics.tolerance.precision_of`:
        float16, bfloat16 and float32 are their own, anything else float64).

    Returns
    -------
    GradientReport
        With ``ok``, the worst observed and allowed errors, the input concerned
        and an explanation. The module docstring derives the bound.

    Examples
    --------
    >>> report = check_gradient(np.sin, lambda dy, x: dy * np.cos(x), [np.array([0.1, 0.7])])
    >>> report.ok
    True
    >>> check_gradient(np.sin, lambda dy, x: -dy * np.cos(x), [np.array([0.1, 0.7])]).ok
    False
    """
    _check_options(
        op, op_backward, step, directions=directions, jacobian_limit=jacobian_limit, seed=seed
    )
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(
            f"check_gradient: inputs must be a list or tuple of the op's inputs; got "
            f"{type(inputs).__name__}"
        )
    attrs = dict(attrs or {})
    if dtype is None:
        dtype = _inferred_precision(op, inputs, attrs)
    dtype = floating_dtype(dtype, "check_gradient")
    # the checker's own arithmetic is in float64, on values the candidate's precision holds
    point = [_as_input(value, dtype) for value in inputs]
    positions = _differentiable(point, wrt)
    for position in positions:
        if np.size(point[position]) == 0:
            raise ValueError(
                f"check_gradient: input {position} is empty: there is no gradient to check"
            )
    names = _input_names(op, len(point))
    rng = np.random.default_rng(seed)

    def candidate(args: Sequence[Any]) -> list[Any]:
        # the arguments as the candidate receives them: floating ones in its precision
        return [_rounded(a, dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                for a in args]  # fmt: skip

    def forward(args: list[Any]) -> np.ndarray:
        out = op(*candidate(args), **attrs)
        if isinstance(out, tuple):
            raise TypeError(
                "check_gradient: op returned a tuple; wrap it to return the one output to check"
            )
        return np.asarray(out, dtype=np.float64)

    def backward(cotangent: np.ndarray) -> list[np.ndarray]:
        try:
            d_out = _rounded(cotangent, dtype)
            grads = op_backward(d_out if d_out.ndim else d_out[()], *candidate(point), **attrs)
        except (TypeError, ValueError) as error:
            # the backward refused these inputs: say so under the checker's name, with its words
            raise type(error)(
                f"check_gradient: op_backward(d_out, *inputs, **attrs) raised "
                f"{type(error).__name__}: {error}"
            ) from error
        if len(positions) == 1 and not isinstance(grads, (tuple, list)):
            grads = (grads,)
        if not isinstance(grads, (tuple, list)) or len(grads) != len(positions):
            count = len(grads) if isinstance(grads, (tuple, list)) else "one array"
            raise _MalformedError(
                f"op_backward returned {count}; expected one gradient for each of the "
                f"{len(positions)} differentiable inputs {list(positions)}"
            )
        result = []
        for position, grad in zip(positions, grads, strict=True):
            array = np.asarray(grad, dtype=np.float64)
            if array.shape != point[position].shape:
                raise _MalformedError(
                    f"the gradient of input {position} ({names[position]}) has shape "
                    f"{array.shape}; the input has shape {point[position].shape}"
                )
            result.append(array)
        return result

    try:
        output = forward(point)
    except (TypeError, ValueError) as error:
        # the op refused these inputs: say so under the checker's name, with the op's words
        raise type(error)(
            f"check_gradient: op(*inputs, **attrs) raised {type(error).__name__}: {error}"
        ) from error
    bound = _forward_error(forward_error, output)
    try:
        comparisons: list[Comparison] = []
        for position in positions:
            for _ in range(directions):
                comparisons.append(
                    _directional(
                        forward, backward, point, positions, position, output, rng, step, bound,
                        dtype,
                    )
                )  # fmt: skip
        total = sum(point[p].size for p in positions)
        if total <= jacobian_limit and output.size <= jacobian_limit:
            comparisons.extend(
                _jacobian(forward, backward, point, positions, output, step, bound, dtype)
            )
    except _MalformedError as problem:
        return GradientReport(
            "failed",
            "the backward's result is not one gradient of each input's shape",
            math.inf,
            0.0,
            None,
            None,
            f"gradient check FAILED: {problem}",
            (),
            step,
            dtype.name,
        )
    except _NotFiniteError as problem:
        return GradientReport(
            "inconclusive",
            "the forward is not finite within the step",
            math.inf,
            0.0,
            problem.position,
            names[problem.position] if problem.position is not None else None,
            f"gradient check inconclusive (could not judge): {problem}",
            (),
            step,
            dtype.name,
        )
    return _report(comparisons, names, step, dtype)


def assert_gradient(
    op: Callable[..., Any], op_backward: Callable[..., Any], inputs: Sequence[Any], **options: Any
) -> GradientReport:
    """Like :func:`check_gradient`, but raise unless the check passed.

    Raises :class:`GradientMismatch` when the backward is found wrong and
    :class:`GradientCheckInconclusive` when the forward cannot judge it (both
    subclasses of ``AssertionError``, neither of the other), carrying the report
    as ``report`` and its explanation as the message. On success the report is
    returned.
    """
    report = check_gradient(op, op_backward, inputs, **options)
    if report.status == "failed":
        raise GradientMismatch(report)
    if report.status == "inconclusive":
        raise GradientCheckInconclusive(report)
    return report


@contextlib.contextmanager
def reject_inconclusive() -> Iterator[None]:
    """Inside a Hypothesis test: an inconclusive check rejects the example instead of failing.

    ``with reject_inconclusive(): assert_gradient(...)``. A wrong backward still
    fails; an input where the forward cannot judge (a kink the strategy did not
    avoid) is dropped, as ``hypothesis.assume(False)`` drops it, and Hypothesis
    draws another (it reports a health-check failure if it has to drop too many).
    """
    try:
        yield
    except GradientCheckInconclusive:
        hypothesis.reject()


class _MalformedError(Exception):
    """The backward's result does not have the agreed structure."""


class _NotFiniteError(Exception):
    def __init__(self, message: str, position: int | None) -> None:
        super().__init__(message)
        self.position = position


def _check_options(op: Any, op_backward: Any, step: Any, **counts: Any) -> None:
    """Refuse what check_gradient cannot work with: not callables, a step, counts out of range."""
    if not (callable(op) and callable(op_backward)):
        raise TypeError("check_gradient: op and op_backward must be callables")
    if isinstance(step, bool) or not isinstance(step, (int, float)) or not 0.0 < step < math.inf:
        raise ValueError(f"check_gradient: step must be a finite number > 0; got {step!r}")
    least = {"directions": 1, "jacobian_limit": 0, "seed": 0}
    for name, value in counts.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, np.integer))
            or not least[name] <= value < 2**63
        ):
            raise ValueError(
                f"check_gradient: {name} must be an integer >= {least[name]} (and below 2**63); "
                f"got {value!r}"
            )


def _forward_error(bound: Any, output: np.ndarray) -> np.ndarray:
    """The forward's error bound, checked and broadcast to the output's shape (zeros if None)."""
    if bound is None:
        return np.zeros(output.shape)
    values = np.asarray(bound)
    if values.dtype.kind not in "iuf" or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(
            f"check_gradient: forward_error must be finite numbers >= 0; got {bound!r}"
        )
    try:
        return np.broadcast_to(values.astype(np.float64), output.shape)
    except ValueError:
        raise ValueError(
            f"check_gradient: forward_error has shape {values.shape}; the output has shape "
            f"{output.shape}"
        ) from None


def _is_floating(array: np.ndarray) -> bool:
    """Floating-point data: NumPy's kinds, and ml_dtypes' bfloat16 (kind "V" to NumPy)."""
    return array.dtype.kind == "f" or array.dtype.name == "bfloat16"


def _inferred_precision(op: Callable[..., Any], inputs: Sequence[Any], attrs: Any) -> Any:
    """The precision of the forward's output on copies of the inputs as given."""
    copies = [np.array(v) if _is_floating(np.asarray(v)) else v for v in inputs]
    try:
        out = op(*copies, **attrs)
    except (TypeError, ValueError) as error:
        # the op refused these inputs: say so under the checker's name, with the op's words
        raise type(error)(
            f"check_gradient: op(*inputs, **attrs) raised {type(error).__name__}: {error}"
        ) from error
    return precision_of(out) if not isinstance(out, tuple) else np.float64


def _rounded(values: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    """``values`` rounded to ``dtype``, as an array of it (a new array)."""
    return np.asarray(values, dtype=np.float64).astype(dtype)


def _as_input(value: Any, dtype: np.dtype[Any]) -> Any:
    """A private float64 copy of a floating input, rounded to ``dtype``; others as they are."""
    array = np.asarray(value)
    if _is_floating(array):
        return _rounded(array, dtype).astype(np.float64)
    return value


def _differentiable(point: list[Any], wrt: Sequence[int] | None) -> tuple[int, ...]:
    def floating(value: Any) -> bool:
        return isinstance(value, np.ndarray) and value.dtype.kind == "f"

    if wrt is None:
        positions = tuple(i for i, v in enumerate(point) if floating(v))
    else:
        positions = tuple(int(i) for i in wrt)
        for i in positions:
            if not 0 <= i < len(point) or not floating(point[i]):
                raise ValueError(
                    f"check_gradient: wrt names input {i}, which is not a "
                    f"floating-point input among the {len(point)} inputs"
                )
    if not positions:
        raise ValueError("check_gradient: no floating-point input to differentiate")
    return positions


def _input_names(op: Callable[..., Any], count: int) -> list[str]:
    try:
        parameters = [
            p.name
            for p in inspect.signature(op).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        parameters = []
    return [parameters[i] if i < len(parameters) else f"input {i}" for i in range(count)]


def _richardson_weights(steps: np.ndarray) -> np.ndarray:
    """The weights w_k with which the last table entry combines the differences D(h_k)."""
    table = [np.eye(len(steps))[k] for k in range(len(steps))]
    for level in range(1, len(steps)):
        factor = 4.0**level - 1.0
        table = [table[k] + (table[k] - table[k - 1]) / factor for k in range(1, len(table))]
    return table[-1]


def richardson(differences: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Richardson extrapolation of central differences at $h, h/2, h/4, \dots$.

    A central difference $D(h) = f'(x) + c_1 h^2 + c_2 h^4 + \dots$; each level
    of the table $T_{k,j} = T_{k,j-1} + (T_{k,j-1} - T_{k-1,j-1})/(4^j - 1)$
    cancels the next power of $h^2$.

    Parameters
    ----------
    differences : numpy.ndarray, shape (levels, ...)
        $D(h), D(h/2), \dots$ along the first axis; any further axes are
        elements, extrapolated independently.

    Returns
    -------
    (value, error)
        The last diagonal entry of the table, and an estimate of its truncation
        error: the larger change between the last two entries of the last row
        and between the last two diagonal entries.

    Examples
    --------
    >>> h = 0.1 / 2.0 ** np.arange(4)
    >>> value, error = richardson((np.sin(1 + h) - np.sin(1 - h)) / (2 * h))
    >>> bool(abs(value - np.cos(1)) < 1e-13)
    True
    """
    rows = [differences[0]]
    previous_diagonal = differences[0]
    estimate = np.abs(differences[0]) * 0.0
    for k in range(1, len(differences)):
        row = [differences[k]]
        for level in range(1, k + 1):
            # T_{k,j} = T_{k,j-1} + (T_{k,j-1} − T_{k-1,j-1}) / (4^j − 1)
            row.append(row[level - 1] + (row[level - 1] - rows[level - 1]) / (4.0**level - 1.0))
        # the last two columns of the last row, and the last two diagonal entries
        estimate = np.maximum(np.abs(row[-1] - row[-2]), np.abs(row[-1] - previous_diagonal))
        previous_diagonal = row[-1]
        rows = row
    return rows[-1], estimate


def _noise(values: np.ndarray, spacing: float, slope: np.ndarray) -> np.ndarray:
    """The computational noise in values at equally spaced points (first axis).

    Moré and Wild's estimate: the k-th differences of pure noise of standard
    deviation σ have mean square C(2k, k) σ², those of a smooth function vanish
    like spacing^k; the largest estimate for k = 3..6 is taken. A forward that
    rounds to a coarse grid (a value near 1 whose derivative is tiny) can instead
    be flat across the points: a run of equal values spanning a length ℓ means
    that the grid is at least |slope| ℓ apart, and so is the noise.
    """
    estimates = []
    # differences of values near the largest double would overflow: scale first
    scale = np.max(np.abs(values), axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    difference = values / scale
    for k in range(1, 7):
        difference = np.diff(difference, axis=0)
        if k >= 3:
            # γ_k = (k!)² / (2k)!
            gamma_k = math.factorial(k) ** 2 / math.factorial(2 * k)
            estimates.append(scale * np.sqrt(gamma_k * np.mean(difference**2, axis=0)))
    flat = np.diff(values, axis=0) == 0.0
    longest = np.zeros(values.shape[1:])
    run = np.zeros(values.shape[1:])
    for equal in flat:
        run = np.where(equal, run + 1.0, 0.0)
        longest = np.maximum(longest, run)
    estimates.append(np.abs(slope) * spacing * longest)
    return np.max(np.stack(estimates), axis=0)


def _evaluate_along(
    forward: Callable[[list[Any]], np.ndarray],
    point: list[Any],
    position: int,
    direction: np.ndarray,
    offsets: np.ndarray,
) -> np.ndarray:
    """The forward at point + t * direction (in input ``position``) for each t; stacked."""
    results = []
    for t in offsets:
        moved = list(point)
        moved[position] = point[position] + t * direction
        value = forward(moved)
        if not np.all(np.isfinite(value)):
            raise _NotFiniteError(
                f"the forward is not finite at a distance {abs(t):.3g} from the "
                f"input along the tangent; the step leaves the op's domain "
                f"(pass a smaller step, or inputs farther from the boundary)",
                position,
            )
        results.append(value)
    return np.stack(results)


def _derivative(
    forward: Callable[[list[Any]], np.ndarray],
    point: list[Any],
    position: int,
    direction: np.ndarray,
    step: float,
    project: Callable[[np.ndarray], np.ndarray],
    floor: np.ndarray | float,
    reach: float,
    u: float,
    claimed: np.ndarray | float,
) -> tuple[np.ndarray, ...]:
    """d/dt project(f(x + t v)) at t = 0.

    Returns the estimate, its truncation estimate, its rounding bound, whether
    the table settled, and the step it was computed with. A table that does not
    settle, or a forward that is not finite in the box, is tried again with a
    step four times smaller, down to step / 64: near a pole, a sharp bend or the
    edge of the domain the box must be smaller; at a kink no step settles. A
    smaller box in which φ stops moving, where the first box saw it move, has
    not settled either when the backward ``claimed`` a derivative other than 0:
    the forward rounds to a grid coarser than the box (a cancellation inside
    it), and a zero difference there is no derivative. (Where the backward says
    0, a flat box agrees with it: a kink the first box crossed, as a max
    pooling window's runner-up 0.1 away.)
    ``floor`` is u times the gauge of the projected values (their terms, and
    Σ |∂φ/∂x| |x| at x): rounding the inputs and the forward's own sums alone
    makes that much noise, whatever the noise estimate says. ``reach`` is
    Σ |v| |x|: rounding x + t v moves φ by up to u times it times the
    derivative along the way, which near a minimum is far from its value at x.
    ``u`` is the unit round-off of the candidate's precision.
    """
    convergence = math.sqrt(u)
    moved_at_first = None
    for shrink in range(RETRIES + 1):
        steps = step / 4.0**shrink / 2.0 ** np.arange(LEVELS)
        try:
            ahead = project(_evaluate_along(forward, point, position, direction, steps))
            behind = project(_evaluate_along(forward, point, position, direction, -steps))
        except _NotFiniteError:
            if shrink == RETRIES:
                raise
            continue
        shape = (LEVELS,) + (1,) * (ahead.ndim - 1)
        # D(h) = (φ(h) − φ(−h)) / 2h
        differences = (ahead - behind) / (2.0 * steps.reshape(shape))
        value, truncation = richardson(differences)
        spacing = steps[0] * NOISE_SPACING
        offsets = spacing * (np.arange(NOISE_POINTS) - NOISE_POINTS // 2)
        window = project(_evaluate_along(forward, point, position, direction, offsets))
        # how fast φ moves across the box at all, |φ(±h) − φ(0)| / h: the scale of a
        # derivative here, even where the derivative at x itself is zero (a minimum)
        centre = window[NOISE_POINTS // 2]
        variation = np.max(
            np.abs(np.concatenate([ahead, behind]) - centre)
            / np.concatenate([steps, steps]).reshape((2 * LEVELS, *shape[1:])),
            axis=0,
        )
        # the largest value met, whose last rounding alone is a noise of u times it; and the
        # rounding of x + t v, which moves φ by its derivative there times u |x|
        size = np.max(np.abs(np.concatenate([window, ahead, behind])), axis=0)
        moved_floor = floor + u * variation * reach
        eta = np.maximum(np.maximum(_noise(window, spacing, value), u * size), moved_floor)
        # rounding ≤ 3η Σ_k |w_k| / h_k
        rounding = 3.0 * eta * float(np.sum(np.abs(_richardson_weights(steps)) / steps))
        # settled: the table converged, and the values are not noisy beyond half their
        # digits, or beyond what rounding explains (a kink inside the noise window looks
        # like noise, and is caught here)
        settled_scale = convergence * np.maximum(np.abs(value), variation)
        quiet = (eta <= convergence * np.maximum(size, 1e-300)) | (eta <= moved_floor)
        converged = ((truncation <= rounding) | (truncation <= settled_scale)) & quiet
        if moved_at_first is None:
            moved_at_first = variation > 0
        else:
            # a smaller box where φ no longer moves at all, when the first box saw it move, shows
            # the forward's rounding grid (a cancellation inside it), not a zero derivative, unless
            # the backward says the derivative is zero
            converged &= ~((variation == 0) & moved_at_first & (np.asarray(claimed) != 0))
        if np.all(converged):
            break
    return value, truncation, rounding, converged, steps[0]


def _directional(
    forward: Callable[[list[Any]], np.ndarray],
    backward: Callable[[np.ndarray], list[np.ndarray]],
    point: list[Any],
    positions: tuple[int, ...],
    position: int,
    output: np.ndarray,
    rng: np.random.Generator,
    step: float,
    error: np.ndarray,
    dtype: np.dtype[Any],
) -> Comparison:
    # a cotangent the candidate's precision holds exactly
    cotangent = _rounded(rng.standard_normal(output.shape), dtype).astype(np.float64)
    tangent = np.asarray(rng.standard_normal(point[position].shape))
    tangent = tangent / max(float(np.max(np.abs(tangent), initial=0.0)), 1e-300)
    grads = backward(cotangent)
    grad = grads[positions.index(position)]
    # ⟨Jᵀu, v⟩ from the backward
    analytic = float(np.sum(grad * tangent))

    def project(values: np.ndarray) -> np.ndarray:
        # φ(t) = ⟨u, f(x + t v)⟩
        return np.sum((values * cotangent).reshape(len(values), -1), axis=1)

    # u times the gauge of φ: its terms, and Σ |∂φ/∂x| |x| over every input (u first: no
    # overflow where the values are near the largest double)
    u = unit_roundoff(dtype)
    noise_floor = (
        float(np.sum(u * np.abs(cotangent) * np.abs(output)))
        + sum(
            float(np.sum(u * np.abs(g) * np.abs(point[p])))
            for g, p in zip(grads, positions, strict=True)
        )
        + float(np.sum(np.abs(cotangent) * error))  # the forward's own bound, when given
    )
    reach = float(np.sum(np.abs(tangent) * np.abs(point[position])))
    numeric, truncation, rounding, converged, used = _derivative(
        forward, point, position, tangent, step, project, noise_floor, reach, u, analytic
    )
    # the gauge of the sums behind ⟨Jᵀu, v⟩: Σ |Jᵀu| |v|, and Σ_j |u_j| |(Jv)_j| (Jv by a
    # central difference at the step used), which is the larger when the backward's sum over
    # the outputs cancels (batch norm's dγ = Σ dy x̂ at x̂ = ±1)
    ahead, behind = _evaluate_along(forward, point, position, tangent, np.array([used, -used]))
    tangent_image = (ahead - behind) / (2.0 * used)
    gauge = max(
        float(np.sum(np.abs(grad) * np.abs(tangent))),
        float(np.sum(np.abs(cotangent) * np.abs(tangent_image))),
    )
    terms = point[position].size + output.size
    floor = gamma(terms, dtype) * gauge + u * abs(float(numeric))
    return _compare(
        "direction",
        position,
        None,
        analytic,
        float(numeric),
        float(truncation),
        float(rounding),
        floor,
        bool(converged),
        gauge,
        dtype,
    )


def _jacobian(
    forward: Callable[[list[Any]], np.ndarray],
    backward: Callable[[np.ndarray], list[np.ndarray]],
    point: list[Any],
    positions: tuple[int, ...],
    output: np.ndarray,
    step: float,
    error: np.ndarray,
    dtype: np.dtype[Any],
) -> list[Comparison]:
    """Every entry J_jk: rows from the backward, columns from Richardson differences."""
    rows = []
    for j in range(output.size):
        basis = np.zeros(output.size)
        basis[j] = 1.0
        rows.append(backward(basis.reshape(output.shape)))

    def flatten(values: np.ndarray) -> np.ndarray:
        return values.reshape(len(values), -1)

    # u times the gauge of each output: the largest output (normwise: a stable algorithm may
    # compute a small entry as a difference of the op's large quantities, as log_softmax's
    # x - m - log Σ e^(x - m) does, to an absolute u), and Σ |∂f_j/∂x| |x| over every input
    u = unit_roundoff(dtype)
    noise_floor = (
        u * float(np.max(np.abs(output)))
        + sum(
            np.array([np.sum(u * np.abs(row[slot]) * np.abs(point[p])) for row in rows])
            for slot, p in enumerate(positions)
        )
        + error.reshape(-1)  # the forward's own bound, when given
    )
    comparisons = []
    terms = sum(point[p].size for p in positions) + output.size
    for slot, position in enumerate(positions):
        shape = point[position].shape
        columns, truncations, roundings, settled = [], [], [], []
        for k in range(point[position].size):
            basis = np.zeros(point[position].size)
            basis[k] = 1.0
            value, truncation, rounding, converged, _ = _derivative(
                forward,
                point,
                position,
                basis.reshape(shape),
                step,
                flatten,
                noise_floor,
                float(abs(point[position].reshape(-1)[k])),
                u,
                np.array([row[slot].reshape(-1)[k] for row in rows]),
            )
            columns.append(value)
            settled.append(converged)
            truncations.append(truncation)
            roundings.append(rounding)
        numeric = np.stack(columns, axis=1)  # (outputs, entries of this input)
        analytic = np.stack([row[slot].reshape(-1) for row in rows])
        scale = float(np.max(np.abs(numeric), initial=0.0))
        floor = gamma(terms, dtype) * scale
        truncation_all = np.stack(truncations, axis=1)
        rounding_all = np.stack(roundings, axis=1)
        settled_all = np.stack(settled, axis=1)
        for j in range(numeric.shape[0]):
            for k in range(numeric.shape[1]):
                entry = (
                    tuple(int(i) for i in np.unravel_index(j, output.shape)),
                    tuple(int(i) for i in np.unravel_index(k, shape)),
                )
                comparisons.append(
                    _compare(
                        "jacobian",
                        position,
                        entry,
                        float(analytic[j, k]),
                        float(numeric[j, k]),
                        float(truncation_all[j, k]),
                        float(rounding_all[j, k]),
                        floor,
                        bool(settled_all[j, k]),
                        scale,
                        dtype,
                    )
                )
    return comparisons


def _compare(
    kind: str,
    position: int,
    entry: tuple[tuple[int, ...], tuple[int, ...]] | None,
    analytic: float,
    numeric: float,
    truncation: float,
    rounding: float,
    floor: float,
    converged: bool,
    scale: float,
    dtype: np.dtype[Any],
) -> Comparison:
    allowed = SAFETY * (truncation + rounding) + floor
    coarse = unit_roundoff(dtype) > unit_roundoff(np.float64)
    return Comparison(
        kind,
        position,
        entry,
        analytic,
        numeric,
        abs(analytic - numeric),
        allowed,
        truncation,
        rounding,
        floor,
        converged,
        not coarse or scale == 0.0 or allowed < scale,
    )


def _guess(analytic: float, numeric: float) -> str:
    """A hint at the kind of mistake, from the ratio of the two values."""
    if numeric == 0.0 or not math.isfinite(analytic):
        return ""
    ratio = analytic / numeric
    for value, words in (
        (-1.0, "a flipped sign?"),
        (2.0, "a factor of two too large?"),
        (0.5, "a factor of two too small?"),
        (0.0, "a missing term?"),
    ):
        if abs(ratio - value) < 1e-3:
            return f" The backward is {ratio:.6g} times the differences: {words}"
    return f" The backward is {ratio:.12g} times the differences."


def _report(
    comparisons: list[Comparison], names: list[str], step: float, dtype: np.dtype[Any]
) -> GradientReport:
    """The verdict and its explanation.

    Failed on a settled comparison beyond its bound; else inconclusive on an unsettled one;
    else passed. The worst comparison of that kind is the one described.
    """
    wrong = [c for c in comparisons if c.converged and c.ratio > 1.0]
    unsettled = [c for c in comparisons if not (c.converged and c.resolved)]
    if wrong:
        status, worst = "failed", max(wrong, key=lambda c: c.ratio)
        reason = "the backward differs from the forward's differences beyond the derived bound"
    elif unsettled and not unsettled[0].converged:
        status, worst = "inconclusive", unsettled[0]
        reason = (
            "the forward's differences did not settle (not smooth within the step, or noisy "
            "beyond half its digits), and every comparison that settled agreed"
        )
    elif unsettled:
        status, worst = "inconclusive", unsettled[0]
        reason = (
            f"at {dtype.name} the forward's rounding allows an error as large as the gradient "
            "itself: the differences cannot tell this backward from a wrong one"
        )
    else:
        status, worst = "passed", max(comparisons, key=lambda c: c.ratio)
        reason = "every comparison is within its derived bound"
    name = names[worst.input_index]
    if worst.entry is None:
        where = f"input {worst.input_index} ({name})"
        what = "<J^T u, v> from the backward"
    else:
        out, into = (", ".join(str(i) for i in index) for index in worst.entry)
        derivative = f"d out[{out}] / d {name}" + (f"[{into}]" if into else "")
        where = f"the Jacobian entry {derivative} (input {worst.input_index})"
        what = f"{derivative} from the backward"
    verdict = {"passed": "passed", "failed": "FAILED", "inconclusive": "inconclusive"}[status]
    place = "an unsettled comparison" if status == "inconclusive" else "the worst"
    exponent = math.log2(unit_roundoff(dtype))
    lines = [
        f"gradient check {verdict} (judged at {dtype.name}, u = 2^{exponent:.0f}): "
        f"{len(comparisons)} comparisons, {place} at {where}.",
        f"  {what}: {worst.analytic!r}",
        f"  central differences + Richardson (h0 = {step:.3g}): {worst.numeric!r}",
        f"  error {worst.error:.3e}, allowed {worst.allowed:.3e}"
        + (f", ratio {worst.ratio:.3g}" if math.isfinite(worst.ratio) else ""),
        f"  allowed = {SAFETY:g} x (truncation {worst.truncation:.2e} + rounding "
        f"{worst.rounding:.2e}) + sums' rounding {worst.floor:.2e}",
    ]
    if status == "inconclusive" and worst.converged:
        lines.append(
            f"  The allowed error is as large as the scale of what is compared: {dtype.name}'s "
            f"rounding of the forward, amplified by the differences, hides a gradient of this "
            f"size ({len(unsettled)} of {len(comparisons)} comparisons), so the check cannot "
            "judge it, and says nothing about the backward."
        )
    elif status == "inconclusive":
        lines.append(
            f"  The Richardson table did not settle, or the forward's values are noisy "
            f"beyond half their digits ({len(unsettled)} of {len(comparisons)} comparisons): "
            "the op is not smooth within the step (a kink, a tie, a pole?) or not accurate "
            "here, so the check cannot judge this input, and says nothing about the "
            "backward; move the input away from it or pass a smaller step."
        )
    elif status == "failed" and worst.numeric == 0.0 and worst.analytic != 0.0:
        lines.append(
            "  The forward did not change at all across the steps: it is constant here, "
            "or it rounds too coarsely (a cancellation inside it?) to show a derivative "
            "this small."
        )
    elif status == "failed":
        lines.append(" " + _guess(worst.analytic, worst.numeric))
    return GradientReport(
        status,
        reason,
        worst.error,
        worst.allowed,
        worst.input_index,
        name,
        "\n".join(lines),
        tuple(comparisons),
        step,
        dtype.name,
    )
