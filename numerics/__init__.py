"""deepref's verification toolkit: is a gradient right, is a result close enough.

* :func:`check_gradient` / :func:`assert_gradient`: a backward pass against its
  forward, by the inner-product identity with Richardson-extrapolated differences;
  the verdict is passed, failed (:class:`GradientMismatch`) or inconclusive
  (:class:`GradientCheckInconclusive`: the forward cannot judge at that input).
* :func:`gamma` / :func:`assert_close`: error bounds derived from the length of a
  reduction and the gauge of the computation, as reference BLAS testing does.
* :mod:`numerics.strategies`: Hypothesis strategies for valid, well-scaled,
  tie-free and kink-free inputs, contiguous or not.
* :mod:`numerics.catalog`: every op of the reference, with what it takes to check it.
"""

from numerics.gradcheck import (
    Comparison,
    GradientCheckInconclusive,
    GradientMismatch,
    GradientReport,
    assert_gradient,
    check_gradient,
    reject_inconclusive,
)
from numerics.tolerance import assert_close, gamma, ulp_distance, unit_roundoff

__all__ = [
    "Comparison",
    "GradientCheckInconclusive",
    "GradientMismatch",
    "GradientReport",
    "assert_close",
    "assert_gradient",
    "check_gradient",
    "gamma",
    "reject_inconclusive",
    "ulp_distance",
    "unit_roundoff",
]
