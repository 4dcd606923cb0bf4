"""The toolkit's own contract: any argument ends in a named error or in a documented result.

What ``test_catalog.py``'s hostile-input law asks of the reference's ops, asked of the
functions that implementers call: each argument in turn becomes None, a bool, NaN, an
infinity, a negative number, 2**63, a string or a ragged list.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from numerics import assert_close, check_gradient, gamma, ulp_distance, unit_roundoff

HOSTILE: list[Any] = [None, True, float("nan"), float("inf"), -1, 2**63, "0.5", [[1.0], [1.0, 2.0]]]


def _cos_backward(dy: Any, x: Any) -> Any:
    return dy * np.cos(x)


#: Each function with one valid call: (positional arguments, keyword arguments).
CALLS: dict[str, tuple[Any, tuple[Any, ...], dict[str, Any]]] = {
    "gamma": (gamma, (10,), {}),
    "unit_roundoff": (unit_roundoff, (np.float64,), {}),
    "ulp_distance": (ulp_distance, (1.0, 1.5), {}),
    "assert_close": (assert_close, (np.ones(2), np.ones(2)), {"terms": 2, "gauge": np.ones(2)}),
    "check_gradient": (
        check_gradient,
        (np.sin, _cos_backward, [np.array([0.1, 0.7])]),
        {"step": 2.0**-9, "directions": 2, "seed": 0},
    ),
}


def _variants(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[tuple[str, tuple, dict]]:
    found = []
    for position in range(len(args)):
        for bad in HOSTILE:
            changed = tuple(bad if i == position else a for i, a in enumerate(args))
            found.append((f"argument {position} = {bad!r}", changed, kwargs))
    for key in kwargs:
        for bad in HOSTILE:
            found.append((f"{key} = {bad!r}", args, {**kwargs, key: bad}))
    return found


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_argument_of_the_toolkit_ends_in_a_named_error_or_a_result(name: str) -> None:
    """Each hostile argument raises an error naming the function, or is a valid input after all.

    A valid result is a return, or for assert_close its own AssertionError saying that the
    values differ (what it is for); anything else (Python's own TypeError from deep inside,
    NumPy's messages) names no function and fails this law.
    """
    function, args, kwargs = CALLS[name]
    function(*args, **kwargs)  # the valid call
    for where, changed_args, changed_kwargs in _variants(args, kwargs):
        message = _error_of(function, changed_args, changed_kwargs)
        named = message is None or message.startswith((f"{name}: ", "gradient check"))
        assert named, f"{name} with {where}: {message}"


def _error_of(function: Any, args: tuple, kwargs: dict) -> str | None:
    """The message of the TypeError, ValueError or AssertionError the call raises, or None."""
    try:
        with np.errstate(all="ignore"):
            function(*args, **kwargs)
    except (TypeError, ValueError, AssertionError) as error:
        return str(error)
    return None
