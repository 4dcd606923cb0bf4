"""The strategies draw what their docstrings promise."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import find, given
from hypothesis import strategies as st

from numerics import strategies as nst


@given(nst.arrays(scale=5.0))
def test_arrays_are_finite_normal_and_within_scale(values: np.ndarray) -> None:
    """Entries are finite, and zero or between 2^-30 and 1 times the scale in magnitude."""
    assert values.dtype == np.float64
    assert np.all(np.isfinite(values))
    assert np.all(np.abs(values) <= 5.0)
    nonzero = np.abs(values[values != 0])
    assert np.all(nonzero >= nst.SMALLEST * 5.0)


@given(nst.scalars(3.0))
def test_scalars_are_zero_or_well_scaled(value: float) -> None:
    """A scalar is 0 or between 2^-30 and 1 times the scale in magnitude."""
    assert value == 0.0 or nst.SMALLEST * 3.0 <= abs(value) <= 3.0


@given(nst.shapes(min_dims=2, max_dims=3, min_side=2, max_side=4))
def test_shapes_respect_their_limits(shape: tuple[int, ...]) -> None:
    """Ranks and sides stay within the bounds asked for."""
    assert 2 <= len(shape) <= 3
    assert all(2 <= side <= 4 for side in shape)


@pytest.mark.parametrize("layout", nst.LAYOUTS)
@given(data=st.data())
def test_a_layout_keeps_the_values_and_changes_the_memory(layout: str, data: st.DataObject) -> None:
    """Each layout holds the same values; the non-contiguous ones are not C-contiguous."""
    shape = data.draw(nst.shapes(min_dims=2, max_dims=3, min_side=2, max_side=5))
    values = data.draw(nst.arrays(shape, layout="contiguous"))
    view = nst.with_layout(values, layout)
    assert np.array_equal(view, values)
    assert view.flags.c_contiguous == (layout == "contiguous")


def test_with_layout_names_the_layouts_it_knows() -> None:
    """An unknown layout is an error naming the known ones."""
    with pytest.raises(ValueError, match="strided"):
        nst.with_layout(np.zeros(3), "diagonal")


@given(nst.separated_arrays(min_gap=0.1))
def test_separated_arrays_have_no_two_entries_closer_than_the_gap(values: np.ndarray) -> None:
    """Every pair of entries is at least min_gap apart, so every maximum is unique."""
    flat = np.sort(values.ravel())
    assert np.all(np.diff(flat) >= 0.1 * (1 - 1e-12))


@given(nst.away_from([0.0, 1.0], 0.05, scale=2.0))
def test_away_from_keeps_each_entry_off_each_kink(values: np.ndarray) -> None:
    """No entry lies within the distance of a kink."""
    assert np.all(np.abs(values) >= 0.05)
    assert np.all(np.abs(values - 1.0) >= 0.05)


@given(nst.seeds())
def test_generators_are_reproducible_and_show_their_seed(seed: int) -> None:
    """Two generators from one seed draw the same numbers, and say which seed it was."""
    first, second = nst.SeededGenerator(seed), nst.SeededGenerator(seed)
    assert np.array_equal(first.standard_normal(5), second.standard_normal(5))
    assert repr(first) == f"numpy.random.default_rng({seed})"
    assert np.array_equal(
        nst.SeededGenerator(seed).standard_normal(3), np.random.default_rng(seed).standard_normal(3)
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: nst.scalars(scale=np.inf), r"^scalars: scale must be a finite number > 0"),
        (lambda: nst.scalars(scale=0.0), r"^scalars: scale must be a finite number > 0"),
        (
            lambda: nst.separated_arrays((2, 2), min_gap=np.nan),
            r"^separated_arrays: min_gap must be a finite number > 0",
        ),
        (
            lambda: nst.away_from([0.0], np.inf, (2,)),
            r"^away_from: distance must be a finite number > 0",
        ),
        (lambda: nst.SeededGenerator(None), r"^SeededGenerator: seed must be a non-negative"),
        (lambda: nst.SeededGenerator(True), r"^SeededGenerator: seed must be a non-negative"),
    ],
)
def test_the_strategies_refuse_settings_that_would_draw_nonsense(make: Any, message: str) -> None:
    """A scale of inf drew only 0.0, a NaN gap NaN arrays, an infinite distance inf: refused."""
    with pytest.raises(ValueError, match=message):
        _draw(make())


def test_the_strategies_take_numpy_integers_and_zero_d_scales() -> None:
    """np.int64 sides and a 0-d scale are valid settings, accepted as Python ones are."""
    assert _draw(nst.arrays((np.int64(2), 3))).shape == (2, 3)
    assert abs(_draw(nst.scalars(scale=np.array(2.0)))) <= 2.0
    with pytest.raises(TypeError, match=r"^with_layout: array must be a numpy.ndarray"):
        nst.with_layout([1.0, 2.0], "strided")


def _draw(strategy: object) -> object:
    """One value of a strategy (or the strategy's own error), outside a @given test."""
    if not isinstance(strategy, st.SearchStrategy):
        return strategy
    return find(strategy, lambda _: True)
