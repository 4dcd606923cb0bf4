r"""Catalog entry of the recurrent network (:mod:`reference.rnn`), the page *Recurrent networks*.

The catalog's laws check one output per op; :func:`rnn_stacked` stacks the two outputs of
:func:`reference.rnn.rnn`, ``hs`` (T, N, H) and ``h_last`` (N, H), along time into one
(T + 1, N, H) array, and :func:`rnn_stacked_backward` splits its cotangent again, so that
every law sees both outputs and both cotangents.

The forward bound is a first-order error analysis of the recurrence, computed alongside it
(:func:`recurrence_gauge`): a step adds the rounding of its sums, $\gamma_{F+H+2}$ times
$|x_t||W_x| + |h_{t-1}||W_h| + |b|$ and the activation's own $|h_t|$, and passes on the
error it received through $|W_h|$ and the slope $|f'(a_t)|$.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from numerics import strategies as nst
from numerics.catalog import BadCall, Example, OpEntry, independent, register
from reference import rnn

#: Activations with a continuous second derivative: central differences need it.
SMOOTH = ("tanh", "sigmoid", "softplus", "affine", "scaled_tanh")

#: Where each of the others' derivative jumps, at ONNX's default parameters (the thresholded
#: ReLU's alpha = 1, the hard sigmoid's corners where 0.2 a + 0.5 is 0 and 1).
KINKS = {
    "relu": (0.0,),
    "leaky_relu": (0.0,),
    "thresholded_relu": (1.0,),
    "hard_sigmoid": (-2.5, 2.5),
    "elu": (0.0,),
    "softsign": (0.0,),
}


def clear_of_kinks(
    independent_op: Any, example: Example, names: Sequence[str], margin: float = 0.01
) -> bool:
    """Whether every activation's input is finite and ``margin`` away from its kinks and the clip's.

    ``independent_op`` is the entry's independent computation, run on the example with a
    record of what each activation is given; ``names`` are the example's activations in order.
    The gradient laws that draw kinked activations keep only such examples: central
    differences need a derivative along the whole step. Unbounded gates (a ReLU forget gate
    with a peephole squares the cell at each step) can overflow within twenty steps: such an
    example has no floating-point derivative to check, and is not clear either.
    """
    seen: list[list[np.ndarray]] = [[] for _ in names]
    with np.errstate(over="ignore", invalid="ignore"):
        independent_op(*example.inputs, **example.attrs, seen=seen)
    clip = example.attrs.get("clip")
    for name, inputs in zip(names, seen, strict=True):
        kinks = KINKS.get(name, ()) + ((-clip, clip) if clip else ())
        values = np.concatenate(inputs) if inputs else np.zeros(0)
        if not np.all(np.isfinite(values)):
            return False
        if any(np.any(np.abs(values - kink) <= margin) for kink in kinks):
            return False
    return True


def rnn_stacked(x: Any, h0: Any, w_x: Any, w_h: Any, b: Any, **attrs: Any) -> np.ndarray:
    """``hs`` and ``h_last`` of :func:`reference.rnn.rnn`, stacked: (T + 1, N, H)."""
    hs, h_last = rnn.rnn(x, h0, w_x, w_h, b, **attrs)
    return np.concatenate([hs, h_last[None]])


def rnn_stacked_backward(
    d_out: Any, x: Any, h0: Any, w_x: Any, w_h: Any, b: Any, **attrs: Any
) -> tuple[np.ndarray, ...]:
    """:func:`reference.rnn.rnn_backward` with the cotangent of :func:`rnn_stacked`."""
    d_hs, d_h_last = split_states(d_out, x, h0, 1)
    return rnn.rnn_backward(d_hs, d_h_last[0], x, h0, w_x, w_h, b, **attrs)


rnn_stacked.__name__ = "rnn"  # the messages the laws expect name the reference's function
rnn_stacked_backward.__name__ = "rnn_backward"


def split_states(d_out: Any, x: Any, h0: Any, lasts: int) -> tuple[Any, list[Any]]:
    """A stacked cotangent as ``d_hs`` and the last states' cotangents.

    One that is not shaped like the stacked output goes on whole as ``d_hs``, for the
    reference to refuse by name.
    """
    try:
        steps = np.shape(x)[0] if np.ndim(x) == 3 else 0
        count, hidden = np.shape(h0) if np.ndim(h0) == 2 else (0, 0)
    except ValueError:  # a ragged list: the reference names it
        steps, count, hidden = 0, 0, 0
    if isinstance(d_out, np.ndarray) and d_out.shape == (steps + lasts, count, hidden):
        return d_out[:steps], [d_out[steps + k] for k in range(lasts)]
    return d_out, [np.zeros((count, hidden))] * lasts


@st.composite
def sequence_attrs(draw: st.DrawFn, steps: int, count: int, activations: int) -> dict[str, Any]:
    """Drawn attributes: smooth activations with parameters, the direction and the lengths."""
    # a gated layer's gates are sigmoids here: a gate that is 0 at 0 (tanh) shuts the cell at
    # the all-zero example Hypothesis shrinks to, where only second-order terms remain
    names = [
        "sigmoid" if activations > 1 and k == 0 else draw(st.sampled_from(SMOOTH))
        for k in range(activations)
    ]
    alphas = [
        draw(st.sampled_from([None, 0.5, 1.5])) if n in ("affine", "scaled_tanh") else None
        for n in names
    ]
    betas = [
        draw(st.sampled_from([None, -0.5, 0.75])) if n in ("affine", "scaled_tanh") else None
        for n in names
    ]
    attrs: dict[str, Any] = {"reverse": draw(st.booleans())}
    if draw(st.booleans()):
        attrs["lengths"] = np.array(
            draw(st.lists(st.integers(1, steps), min_size=count, max_size=count))
        )
    if activations == 1:
        attrs.update(activation=names[0], activation_alpha=alphas[0], activation_beta=betas[0])
    else:
        attrs.update(activations=names, activation_alpha=alphas, activation_beta=betas)
    return attrs


@st.composite
def _rnn_examples(draw: st.DrawFn) -> Example:
    steps, count, features, hidden = (draw(st.integers(1, n)) for n in (5, 3, 3, 3))
    x = draw(nst.arrays((steps, count, features), scale=2.0))
    h0 = draw(nst.arrays((count, hidden)))
    w_x = draw(nst.arrays((features, hidden)))
    w_h = draw(nst.arrays((hidden, hidden)))
    b = draw(nst.arrays((hidden,)))
    return Example((x, h0, w_x, w_h, b), draw(sequence_attrs(steps, count, 1)))


def errors_along(
    x: np.ndarray, attrs: dict[str, Any], states: list[np.ndarray], cell: Any
) -> np.ndarray:
    """Run ``cell(x_t, *states, *errors)`` over each sequence alone; the stacked errors.

    ``cell`` returns the new states and their error bounds; the result holds each step's
    bound on the first state at its time index, then each state's at the sequence's end
    (the same walk as the independent computation's, :func:`independent.run_each`).
    """
    count = len(states)

    def errors_first(x_t: np.ndarray, *values: np.ndarray) -> list[np.ndarray]:
        new = cell(x_t, *values[count:], *values[:count])
        return [*new[count:], *new[:count]]

    start = [np.zeros_like(s) for s in states] + list(states)
    hs, lasts = independent.run_each(
        x, attrs.get("lengths"), bool(attrs.get("reverse")), start, errors_first
    )
    return np.concatenate([hs, *(last[None] for last in lasts[:count])])


def recurrence_gauge(
    x: Any,
    h0: Any,
    w_x: Any,
    w_h: Any,
    b: Any,
    *,
    activation: str = "tanh",
    activation_alpha: Any = None,
    activation_beta: Any = None,
    clip: Any = None,
    reverse: bool = False,
    lengths: Any = None,
) -> np.ndarray:
    """A first-order bound on the error of each stacked output, in units of gamma_{F+H+2}."""
    x, h0, w_x, w_h, b = (np.asarray(v, dtype=np.float64) for v in (x, h0, w_x, w_h, b))
    f, slope = independent.clipped_activation(activation, activation_alpha, activation_beta, clip)

    def cell(x_t: np.ndarray, h: np.ndarray, error: np.ndarray) -> list[np.ndarray]:
        a = x_t @ w_x + h @ w_h + b
        h_new = f(a)
        local = np.abs(x_t) @ np.abs(w_x) + np.abs(h) @ np.abs(w_h) + np.abs(b)
        received = error @ np.abs(w_h)
        # what the step rounds, what it receives through the slope, and f's own rounding
        return [h_new, slope(a) * (local + received) + np.abs(h_new)]

    return errors_along(x, {"reverse": reverse, "lengths": lengths}, [h0], cell)


def _rnn_terms(example: Example) -> int:
    # F products and H products and the bias summed, then the activation
    return np.shape(example.inputs[0])[2] + np.shape(example.inputs[1])[1] + 2


_SAMPLE = Example(
    (
        np.array([[[1.0, -0.5]], [[0.25, 2.0]], [[-1.0, 0.5]]]),
        np.array([[0.5, -0.25]]),
        np.array([[0.5, -1.0], [0.25, 0.75]]),
        np.array([[0.5, 0.25], [-0.5, 1.0]]),
        np.array([0.1, -0.2]),
    )
)

register(
    OpEntry(
        name="rnn",
        concept="rnn",
        forward=rnn_stacked,
        backward=rnn_stacked_backward,
        examples=_rnn_examples(),
        wrt=(0, 1, 2, 3, 4),
        terms=_rnn_terms,
        gauge=lambda ex: ex.call(recurrence_gauge),
        independent=independent.rnn,
        sample=_SAMPLE,
        array_inputs=(0, 1, 2, 3, 4),
        edge_cases=(
            ("one step", Example((_SAMPLE.inputs[0][:1], *_SAMPLE.inputs[1:]))),
            (
                "ragged and reversed",
                Example(
                    (
                        np.arange(12.0).reshape(3, 2, 2) / 8 - 0.7,
                        np.array([[0.5, -0.25], [0.0, 1.0]]),
                        *_SAMPLE.inputs[2:],
                    ),
                    {"reverse": True, "lengths": np.array([1, 3])},
                ),
            ),
            ("clip active", Example(_SAMPLE.inputs, {"clip": 0.3})),
            ("relu", Example(_SAMPLE.inputs, {"activation": "relu"})),
        ),
        errors=(
            BadCall(
                "unknown activation",
                Example(_SAMPLE.inputs, {"activation": "swish"}),
                ValueError,
                "activation must name activations among",
            ),
            BadCall(
                "negative clip",
                Example(_SAMPLE.inputs, {"clip": -1.0}),
                ValueError,
                "clip must be a number > 0",
            ),
            BadCall(
                "length 0",
                Example(_SAMPLE.inputs, {"lengths": [0]}),
                ValueError,
                r"every entry of lengths must be in \[1, T\] = \[1, 3\]; got 0 for sequence 0",
            ),
            BadCall(
                "length past T",
                Example(_SAMPLE.inputs, {"lengths": [4]}),
                ValueError,
                r"every entry of lengths must be in \[1, T\]",
            ),
            BadCall(
                "float lengths",
                Example(_SAMPLE.inputs, {"lengths": [2.0]}),
                TypeError,
                "lengths must be integers",
            ),
            BadCall(
                "w_h of another H",
                Example((*_SAMPLE.inputs[:3], np.ones((3, 3)), _SAMPLE.inputs[4])),
                ValueError,
                r"w_h must have shape \(H, H\) = \(2, 2\); got \(3, 3\)",
            ),
            BadCall(
                "w_x of another F",
                Example((*_SAMPLE.inputs[:2], np.ones((3, 2)), *_SAMPLE.inputs[3:])),
                ValueError,
                r"w_x must have shape \(F, H\) = \(2, 2\); got \(3, 2\)",
            ),
            BadCall(
                "h0 of another N",
                Example((_SAMPLE.inputs[0], np.ones((2, 2)), *_SAMPLE.inputs[2:])),
                ValueError,
                r"h0 must have shape \(N, H\)",
            ),
            BadCall(
                "an alpha for tanh",
                Example(_SAMPLE.inputs, {"activation_alpha": 0.5}),
                ValueError,
                "activation_alpha gives 0.5 for tanh, which takes no such",
            ),
            BadCall(
                "reverse of 1",
                Example(_SAMPLE.inputs, {"reverse": 1}),
                TypeError,
                "reverse must be True or False",
            ),
        ),
    )
)
