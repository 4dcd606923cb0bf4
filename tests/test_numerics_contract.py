"""The toolkit's own contract: any argument ends in a named error or in a documented result.

What ``test_catalog.py``'s hostile-input law asks of the reference's ops, asked of the
functions that implementers call and of the strategies their laws draw from: each argument
in turn becomes None, a bool, NaN, an infinity, a negative number, 2**63, a string or a
ragged list. ``test_catalog.py`` runs these laws again with every call timed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, find, settings

from numerics import assert_close, check_gradient, gamma, ulp_distance, unit_roundoff
from numerics import strategies as nst

#: The ``bounded`` fixture of ``conftest.py``: runs a call, within a time limit when asked to.
Bounded = Callable[[Callable[[], object], str], object]

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
def test_every_argument_of_the_toolkit_ends_in_a_named_error_or_a_result(
    name: str, bounded: Bounded
) -> None:
    """Each hostile argument raises an error naming the function, or is a valid input after all.

    A valid result is a return, or for assert_close its own AssertionError saying that the
    values differ (what it is for); anything else (Python's own TypeError from deep inside,
    NumPy's messages) names no function and fails this law.
    """
    function, args, kwargs = CALLS[name]
    function(*args, **kwargs)  # the valid call
    for where, changed_args, changed_kwargs in _variants(args, kwargs):
        call = lambda: function(*changed_args, **changed_kwargs)  # noqa: B023, E731
        message = _error_of(call, bounded, f"{name} with {where}")
        named = message is None or message.startswith((f"{name}: ", "gradient check"))
        assert named, f"{name} with {where}: {message}"


def _error_of(call: Callable[[], object], bounded: Bounded, where: str) -> str | None:
    """The message of the TypeError, ValueError or AssertionError the call raises, or None."""
    try:
        with np.errstate(all="ignore"):
            bounded(call, where)
    except (TypeError, ValueError, AssertionError) as error:
        return str(error)
    return None


#: Each strategy with one valid call, as for :data:`CALLS`. A strategy checks its arguments
#: when it is made or when it draws; :func:`_draw` does both.
STRATEGIES: dict[str, tuple[Any, tuple[Any, ...], dict[str, Any]]] = {
    "shapes": (nst.shapes, (), {"min_dims": 1, "max_dims": 2, "min_side": 1, "max_side": 3}),
    "with_layout": (nst.with_layout, (np.ones((2, 3)), "strided"), {}),
    "scalars": (nst.scalars, (2.0,), {}),
    "arrays": (nst.arrays, ((2, 3),), {"scale": 2.0, "layout": "reversed"}),
    "separated_arrays": (nst.separated_arrays, ((2, 3),), {"min_gap": 0.1, "layout": "any"}),
    "away_from": (nst.away_from, ([0.0, 1.0], 0.05, (2, 3)), {"scale": 2.0, "layout": "any"}),
    "SeededGenerator": (nst.SeededGenerator, (7,), {}),
}

_ONE_DRAW = settings(
    database=None, max_examples=1, phases=[Phase.generate], suppress_health_check=list(HealthCheck)
)


def _draw(function: Any, args: tuple, kwargs: dict) -> object:
    """What the call returns; for a strategy, one value drawn from it."""
    made = function(*args, **kwargs)
    if hasattr(made, "example"):  # a Hypothesis strategy: draw once, outside any test
        return find(made, lambda _: True, settings=_ONE_DRAW)
    return made


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_argument_of_a_strategy_ends_in_a_named_error_or_a_draw(
    name: str, bounded: Bounded
) -> None:
    """Each hostile argument of a strategy raises an error naming it, or still draws.

    A law that passes a strategy a wrong argument must learn it from the strategy, by name:
    Hypothesis's own InvalidArgument from deep inside a composite names neither.
    """
    function, args, kwargs = STRATEGIES[name]
    _draw(function, args, kwargs)  # the valid call
    for where, changed_args, changed_kwargs in _variants(args, kwargs):
        call = lambda: _draw(function, changed_args, changed_kwargs)  # noqa: B023, E731
        message = _error_of(call, bounded, f"{name} with {where}")
        assert message is None or message.startswith(f"{name}: "), f"{name} with {where}: {message}"
